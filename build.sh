#!/usr/bin/env bash
# Bootstraps Highwater and runs a Cake target: ./build.sh [--target=PublishMart] [Cake and pipeline options]
#  1. restores the pinned Cake tool (.config/dotnet-tools.json) when it is not yet installed;
#  2. publishes the highwater CLI (Native AOT, or ReadyToRun when the AOT toolchain cannot build here; a trim or AOT
#     analysis error fails instead) into artifacts/highwater only when its sources changed;
#  3. puts the top-level cake.config in force and runs build/build.cake with every argument passed through, from a
#     ReadyToRun copy of the Cake tool made once per Cake version in artifacts/cake (see below).
# Exits with the CLI's exit code when a stage fails (see README, "Exit codes").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

cake_version="$(sed -n 's/.*"version": *"\([0-9.]*\)".*/\1/p' .config/dotnet-tools.json | tail -n 1)"
if [ ! -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}/cake.tool/$cake_version" ]; then
  dotnet tool restore >/dev/null
fi

# The CLI is rebuilt only when a source, project or package pin changed: the hash of their contents is compared with
# the one it was published from (.source-hash). Hashing reads every file, so it is skipped while a listing of their
# names, sizes and modification times is the one recorded when the hash last matched (.source-stat), as git's index
# spares `git status` reading unchanged files. build.ps1 computes the same content hash.
source_stat="$(LC_ALL=C find src Directory.Build.props Directory.Packages.props \( -name bin -o -name obj \) -prune -o -type f \
  \( -name '*.cs' -o -name '*.csproj' -o -name 'Directory.*.props' \) -printf '%p %s %T@\n' | LC_ALL=C sort | sha256sum | cut -c1-64)"
stamp=artifacts/highwater/.source-hash
if [ -x artifacts/highwater/highwater ] && [ -f "$stamp" ] && [ "$(cat artifacts/highwater/.source-stat 2>/dev/null)" = "$source_stat" ]; then
  source_hash="$(cat "$stamp")"
else
  source_hash="$( { find src -type f \( -name '*.cs' -o -name '*.csproj' \) -not -path '*/bin/*' -not -path '*/obj/*' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum; sha256sum Directory.Build.props Directory.Packages.props; } | sha256sum | cut -c1-64)"
fi
if [ ! -x artifacts/highwater/highwater ] || [ "$(cat "$stamp" 2>/dev/null)" != "$source_hash" ]; then
  echo "build.sh: publishing the highwater CLI (sources changed)..."
  rm -rf artifacts/highwater && mkdir -p artifacts
  rid="$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)"
  # Native AOT first: each stage process then starts without a JIT warming up. When the native
  # toolchain is missing (or HIGHWATER_PUBLISH=r2r), fall back to a ReadyToRun build on the shared runtime.
  published=""
  if [ "${HIGHWATER_PUBLISH:-aot}" = "aot" ]; then
    if dotnet publish src/Highwater.Cli/Highwater.Cli.csproj -c Release -r "${rid:-linux-x64}" \
        -p:PublishAot=true -o artifacts/highwater -nologo -v quiet >artifacts/publish.log 2>&1; then
      published=aot
    elif grep -qE 'error IL[23][0-9]{3}' artifacts/publish.log; then
      # A trim or AOT analysis warning (an error under TreatWarningsAsErrors) is a defect of the code, not a missing
      # toolchain: fail here rather than ship the ReadyToRun build in its place.
      cat artifacts/publish.log
      echo "build.sh: Native AOT analysis found the problems above; not falling back to ReadyToRun" >&2
      exit 1
    else
      echo "build.sh: Native AOT publish failed (artifacts/publish-aot.log); publishing ReadyToRun instead"
      mv artifacts/publish.log artifacts/publish-aot.log
      rm -rf artifacts/highwater
    fi
  fi
  if [ -z "$published" ]; then
    dotnet publish src/Highwater.Cli/Highwater.Cli.csproj -c Release -r "${rid:-linux-x64}" --self-contained false \
      -p:PublishReadyToRun=true -o artifacts/highwater -nologo -v quiet >artifacts/publish.log 2>&1 \
      || { cat artifacts/publish.log; exit 1; }
  fi
  echo "$source_hash" > "$stamp"
fi
[ "$(cat artifacts/highwater/.source-stat 2>/dev/null)" = "$source_stat" ] || echo "$source_stat" > artifacts/highwater/.source-stat

# Cake is started from its own assembly (dotnet .../Cake.dll) rather than as `dotnet cake`, which resolves the local
# tool manifest on every call. The tool package ships IL only, so each call would JIT-compile everything Cake runs
# around a cached script (its console, NuGet settings, the reference assemblies and the alias scan over them, the task
# runner): instead a copy of the tool whose assemblies are compiled ahead of time (ReadyToRun, with the SDK's
# crossgen2) is made once per Cake version in artifacts/cake/ and started. Roslyn stays IL: it runs only when the
# script changed and is compiled again, and it is most of the compiling time. The assembly to run is found
# once and remembered in artifacts/cake-launcher; when no copy can be made the tool's own assembly is started, and
# when none starts, `dotnet cake` it is.
cake_ready_to_run() { # $1 = the tool's folder for this runtime; prints the copy's Cake.dll, or fails
  local tool="$1" out="artifacts/cake/$cake_version" tfm runtime fw rid cg
  tfm="$(basename "$(dirname "$tool")")"                       # net10.0
  read -r runtime fw < <(dotnet --list-runtimes | sed -n "s/^Microsoft.NETCore.App \(${tfm#net}\.[0-9.]*\) \[\(.*\)\]$/\1 \2/p" | sort -V | tail -n 1)
  [ -n "${runtime:-}" ] || return 1
  rid="$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n 1)"
  cg="${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.netcore.app.crossgen2.${rid}/${runtime}/tools/crossgen2"
  if [ ! -x "$cg" ]; then # fetch the compiler package with NuGet (a restore outside this repository's props)
    local restore; restore="$(mktemp -d)"
    printf '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><TargetFramework>%s</TargetFramework></PropertyGroup><ItemGroup><PackageDownload Include="Microsoft.NETCore.App.Crossgen2.%s" Version="[%s]" /></ItemGroup></Project>\n' \
      "$tfm" "$rid" "$runtime" > "$restore/crossgen2.csproj"
    dotnet restore "$restore/crossgen2.csproj" -nologo -v quiet >/dev/null 2>&1; rm -rf "$restore"
    [ -x "$cg" ] || return 1
  fi
  echo "build.sh: compiling Cake $cake_version ahead of time (once per Cake version)..." >&2
  rm -rf "$out.tmp" "$out" && mkdir -p "$(dirname "$out")" && cp -R "$tool" "$out.tmp" || return 1
  local dll
  for dll in "$tool"/*.dll; do
    case "$(basename "$dll")" in Microsoft.CodeAnalysis*) continue ;; esac
    # One that does not compile stays IL: it is only slower to start.
    "$cg" "$dll" -o "$out.tmp/$(basename "$dll")" -r "$tool/*.dll" -r "$fw/$runtime/*.dll" \
      --targetos:"${rid%%-*}" --targetarch:"${rid##*-}" -O >/dev/null 2>&1 || cp "$dll" "$out.tmp/$(basename "$dll")"
  done
  mv "$out.tmp" "$out" && dotnet "$out/Cake.dll" --version >/dev/null 2>&1 && echo "$root/$out/Cake.dll"
}
launcher=artifacts/cake-launcher
if [ "$(sed -n 1p "$launcher" 2>/dev/null)" != "$cake_version ready-to-run" ]; then
  cake_dll=none
  for dll in $(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}/cake.tool/$cake_version"/tools/net*/any/Cake.dll 2>/dev/null | sort -rV); do
    if dotnet "$dll" --version >/dev/null 2>&1; then
      cake_dll="$(cake_ready_to_run "$(dirname "$dll")")" || cake_dll="$dll"
      break
    fi
  done
  mkdir -p artifacts && printf '%s\n%s\n' "$cake_version ready-to-run" "$cake_dll" > "$launcher"
fi
cake_dll="$(sed -n 2p "$launcher")"
[ -f "$cake_dll" ] || cake_dll=none

# Cake hands its alias finder every assembly of the .NET reference set on every run, cached script or not, and the finder
# loads all their types to look for aliases, which only assemblies referencing Cake.Core can hold: most of Cake's start.
# The module build/Cake.Highwater.Module hands it only those (the aliases, and so the script, are the same). It is built
# once per Cake version and module source into artifacts/cake-modules, where CAKE_PATHS_MODULES points Cake; when it does
# not build, Cake runs without it, only slower to start.
module_hash="$(cat .config/dotnet-tools.json $(ls build/Cake.Highwater.Module/*.cs build/Cake.Highwater.Module/*.csproj \
  build/Cake.Highwater.Module/*.props | LC_ALL=C sort) | sha256sum | cut -c1-64)" # build.ps1 hashes the same bytes
modules=artifacts/cake-modules
if [ "$(cat "$modules/.source-hash" 2>/dev/null)" != "$module_hash" ]; then
  rm -rf "$modules" && mkdir -p "$modules"
  dotnet build build/Cake.Highwater.Module/Cake.Highwater.Module.csproj -c Release -o "$modules/Cake.Highwater.Module" \
    -nologo -v quiet >artifacts/cake-module.log 2>&1 \
    || { rm -rf "$modules/Cake.Highwater.Module"; echo "build.sh: the Cake module did not build (artifacts/cake-module.log); Cake starts without it (remove artifacts/cake-modules to try again)"; }
  echo "$module_hash" > "$modules/.source-hash"
fi
[ -f "$modules/Cake.Highwater.Module/Cake.Highwater.Module.dll" ] && export CAKE_PATHS_MODULES="$root/$modules"

cp cake.config build/cake.config
# Cake's start is reflection over its alias assemblies, code that runs once: tiered PGO's instrumentation only slows it.
# Set for Cake's process, whose children inherit it: harmless to the Native AOT CLI (no JIT), so not set when the CLI is
# the ReadyToRun fallback (highwater.dll), whose long runs PGO speeds up.
pgo=""
[ -f artifacts/highwater/highwater.dll ] || pgo="DOTNET_TieredPGO=0"
# --skip-bootstrap: Cake's bootstrap reads the script once more, only to install the modules its #module directives
# name, and build.cake has none.
set +e
if [ "$cake_dll" != none ]; then env $pgo dotnet "$cake_dll" build/build.cake --skip-bootstrap "$@"; else env $pgo dotnet cake build/build.cake --skip-bootstrap "$@"; fi
code=$?
# 150: the host found no runtime for the remembered assembly (the SDK changed since): nothing ran; forget it and use
# `dotnet cake`, which picks the tool's assembly for this runtime.
if [ "$code" -eq 150 ] && [ "$cake_dll" != none ]; then
  rm -f "$launcher"
  dotnet cake build/build.cake --skip-bootstrap "$@"
  code=$?
fi
set -e
exit "$code"

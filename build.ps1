#!/usr/bin/env pwsh
# Bootstraps Highwater and runs a Cake target: ./build.ps1 [--target=PublishMart] [Cake and pipeline options]
# The same steps as build.sh, in the same order (keep the two alike):
#  1. restores the pinned Cake tool (.config/dotnet-tools.json) when it is not yet installed;
#  2. publishes the highwater CLI (Native AOT, or ReadyToRun when the AOT toolchain cannot build here; a trim or AOT
#     analysis error fails instead) into artifacts/highwater only when its sources changed;
#  3. puts the top-level cake.config in force and runs build/build.cake (with Cake.dll itself) with every argument
#     passed through.
# Exits with the CLI's exit code when a stage fails (see README, "Exit codes").
$ErrorActionPreference = 'Stop'
Set-Location -LiteralPath $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'; $env:DOTNET_NOLOGO = '1'; $env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

$tools = Get-Content .config/dotnet-tools.json -Raw | ConvertFrom-Json
$cakeVersion = $tools.tools.'cake.tool'.version
$packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
if (-not (Test-Path (Join-Path $packages "cake.tool/$cakeVersion"))) {
    dotnet tool restore | Out-Null
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

# The CLI is rebuilt only when a source, project or package pin changed. The hash is build.sh's, byte for byte
# (sha256sum lines "<hash>  <path>" of the sources in ordinal path order, then of the two .props files, hashed), so
# either script accepts the other's publish.
function Get-Sha256([byte[]] $bytes) {
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try { return [Convert]::ToHexString($sha.ComputeHash($bytes)).ToLowerInvariant() } finally { $sha.Dispose() }
}
$sources = [string[]]@(Get-ChildItem -Path src -Recurse -File -Include *.cs, *.csproj |
    ForEach-Object { [System.IO.Path]::GetRelativePath($PSScriptRoot, $_.FullName).Replace('\', '/') } |
    Where-Object { $_ -notmatch '/(bin|obj)/' })
[Array]::Sort($sources, [StringComparer]::Ordinal)
$lines = foreach ($file in $sources + @('Directory.Build.props', 'Directory.Packages.props')) {
    "$(Get-Sha256 ([System.IO.File]::ReadAllBytes((Join-Path $PSScriptRoot $file))))  $file`n"
}
$sourceHash = Get-Sha256 ([Text.Encoding]::UTF8.GetBytes(-join $lines))
$exe = if ($IsWindows -or $env:OS -eq 'Windows_NT') { 'artifacts/highwater/highwater.exe' } else { 'artifacts/highwater/highwater' }
$stamp = 'artifacts/highwater/.source-hash'
if (-not (Test-Path $exe) -or -not (Test-Path $stamp) -or (Get-Content $stamp -Raw).Trim() -ne $sourceHash) {
    Write-Host 'build.ps1: publishing the highwater CLI (sources changed)...'
    if (Test-Path artifacts/highwater) { Remove-Item artifacts/highwater -Recurse -Force }
    New-Item -ItemType Directory -Force artifacts | Out-Null
    $rid = (dotnet --info | Select-String '^\s*RID:\s*(\S+)' | Select-Object -First 1).Matches[0].Groups[1].Value
    if (-not $rid) { $rid = 'linux-x64' }
    # Native AOT first: each stage process then starts in milliseconds. When the native toolchain is missing (or
    # HIGHWATER_PUBLISH=r2r), fall back to a ReadyToRun build on the shared runtime.
    $published = $false
    if (($env:HIGHWATER_PUBLISH ?? 'aot') -eq 'aot') {
        dotnet publish src/Highwater.Cli/Highwater.Cli.csproj -c Release -r $rid -p:PublishAot=true `
            -o artifacts/highwater -nologo -v quiet *> artifacts/publish.log
        if ($LASTEXITCODE -eq 0) { $published = $true }
        elseif (Select-String -Path artifacts/publish.log -Pattern 'error IL[23][0-9]{3}' -Quiet) {
            # A trim or AOT analysis warning (an error under TreatWarningsAsErrors) is a defect of the code, not a
            # missing toolchain: fail here rather than ship the ReadyToRun build in its place.
            Get-Content artifacts/publish.log
            [Console]::Error.WriteLine('build.ps1: Native AOT analysis found the problems above; not falling back to ReadyToRun')
            exit 1
        }
        else {
            Write-Host 'build.ps1: Native AOT publish failed (artifacts/publish-aot.log); publishing ReadyToRun instead'
            Move-Item artifacts/publish.log artifacts/publish-aot.log -Force
            if (Test-Path artifacts/highwater) { Remove-Item artifacts/highwater -Recurse -Force }
        }
    }
    if (-not $published) {
        dotnet publish src/Highwater.Cli/Highwater.Cli.csproj -c Release -r $rid --self-contained false `
            -p:PublishReadyToRun=true -o artifacts/highwater -nologo -v quiet *> artifacts/publish.log
        if ($LASTEXITCODE -ne 0) { Get-Content artifacts/publish.log; exit 1 }
    }
    Set-Content -Path $stamp -Value $sourceHash
}

# Cake is started from its own assembly (dotnet .../Cake.dll) rather than as `dotnet cake`, which resolves the local
# tool manifest on every call. The assembly for this runtime is found once per Cake version and remembered (the same
# artifacts/cake-launcher file as build.sh's); when none starts, `dotnet cake` it is.
$launcher = 'artifacts/cake-launcher'
$remembered = if (Test-Path $launcher) { @(Get-Content $launcher) } else { @() }
if ($remembered.Count -lt 2 -or $remembered[0] -ne $cakeVersion) {
    $cakeDll = 'none'
    $candidates = Get-ChildItem -Path (Join-Path $packages "cake.tool/$cakeVersion/tools") -Directory -Filter 'net*' -ErrorAction SilentlyContinue |
        Sort-Object { [version]($_.Name -replace '^net', '' -replace '[^0-9.].*$', '') } -Descending |
        ForEach-Object { Join-Path $_.FullName 'any/Cake.dll' } | Where-Object { Test-Path $_ }
    foreach ($dll in $candidates) {
        dotnet $dll --version *> $null
        if ($LASTEXITCODE -eq 0) { $cakeDll = $dll; break }
    }
    New-Item -ItemType Directory -Force artifacts | Out-Null
    Set-Content -Path $launcher -Value @($cakeVersion, $cakeDll)
    $remembered = @($cakeVersion, $cakeDll)
}
$cakeDll = $remembered[1]
if (-not (Test-Path -LiteralPath $cakeDll -PathType Leaf)) { $cakeDll = 'none' }

# The Cake module build/Cake.Highwater.Module hands Cake's alias finder only the assemblies that can hold an alias (see
# build.sh): built once per Cake version and module source into artifacts/cake-modules, found through CAKE_PATHS_MODULES.
$moduleFiles = @('.config/dotnet-tools.json') + @(Get-ChildItem build/Cake.Highwater.Module -File |
    Where-Object { $_.Extension -in '.cs', '.csproj', '.props' } | Sort-Object Name | ForEach-Object { $_.FullName })
$moduleHash = (Get-FileHash -Algorithm SHA256 -InputStream ([IO.MemoryStream]::new([byte[]]($moduleFiles | ForEach-Object { [IO.File]::ReadAllBytes($_) })))).Hash.ToLowerInvariant()
$modules = 'artifacts/cake-modules'
if (-not (Test-Path "$modules/.source-hash") -or (Get-Content "$modules/.source-hash") -ne $moduleHash) {
    if (Test-Path $modules) { Remove-Item $modules -Recurse -Force }
    New-Item -ItemType Directory -Force $modules | Out-Null
    dotnet build build/Cake.Highwater.Module/Cake.Highwater.Module.csproj -c Release -o "$modules/Cake.Highwater.Module" -nologo -v quiet *> artifacts/cake-module.log
    if ($LASTEXITCODE -ne 0) {
        if (Test-Path "$modules/Cake.Highwater.Module") { Remove-Item "$modules/Cake.Highwater.Module" -Recurse -Force }
        Write-Host 'build.ps1: the Cake module did not build (artifacts/cake-module.log); Cake starts without it (remove artifacts/cake-modules to try again)'
    }
    Set-Content -Path "$modules/.source-hash" -Value $moduleHash
}
if (Test-Path "$modules/Cake.Highwater.Module/Cake.Highwater.Module.dll") { $env:CAKE_PATHS_MODULES = (Resolve-Path $modules).Path }

Copy-Item cake.config build/cake.config -Force
# Tiered PGO off for Cake's process and its children, as build.sh does, unless the CLI is the ReadyToRun fallback.
if (-not (Test-Path -LiteralPath "artifacts/highwater/highwater.dll")) { $env:DOTNET_TieredPGO = '0' }
# --skip-bootstrap: Cake's bootstrap only installs the modules of #module directives, and build.cake has none.
if ($cakeDll -ne 'none') { dotnet $cakeDll build/build.cake --skip-bootstrap @args } else { dotnet cake build/build.cake --skip-bootstrap @args }
$code = $LASTEXITCODE
# 150: the host found no runtime for the remembered assembly (the SDK changed since): nothing ran; forget it and use
# `dotnet cake`, which picks the tool's assembly for this runtime.
if ($code -eq 150 -and $cakeDll -ne 'none') {
    Remove-Item $launcher -Force
    dotnet cake build/build.cake --skip-bootstrap @args
    $code = $LASTEXITCODE
}
exit $code

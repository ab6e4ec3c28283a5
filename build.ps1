#!/usr/bin/env pwsh
# Bootstraps Highwater and runs a Cake target: ./build.ps1 [--target=PublishMart] [Cake and pipeline options]
# The same steps as build.sh: restore the pinned Cake tool, publish the highwater CLI (ReadyToRun) only
# when its sources changed, put the top-level cake.config in force, run build/build.cake with every argument.
$ErrorActionPreference = 'Stop'
Set-Location -LiteralPath $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'; $env:DOTNET_NOLOGO = '1'; $env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

$tools = Get-Content .config/dotnet-tools.json -Raw | ConvertFrom-Json
$cakeVersion = $tools.tools.'cake.tool'.version
$packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
if (-not (Test-Path (Join-Path $packages "cake.tool/$cakeVersion"))) { dotnet tool restore | Out-Null }

$sources = Get-ChildItem -Path src -Recurse -File -Include *.cs, *.csproj |
    Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' } | Sort-Object FullName
$sources += Get-Item Directory.Build.props, Directory.Packages.props
$text = ($sources | ForEach-Object { (Get-FileHash $_.FullName -Algorithm SHA256).Hash }) -join "`n"
$sha = [System.Security.Cryptography.SHA256]::Create()
$sourceHash = [BitConverter]::ToString($sha.ComputeHash([Text.Encoding]::UTF8.GetBytes($text))).Replace('-', '').ToLowerInvariant()
$exe = if ($IsWindows -or $env:OS -eq 'Windows_NT') { 'artifacts/highwater/highwater.exe' } else { 'artifacts/highwater/highwater' }
$stamp = 'artifacts/highwater/.source-hash'
if (-not (Test-Path $exe) -or -not (Test-Path $stamp) -or (Get-Content $stamp -Raw).Trim() -ne $sourceHash) {
    Write-Host 'build.ps1: publishing the highwater CLI (sources changed)...'
    if (Test-Path artifacts/highwater) { Remove-Item artifacts/highwater -Recurse -Force }
    New-Item -ItemType Directory -Force artifacts | Out-Null
    $rid = (dotnet --info | Select-String '^\s*RID:\s*(\S+)' | Select-Object -First 1).Matches[0].Groups[1].Value
    dotnet publish src/Highwater.Cli/Highwater.Cli.csproj -c Release -r $rid --self-contained false `
        -p:PublishReadyToRun=true -o artifacts/highwater -nologo -v quiet *> artifacts/publish.log
    if ($LASTEXITCODE -ne 0) { Get-Content artifacts/publish.log; exit 1 }
    Set-Content -Path $stamp -Value $sourceHash
}

Copy-Item cake.config build/cake.config -Force
dotnet cake build/build.cake @args
exit $LASTEXITCODE

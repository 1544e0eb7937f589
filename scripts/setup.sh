#!/usr/bin/env bash
# Set-up for the test suite: checks, and installs when it can, every outside tool the tests run.
# `deno task test` runs it before `deno test`; `.ci/run` runs it too. It says on stderr what it
# finds and what it does, and exits 1 (so the tests do not start) when a tool is still missing.
#
# - Debian tools: shellcheck, rhash, hashdeep, hyperfine, openssl, sha256sum (coreutils) and
#   /usr/bin/time (time), installed with apt-get when run as root; otherwise it prints the command.
# - PowerShell 7.6.9 (the tests run verify.ps1 for real): found on PATH or at
#   ~/.dotnet/tools/pwsh, else installed with `dotnet tool install --global PowerShell`.
#
# BOOTPACK_SETUP_DRY_RUN=1 reports what it would install and installs nothing (used by the tests).
set -euo pipefail

PWSH_VERSION=7.6.9
DRY_RUN=${BOOTPACK_SETUP_DRY_RUN:-0}

say() { echo "setup: $*" >&2; }

# The Debian package that provides each tool.
package_of() {
  case "$1" in
  sha256sum) echo coreutils ;;
  /usr/bin/time) echo time ;;
  *) echo "$1" ;;
  esac
}

has_tool() {
  case "$1" in
  /*) [ -x "$1" ] ;;
  *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

install_debian_tools() {
  local missing=() packages=() tool
  for tool in shellcheck rhash hashdeep hyperfine openssl sha256sum /usr/bin/time; do
    if ! has_tool "$tool"; then
      missing+=("$tool")
      packages+=("$(package_of "$tool")")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  say "missing: ${missing[*]}"
  if [ "$DRY_RUN" = 1 ]; then
    say "would run: apt-get install -y ${packages[*]}"
    return 0
  fi
  if [ "$EUID" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "cannot install them here (needs root and apt-get); run:"
    say "  sudo apt-get update && sudo apt-get install -y ${packages[*]}"
    return 1
  fi
  say "installing ${packages[*]} with apt-get (one time)"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >&2
  for tool in "${missing[@]}"; do
    has_tool "$tool" || {
      say "still missing after apt-get: $tool"
      return 1
    }
  done
}

find_pwsh() {
  if command -v pwsh >/dev/null 2>&1; then
    command -v pwsh
  elif [ -x "$HOME/.dotnet/tools/pwsh" ]; then
    echo "$HOME/.dotnet/tools/pwsh"
  else
    return 1
  fi
}

PWSH=""
install_pwsh() {
  if PWSH=$(find_pwsh); then
    return 0
  fi
  say "missing: PowerShell (pwsh), needed to run verify.ps1"
  if [ "$DRY_RUN" = 1 ]; then
    say "would run: dotnet tool install --global PowerShell --version $PWSH_VERSION"
    return 0
  fi
  if ! command -v dotnet >/dev/null 2>&1; then
    say "cannot install it: no .NET SDK (dotnet) on PATH; install the .NET SDK, then run:"
    say "  dotnet tool install --global PowerShell --version $PWSH_VERSION"
    return 1
  fi
  say "installing PowerShell $PWSH_VERSION with dotnet tool install (one time)"
  dotnet tool install --global PowerShell --version "$PWSH_VERSION" >&2
  PWSH=$(find_pwsh) || {
    say "still missing after dotnet tool install: pwsh (looked on PATH and in ~/.dotnet/tools)"
    return 1
  }
}

install_debian_tools
install_pwsh
if [ "$DRY_RUN" = 1 ]; then
  say "dry run: nothing installed"
else
  say "test tools present: shellcheck rhash hashdeep hyperfine openssl sha256sum /usr/bin/time, pwsh at $PWSH"
fi

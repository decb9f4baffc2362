#!/usr/bin/env bash
# One-command set-up for a fresh Debian machine: installs Erlang/OTP and
# Elixir from Debian's packages when they are missing, installs the npm
# dependencies from the lockfile and builds beamjs.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
if ! command -v erl >/dev/null || ! command -v erlc >/dev/null || ! command -v elixir >/dev/null; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q erlang-base erlang-dev elixir
fi
npm ci --no-audit --no-fund
npm run build

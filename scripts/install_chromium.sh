#!/usr/bin/env bash
# Install headless Chromium from the Debian archive for tests/report/test_browser.py.
# Idempotent: does nothing when a chromium binary is already on PATH.
# Needs root (or passwordless sudo) and apt-get; exits non-zero with a clear message otherwise.
set -euo pipefail

for bin in chromium chromium-browser google-chrome; do
  if command -v "$bin" >/dev/null 2>&1; then
    echo "install_chromium: found $(command -v "$bin"); nothing to do"
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_chromium: apt-get not available; install Chromium by hand" >&2
  exit 2
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "install_chromium: need root or passwordless sudo to run apt-get" >&2
    exit 3
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
command -v chromium

#!/usr/bin/env bash
# Install everything the tests need and run the whole suite. This is the README's test
# command; CI (.ci/run) calls exactly this.
#  - Python packages into .venv (scripts/bootstrap.sh)
#  - Debian's Chromium for the browser tests (Playwright cannot download browsers here)
#  - Virtuoso Open Source, unpacked from Debian's packages (the Oxigraph server comes from PyPI)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  echo "Installerar Debians chromium för webbläsartesterna …"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
bash scripts/bootstrap.sh test
bash scripts/virtuoso.sh >/dev/null   # Virtuoso from Debian's packages, for the store tests
.venv/bin/ansvarsgraf validate --no-varningar
exec .venv/bin/python -m pytest "$@"

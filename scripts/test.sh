#!/usr/bin/env bash
# Install everything the tests need and run the whole suite. This is the README's test
# command; CI (.ci/run) calls exactly this.
#  - Python packages into .venv (scripts/bootstrap.sh)
#  - Debian's Chromium for the browser tests (Playwright cannot download browsers here)
#  - Virtuoso Open Source, unpacked from Debian's packages (the Oxigraph server comes from PyPI)
# All three stores (embedded, Oxigraph server, Virtuoso); `--stores inbyggd` is for quick local
# runs only. Time: 18 min in CI against a 20-min budget before issue 15 (1708 tests, 696 of them
# server instances). Tests where the store does not matter now run once on one embedded store
# (headers, privacy screen, route fuzzing, the matcher's own behaviours, gap-report pages, the
# source sweep), the wheel is built once, the bounded-queries search runs on the embedded
# store: 1395 tests, 392 server instances. Measured on a shared two-core machine at load 10
# (slower than CI): 414 server instances took 1043 s before the last two of these trims (gap
# pages, bounded-queries search: about 45 s more on the servers); what moved to one store
# cost about 70 s per store on the embedded one. The three-store figure is the next CI run's.
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
# Two workers (the CI machine has two cores); a file's tests stay in one worker (conftest.py).
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"

#!/usr/bin/env bash
# Install everything the tests need and run the whole suite. This is the README's test
# command; CI (.ci/run) calls exactly this.
#  - Python packages into .venv (scripts/bootstrap.sh)
#  - Debian's Chromium for the browser tests (Playwright cannot download browsers here)
#  - Virtuoso Open Source, unpacked from Debian's packages (the Oxigraph server comes from PyPI)
# All three stores (embedded, Oxigraph server, Virtuoso); `--stores inbyggd` is for quick local
# runs only. Two pytest-xdist workers; a file's tests stay in one worker, the pySHACL reference
# runs are shared by the two files that use them, the Chromium files run in one worker
# (tests/conftest.py). Measured on this two-core machine while other work ran on it (load 3-5):
# the suite one test at a time took 74 min, of which 25 min were pySHACL reference runs repeated
# per fixture date on the whole data and 10 min a benchmark smoke run held up by two gap rules
# (both fixed: the pySHACL runs are focused on the fixture files and shared, the rules run as
# OPTIONALs on the embedded engine); with both fixes and `-n 2`, 41 min at load 4-5. The CI
# budget is 20 min. Measured since (idle machine, pip cache warm, Virtuoso unpacked): 18.3 min of
# tests on 2026-12-05 morning (CI: 1,035 s in all); 15.6 min (934 s; 977 s in all) after the
# servers got the session's loaded data through the publisher and the reload/fault/revision
# tests stopped repeating loads and validations. On 2026-12-06 the host was slower (19.3 min
# of tests); shared fixtures, one shared server for the read-only SPARQL tests and shorter
# quote patterns (branch fart3) took it to 17.6 min (1,054 s; 18.5 min in all, pip cache warm,
# Virtuoso unpacked). With 13,400 example questions and an EMPTY matcher cache, as in CI (a fresh
# clone, ANSVARSGRAF_CACHE pointing at a new folder): 29.5 min in all on 2026-12-06 morning; after
# the question model's folds came from one factorisation and nothing trained twice, 18.6 min
# (tests 15.9 min, warm-up ~2 min); with 18,200 example questions, their vectors and the question
# model shipped in data/matchning/ and the matching evaluation scheduled first, 17.1 min (tests
# 16.3 min, warm-up seconds). `--junitxml=FILE` (forwarded to pytest) gives the per-test
# times that name the next cuts.
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
# One question builds the matchers' cache (the e5 graph, a few seconds) once, here, not in both
# workers at once inside the time limit of whichever test asks first. The texts' vectors and the
# question model come with the data (data/matchning/); before they did, this took three minutes
# on a machine without a cache (CI).
.venv/bin/ansvarsgraf ask "Vem kallar till SIP?" --kommun Timrå >/dev/null
# Two workers (the CI machine has two cores); a file's tests stay in one worker (conftest.py).
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"

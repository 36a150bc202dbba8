#!/usr/bin/env bash
# Install everything the tests need and run the whole suite. This is the README's test
# command; CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test
.venv/bin/ansvarsgraf validate --no-varningar
exec .venv/bin/python -m pytest "$@"

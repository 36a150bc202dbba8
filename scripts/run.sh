#!/usr/bin/env bash
# Install and start the product: web page and API on http://127.0.0.1:8000 with the
# bundled data in an embedded store. Extra arguments go to `ansvarsgraf serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/ansvarsgraf serve "$@"

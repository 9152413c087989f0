#!/usr/bin/env bash
# Set up everything the tests need, then run them: scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
bash scripts/install_browser.sh

export HF_HUB_OFFLINE=1
# pytest's exit code is the script's: 5 ("no tests were collected") is a failure too, since a
# broken collection or a selection that matches nothing tests nothing. exec: nothing is printed
# after pytest's summary line, so CI's log ends with it.
exec .venv/bin/pytest -q -ra "$@"

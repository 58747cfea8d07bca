#!/usr/bin/env bash
# Sets everything up, then runs the sandbox: the real bot against a local fake Telegram,
# with a web page at http://127.0.0.1:8081/ (pass --port N to change it).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
bash scripts/setup.sh
exec .venv/bin/supportbot sandbox "$@"

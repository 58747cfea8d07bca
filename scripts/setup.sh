#!/usr/bin/env bash
# Sets up everything supportbot needs in ./.venv (idempotent; safe to run again).
# Torch is pinned to the CPU build first: an unpinned torch pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
PIP=".venv/bin/python -m pip"
$PIP install -q --upgrade pip
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  $PIP install -q torch==2.13.0
fi
$PIP install -q -e ".[dev]"
echo "supportbot is installed in .venv (activate with: . .venv/bin/activate)"

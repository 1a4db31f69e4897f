#!/usr/bin/env bash
# pywb in its own venv (.venv-pywb, Python 3.11; it pins gevent and an older warcio API, so never in .venv):
# used only by the bundle replay test (tests/bundle/test_replay_bundles.py), which skips without it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYWB_VENV=${EVIDENCE_PYWB_VENV:-.venv-pywb}
PYWB_VERSION=2.10.0
if [ -x "$PYWB_VENV/bin/wayback" ]; then exit 0; fi
python3.11 -m venv "$PYWB_VENV"
"$PYWB_VENV/bin/pip" install -q "pywb==$PYWB_VERSION"
echo "pywb $PYWB_VERSION installed in $PYWB_VENV"

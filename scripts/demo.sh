#!/usr/bin/env bash
# make demo: serve the bundled allofmp3-style demo shop on loopback, capture it, verify the capture.
set -euo pipefail
cd "$(dirname "$0")/.."
EC=.venv/bin/evidence-crawler
STORE=${EVIDENCE_STORE:-./evidence-store}
PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$EC demo-site --shop allofmp3 --port "$PORT" >/dev/null 2>&1 &
SITE=$!
trap 'kill $SITE 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/robots.txt', timeout=1)" \
    2>/dev/null && break
  sleep 0.1
done
echo "demo shop: http://127.0.0.1:$PORT/ (allofmp3-style, windows-1251)"
# --allow-private: the demo shop is on loopback, which is refused by default (and recorded when allowed)
$EC --store "$STORE" crawl evidence_crawler/profiles/allofmp3-demo.yaml --start-url "http://127.0.0.1:$PORT/" \
  --allow-private --json > "$STORE.last-crawl.json"
ID=$(.venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1]))['capture_id'])" "$STORE.last-crawl.json")
$EC --store "$STORE" captures verify "$ID"
.venv/bin/python - "$STORE.last-crawl.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"\ncapture {s['capture_id']}: {s['state']}, {s['pages']} pages, {s['items']} albums, "
      f"{s['offers']} offers, {s['p2p']} P2P links, {len(s['errors'])} errors (kept as evidence)")
print(f"store:     {s['store']}")
print(f"manifest:  {s['manifest']}")
for w in s["warc_files"]:
    print(f"WARC:      {w}")
print(f"custody:   {s['store']}/custody.jsonl")
print(f"\nnext: evidence-crawler --store {s['store']} items {s['capture_id']} | head")
print(f"      evidence-crawler --store {s['store']} captures show {s['capture_id']}")
PY

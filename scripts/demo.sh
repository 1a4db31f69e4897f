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
# A local RFC 3161 TSA on loopback (a throwaway CA: for the demo only, never trusted), started before the
# crawl: the sealed manifest gets its seal-time token from it, and the export its bundle token.
TSA_DIR="$STORE.demo-tsa"
mkdir -p "$TSA_DIR"
: > "$TSA_DIR/url"
.venv/bin/python -m evidence_crawler.demo.tsa --dir "$TSA_DIR" > "$TSA_DIR/url" 2>/dev/null &
TSA=$!
trap 'kill $SITE $TSA 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$TSA_DIR/url" ] && break; sleep 0.1; done
export EVIDENCE_TSA_URLS
EVIDENCE_TSA_URLS=$(cat "$TSA_DIR/url")
# the operator's signing key, so the capture is signed at seal too (export would create it later)
$EC --store "$STORE" keys show >/dev/null 2>&1 || $EC --store "$STORE" keys init >/dev/null
# --allow-private: the demo shop is on loopback, which is refused by default (and recorded when allowed)
$EC --store "$STORE" crawl evidence_crawler/profiles/allofmp3-demo.yaml --start-url "http://127.0.0.1:$PORT/" \
  --allow-private --json > "$STORE.last-crawl.json"
ID=$(.venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1]))['capture_id'])" "$STORE.last-crawl.json")
$EC --store "$STORE" captures verify "$ID"
.venv/bin/python - "$STORE.last-crawl.json" <<'PY'
import json, sys
from evidence_crawler.models import ErrorTally
s = json.load(open(sys.argv[1]))
print(f"\ncapture {s['capture_id']}: {s['state']}, {s['pages']} pages, {s['items']} albums, "
      f"{s['offers']} offers, {s['p2p']} P2P links")
print(f"requests:  {ErrorTally.of(s['errors']).text()} (all listed in errors.jsonl, kept as evidence)")
print(f"store:     {s['store']}")
print(f"manifest:  {s['manifest']}")
for t in s["seal_anchor"]["tokens"]:
    print(f"sealed at: {t['gen_time']} by the local demo TSA (seal-time token {t['name']})")
if s["seal_anchor"]["signature"]:
    print(f"signed:    {s['seal_anchor']['signature']['fingerprint']} (at seal)")
for w in s["warc_files"]:
    print(f"WARC:      {w}")
print(f"custody:   {s['store']}/custody.jsonl")
print(f"\nnext: evidence-crawler --store {s['store']} items {s['capture_id']} | head")
print(f"      evidence-crawler --store {s['store']} ui     # the workbench: open the URL it prints")
print(f"\nworkbench: .venv/bin/evidence-crawler --store {s['store']} ui, then open http://127.0.0.1:8765/ "
      f"(captures, items with the archived page replayed, search, diff, export, verify)")
print(f"      evidence-crawler --store {s['store']} captures show {s['capture_id']}")
PY
if [ -n "${EVIDENCE_S3_BUCKET:-}" ]; then
  # the crawl queued and uploaded the sealed capture (S3 from AWS_ENDPOINT_URL / AWS_* / AWS_PROFILE)
  echo
  $EC --store "$STORE" archive status "$ID"
  $EC --store "$STORE" archive verify "$ID"
fi

# Evidence bundle: export the capture as a signed, timestamped WACZ with its report, and check it offline.
BUNDLE="$STORE/exports/$ID.wacz"
$EC --store "$STORE" export "$ID" -o "$BUNDLE" \
  --case-ref "DEMO-$ID" --title "AllOfMP3-style demo shop" --json > "$STORE.last-export.json"
echo
# the demo's own key, pinned (a reader pins the fingerprint the operator gave them apart from the bundle)
FINGERPRINT=$(.venv/bin/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["key_fingerprint"])' \
  "$STORE.last-export.json")
$EC verify "$BUNDLE" --tsa-ca "$TSA_DIR/tsa-ca.pem" --expect-key "$FINGERPRINT"
.venv/bin/python - "$STORE.last-export.json" "$TSA_DIR/tsa-ca.pem" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
print(f"\nevidence bundle: {e['bundle']}")
print(f"  sha256 {e['sha256']}, {e['size']} bytes, signed by {e['key_fingerprint']}")
for t in e["timestamps"]:
    print(f"  timestamp {t['gen_time']} from {t['url']} (local demo TSA; its root: {sys.argv[2]})")
print(f"  report: unzip -p {e['bundle']} evidence/report.pdf > report.pdf   (or evidence/report.html)")
print(f"  check it: evidence-crawler verify {e['bundle']} --tsa-ca {sys.argv[2]} --expect-key {e['key_fingerprint']}; "
      "steps with standard tools: "
      f"unzip -p {e['bundle']} evidence/VERIFY.txt")
PY

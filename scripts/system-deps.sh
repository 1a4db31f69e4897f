#!/usr/bin/env bash
# System packages for browser capture: Chromium (rendering, `capture URL`, Chromium PDF printing) and
# poppler-utils (pdftoppm, used by the tests to check that captured PDFs render); redis-server for the
# distributed-crawling tests and bench (each starts its own on a free loopback port); dnsmasq-base for the
# intermediaries tests (a real DNS server with a test zone on a free loopback port); uhub,
# eiskaltdcpp-daemon and rhash for the P2P hub survey tests, librhash for ADC's Tiger hash. Installed from Debian
# only when running as root with apt-get and something is missing; otherwise says what to install and
# carries on (the browser tests then skip with that reason). EVIDENCE_SKIP_SYSTEM_DEPS=1 skips this.
set -euo pipefail
[ "${EVIDENCE_SKIP_SYSTEM_DEPS:-0}" = 1 ] && exit 0
need=()
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null \
   && ! command -v google-chrome >/dev/null \
   && ! compgen -G "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}/chromium-*/chrome-linux*/chrome" >/dev/null; then
  need+=(chromium)
fi
command -v pdftoppm >/dev/null || need+=(poppler-utils)
command -v openssl >/dev/null || need+=(openssl)  # the local test TSA (`openssl ts -reply`), VERIFY.txt steps
command -v redis-server >/dev/null || need+=(redis-server)  # distributed crawling tests and bench (own port)
command -v unshare >/dev/null || need+=(util-linux)  # WebRTC test: renders in a network namespace of its own
command -v ip >/dev/null || need+=(iproute2)  # ... brings its loopback up
[ -x /usr/sbin/dnsmasq ] || command -v dnsmasq >/dev/null || need+=(dnsmasq-base)  # intermediaries tests: a real DNS server (own port)
command -v uhub >/dev/null || need+=(uhub)  # P2P hub survey tests: a real ADC hub (own config, own port)
command -v eiskaltdcpp-daemon >/dev/null || need+=(eiskaltdcpp-daemon)  # hub tests: a real DC client sharing files
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need+=(nginx-light)  # `make bench`: a private nginx serves the corpus
command -v rhash >/dev/null || need+=(rhash)  # TTH for the hub tests; pulls librhash (ADC CID = Tiger(PID), p2phub/tiger.py)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "note: missing ${need[*]}: browser capture and its tests need them." >&2
  echo "      as root: apt-get install -y ${need[*]}   (or: .venv/bin/playwright install chromium)" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"

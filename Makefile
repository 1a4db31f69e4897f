# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BENCH_CAPTURES ?= 1000

.PHONY: setup system-deps replay-assets bytecode pywb demo test test-quick lint bench lock clean

setup: system-deps $(STAMP) replay-assets bytecode

# The project's own modules compiled once (pip compiles installed packages, not an editable checkout):
# with PYTHONDONTWRITEBYTECODE set, every command otherwise recompiled them at each start (verify's
# start-up 0.45 s -> 0.33 s). A module edited later is recompiled in memory until the next `make setup`.
bytecode: $(STAMP)
	$(PY) -m compileall -q evidence_crawler pipelines spiders storage > /dev/null

# the workbench's pinned ReplayWeb.page (npm tarball, sha512 checked) into $(VENV)/share; no-op when present
replay-assets: $(STAMP)
	$(PY) scripts/fetch_replaywebpage.py

# pywb in its own venv (.venv-pywb), for the bundle replay test; `make test` installs it, and a failed
# install (no registry) only makes that test skip with its reason, hence the leading "-"
pywb:
	-bash scripts/pywb-venv.sh

# Chromium + poppler-utils from Debian when root and missing (browser capture); see the script
system-deps:
	bash scripts/system-deps.sh

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

demo: setup
	bash scripts/demo.sh

test: setup pywb
	$(PY) -m pytest -q -p no:cacheprovider

# the same minus the end-to-end tests marked slow (browser, Redis, S3, bundles; 5 s and more each): ~2-3 minutes
test-quick: setup
	$(PY) -m pytest -q -p no:cacheprovider -m "not slow"

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) bench/peer.py --setup               # bench/.venv: scrapy-webarchive (the crawl peer), never in .venv
	$(PY) bench/run.py                        # crawl: bare Scrapy vs evidence crawl vs scrapy-webarchive; hashing
	$(PY) bench/bigshop.py                    # RSS growth 5,000 -> 20,000 pages, generated shop on nginx
	$(PY) bench/upload.py                     # S3: archiver vs plain boto3 upload_file (local moto_server)
	$(PY) bench/verify.py                     # bundle verify vs openssl dgst -sha256 (>= 200 MB bundle)
	$(PY) bench/bundle.py                     # books bundle: export vs wacz create; verify vs wacz validate + warcio check
	$(PY) bench/browser.py --captures $(BENCH_CAPTURES)  # browser capture vs bare Playwright
	$(PY) bench/distributed.py                # pages/s: local crawl, 1 and 2 Redis workers
	$(PY) bench/match.py                      # repertoire: 100k works x 20k items, blocked vs naive all-pairs
	$(PY) bench/ui.py                         # workbench: capture/item/search pages on a 10,000-item capture

# Re-resolve pinned versions after editing pyproject.toml dependencies.
lock:
	$(PY) -m pip install -q uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev -o requirements.lock

clean:
	rm -rf $(VENV) evidence-store build *.egg-info

"""A fast-enough static file server on a free loopback port (the books.toscrape.com corpus mirror)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOKS = ROOT.parent / "shared" / "corpus" / "books.toscrape.com"


class _QuietStatic(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass


def serve_folder(folder: Path) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietStatic, directory=str(folder)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def books_site_fixture() -> Iterator[str]:
    """Needs ../shared/corpus/books.toscrape.com (next to the project root); skips with the reason if absent."""
    if not (BOOKS / "ground_truth.jsonl").is_file():
        pytest.skip(f"books corpus absent: {BOOKS} (see ../shared/corpus/books.toscrape.com/SOURCE.md)")
    yield from serve_folder(BOOKS)

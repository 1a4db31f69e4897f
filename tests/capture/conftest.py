"""A capture session on a tmp store, driven directly (no Scrapy): what a non-Scrapy collector would do."""

from __future__ import annotations

import pytest

from evidence_crawler.capture.session import CaptureSession
from evidence_crawler.models import PageRecord
from evidence_crawler.profile import load_profile
from evidence_crawler.timeutil import iso
from evidence_crawler.warc import Exchange
from storage.local import LocalStore
from tests.conftest import PROFILES

SETTINGS = {"EVIDENCE_WARC_ROTATE_BYTES": 1 << 30, "USER_AGENT": "capture-test", "EVIDENCE_OPERATOR": "tester"}


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "store")


@pytest.fixture
def profile():
    return load_profile(PROFILES / "allofmp3-demo.yaml")


@pytest.fixture
def new_session(store, profile):
    def make(capture_id: str | None = None, resuming: bool = False) -> CaptureSession:
        return CaptureSession(store, profile, dict(SETTINGS), capture_id=capture_id, resuming=resuming)
    return make


def record_page(session: CaptureSession, url: str, body: bytes) -> str:
    """One exchange into the WARC and its page line (as the WARC recorder middleware does); body sha256."""
    fetched_at = iso()

    def on_written(w) -> None:
        session.pages.append(PageRecord(
            url=url, status=200, fetched_at=fetched_at, received_at=iso(), ip="127.0.0.1", sha256=w.body.sha256,
            blake3=w.body.blake3, size=w.body.size, warc_file=w.warc_file, warc_offset=w.offset,
            warc_length=w.length, record_id=w.record_id, request_record_id=w.request_record_id,
        ).model_dump(exclude_none=True))

    _record_id, sha = session.warc.write_exchange(Exchange(
        url=url, method="GET", request_headers=[("Host", "shop")], request_body=b"", status=200,
        protocol="HTTP/1.1", response_headers=[("Content-Type", "text/html")], body=body, fetched_at=fetched_at,
        ip="127.0.0.1", extra_warc_headers={}), on_written)
    return sha

"""ResumeReplayMiddleware: resuming a capture answers already-recorded URLs from its own WARC files.

In a distributed capture the same goes for the pages a dead worker recorded: its part was salvaged, and the
worker that takes over one of its requests parses the recorded bytes (the page stays in the dead worker's
WARC, which the merged capture holds) instead of fetching the page a second time.

Why not Scrapy's JOBDIR alone: after ``kill -9`` the requests that were in flight are already marked
seen in JOBDIR while their responses never arrived, so they would be silently skipped on resume, and
the disk queue's bookkeeping is only written on a clean close. Re-crawling from the start URLs while
replaying every response this capture already holds rebuilds the whole frontier from the evidence
itself, never fetches a recorded page twice, and loses nothing that was in flight.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.models import PageRef
from evidence_crawler.warc.dechunk import Dechunker
from pipelines.session import CaptureSessionExtension

REPLAYABLE = range(200, 500)  # 5xx and 429 are fetched again: they may have been transient
RETRY_AGAIN = {429}


class ResumeReplayMiddleware:
    def __init__(self, crawler) -> None:
        self.capture = crawler.get_extension(CaptureSessionExtension)
        # set by a distributed worker: what a dead worker recorded (distributed.salvage)
        self.salvaged: Callable[[str], dict[str, Any] | None] | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        session = self.capture.session if self.capture is not None else None
        salvaged = self.salvaged
        if session is None or not (session.recorded or salvaged):
            return None
        canon = canonicalize_url(request.url)
        page = session.recorded.get(canon) or (salvaged(canon) if salvaged else None)
        if page is None or page["status"] not in REPLAYABLE or page["status"] in RETRY_AGAIN:
            return None
        path = page.get("warc_path") or session.work / "warc" / page["warc_file"]
        with open(path, "rb") as fh:
            fh.seek(page["warc_offset"])
            record = next(iter(ArchiveIterator(fh)))
            status, headers, body = _as_parsed(record)
        cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        request.meta["evidence_replayed"] = True
        request.meta["evidence_page"] = PageRef(sha256=page["sha256"], record_id=page["record_id"],
                                                fetched_at=page["fetched_at"])
        return cls(url=request.url, status=status, headers=headers, body=body, request=request,
                   ip_address=None, protocol=record.http_headers.protocol)


def _as_parsed(record) -> tuple[int, Headers, bytes]:
    """Status, headers and body of a recorded response as the parser gave them during the crawl: a
    chunked body de-chunked (still content-encoded) and its Transfer-Encoding header gone, as Twisted does."""
    fields = record.http_headers.headers
    body = record.raw_stream.read()
    te = [v for k, v in fields if k.lower() == "transfer-encoding"]
    if te and te[0].strip().lower() == "chunked":
        dechunk = Dechunker(keep=True)
        dechunk.feed(body)
        body = bytes(dechunk.body)
        fields = [(k, v) for k, v in fields if k.lower() != "transfer-encoding"]
    return int(record.http_headers.get_statuscode()), Headers(fields), body

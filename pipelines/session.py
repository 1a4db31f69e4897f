"""CaptureSession: the one capture a crawler is writing, shared by the evidence components.

Created by :class:`CaptureSessionExtension` when the spider opens (extensions are built before the
downloader and the pipelines, so every other component finds it on ``crawler.evidence_session``). It owns
the capture's working files; sealing turns them into content-addressed artifacts (``pipelines.seal``).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from w3lib.url import canonicalize_url

from evidence_crawler.custody import CustodyLedger
from evidence_crawler.models import CaptureError, CaptureState, Item
from evidence_crawler.profile import LoadedProfile
from evidence_crawler.timeutil import iso
from evidence_crawler.warc import RotatingWarcWriter, truncate_torn_tail
from storage.local import LocalStore, atomic_write

CAPTURE_SETTINGS = ("USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_MAXSIZE", "DOWNLOAD_TIMEOUT", "REDIRECT_MAX_TIMES",
                    "RETRY_TIMES", "RETRY_HTTP_CODES", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
                    "AUTOTHROTTLE_ENABLED", "AUTOTHROTTLE_TARGET_CONCURRENCY", "DOWNLOAD_DELAY", "DEPTH_LIMIT",
                    "CLOSESPIDER_PAGECOUNT", "COOKIES_ENABLED", "EVIDENCE_ALLOW_PRIVATE",
                    "EVIDENCE_IGNORE_ROBOTS", "EVIDENCE_WARC_ROTATE_BYTES", "JOBDIR",
                    "EVIDENCE_SCHEDULE", "EVIDENCE_S3_ALLOW_UNLOCKED", "EVIDENCE_PART_OF")


class JsonLines:
    """Append-only JSON lines; a torn last line (process killed mid-write) is cut on reopen."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        if path.exists():
            data = path.read_bytes()
            keep = data.rfind(b"\n") + 1
            if keep < len(data):
                os.truncate(path, keep)
            self.count = data[:keep].count(b"\n")
        self._fh = open(path, "ab")

    def append(self, obj: dict[str, Any]) -> None:
        self._fh.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
        self._fh.flush()
        self.count += 1

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()


def _complete_lines(path: Path):
    if path.exists():
        for line in path.read_bytes().splitlines(keepends=True):
            if line.endswith(b"\n"):
                yield json.loads(line)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write(path, b"".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
                                for r in rows))


class CaptureSession:
    def __init__(self, store: LocalStore, profile: LoadedProfile, settings: dict[str, Any],
                 capture_id: str | None = None, resuming: bool = False) -> None:
        self.store = store
        self.ledger = CustodyLedger(store.root)
        self.loaded = profile
        self.settings = settings
        self.resuming = resuming
        self.capture_id = capture_id or store.new_capture_id(profile.profile.name)
        self.dir = store.capture_dir(self.capture_id)
        self.work = self.dir / "work"
        self.dns: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []
        self.items_counted = 0
        self.offers_counted = 0
        self.p2p_counted = 0
        self._seen_items: dict[tuple[str, str], str] = {}
        self.recorded: dict[str, dict[str, Any]] = {}  # on resume: canonical URL -> page already in WARC
        self.state = CaptureState.CAPTURING
        self.started_at = iso()
        self.seal_result: dict[str, Any] | None = None
        self.failure_reason: str | None = None
        self.on_failure: Callable[[], None] = lambda: None  # set by the extension: stop the crawl
        # added by optional components (browser rendering): more sealed files, more manifest sections
        self.extra_artifacts: list[tuple[Path, str]] = []  # (working file, artifact role)
        self.extra_manifest: dict[str, Any] = {}
        # a worker's share of a distributed capture (sealed on its own, merged by the coordinator)
        self.part_of: str | None = settings.get("EVIDENCE_PART_OF") or None

    # --- lifecycle -----------------------------------------------------------------------------
    def open(self) -> None:
        if self.resuming:
            state = self.store.read_state(self.capture_id)
            if state["state"] not in (CaptureState.CAPTURING, CaptureState.INCOMPLETE):
                raise RuntimeError(f"capture {self.capture_id} is {state['state']}; only an incomplete "
                                   "capture can be resumed")
            self.started_at = state["started_at"]
            self._prepare_resume()
        self.work.mkdir(parents=True, exist_ok=True)
        self._write_state(CaptureState.CAPTURING)
        if not self.resuming:
            (self.work / "profile.yaml").write_text(self.loaded.text, encoding="utf-8")
            self.ledger.append("capture_started", self.capture_id, profile=self.loaded.profile.name,
                               profile_sha256=self.loaded.sha256, pid=os.getpid(), host=socket.gethostname(),
                               operator=self.settings.get("EVIDENCE_OPERATOR", ""),
                               **({"part_of": self.part_of} if self.part_of else {}))
        self.pages = JsonLines(self.work / "pages.jsonl")
        self.items = JsonLines(self.work / "items.jsonl")
        self.error_log = JsonLines(self.work / "errors.jsonl")
        if self.resuming:
            self._reload_items_and_errors()
        self.warc = RotatingWarcWriter(
            self.work / "warc", self.capture_id, int(self.settings["EVIDENCE_WARC_ROTATE_BYTES"]),
            {"software": f"evidence-crawler (scrapy {self.settings.get('_SCRAPY_VERSION', '')})",
             "format": "WARC File Format 1.1",
             "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
             "isPartOf": self.capture_id, "operator": self.settings.get("EVIDENCE_OPERATOR", ""),
             "robots": "ignore" if self.settings.get("EVIDENCE_IGNORE_ROBOTS") else "obey",
             "http-header-user-agent": self.settings.get("USER_AGENT", "")},
        )

    def _prepare_resume(self) -> None:
        """Repair what a killed writer left: a torn WARC tail, and items whose page never reached the WARC.

        Records are written by a background thread, so a kill can leave an item (extracted at once) whose
        page record was still queued. Such items are dropped here; their page is fetched again and they
        are extracted again. Both repairs are stated in the ``capture_resumed`` custody event.
        """
        torn = {p.name: truncate_torn_tail(p) for p in sorted((self.work / "warc").glob("*.warc.gz"))}
        sizes = {p.name: p.stat().st_size for p in (self.work / "warc").glob("*.warc.gz")}
        for page in _complete_lines(self.work / "pages.jsonl"):
            if page["warc_offset"] + page["warc_length"] <= sizes.get(page["warc_file"], -1):
                self.recorded[canonicalize_url(page["url"])] = page
        recorded_bodies = {p["sha256"] for p in self.recorded.values()}
        items = list(_complete_lines(self.work / "items.jsonl"))
        kept = [i for i in items if i["page_sha256"] in recorded_bodies]
        if len(kept) != len(items):
            write_jsonl(self.work / "items.jsonl", kept)
        self.ledger.append("capture_resumed", self.capture_id, pid=os.getpid(),
                           torn_bytes_cut={k: v for k, v in torn.items() if v},
                           items_dropped_unrecorded_page=len(items) - len(kept))

    def _reload_items_and_errors(self) -> None:
        for item in _complete_lines(self.work / "items.jsonl"):
            self._remember(Item(**item))
            self._count(item)
        self.errors.extend(_complete_lines(self.work / "errors.jsonl"))

    def _write_state(self, state: CaptureState, **extra: Any) -> None:
        self.state = state
        self.store.write_state(self.capture_id, {
            "capture_id": self.capture_id, "profile": self.loaded.profile.name, "state": str(state),
            "pid": os.getpid(), "host": socket.gethostname(), "started_at": self.started_at,
            "updated_at": iso(), **({"part_of": self.part_of} if self.part_of else {}), **extra,
        })

    def close_files(self) -> None:
        """Drain the WARC writer first (it appends page lines), then close the line files."""
        try:
            self.warc.close()
        finally:
            for jl in (self.pages, self.items, self.error_log):
                jl.close()

    def fail(self, reason: str) -> None:
        self.state = CaptureState.FAILED
        self.failure_reason = reason
        try:
            self.close_files()
        except OSError:
            pass  # the disk that failed the capture may fail this too; the state below still says why
        try:
            self._write_state(CaptureState.FAILED, reason=reason)
            self.ledger.append("capture_failed", self.capture_id, reason=reason)
        except OSError:
            pass  # state.json still says "capturing" with a dead pid: listed as incomplete, never sealed

    # --- recording -----------------------------------------------------------------------------
    @property
    def writable(self) -> bool:
        return self.state is CaptureState.CAPTURING

    def _append(self, jl: JsonLines, obj: dict[str, Any]) -> None:
        try:
            jl.append(obj)
        except OSError as exc:
            self.fail(f"writing evidence failed: {exc}")
            self.on_failure()
            raise

    def record_item(self, item: Item) -> Item:
        """Write the item; an identical item already seen under another URL is flagged, not counted."""
        if not self.writable:
            return item  # the capture already failed; nothing more is written into it
        seen_key = item.identity()
        first = self._seen_items.get(seen_key)
        if first is not None and first != item.url:
            item = item.model_copy(update={"duplicate_of": first})
        elif first is None:
            self._seen_items[seen_key] = item.url
        elif first == item.url:
            return item  # same page fetched twice (retry after resume): already recorded
        data = item.model_dump(exclude_none=True)
        self._append(self.items, data)
        self._count(data)
        return item

    def _remember(self, item: Item) -> None:
        self._seen_items.setdefault(item.identity(), item.duplicate_of or item.url)

    def _count(self, item: dict[str, Any]) -> None:
        if item.get("duplicate_of"):
            return
        if item.get("kind") in ("p2p", "p2p_server"):
            self.p2p_counted += 1
        else:
            self.items_counted += 1
            self.offers_counted += len(item.get("offers", []))

    def record_error(self, url: str, kind: str, message: str) -> None:
        err = CaptureError(url=url, kind=kind, message=message, at=iso()).model_dump()
        self.errors.append(err)
        if self.writable:
            self._append(self.error_log, err)

    def summary(self) -> dict[str, Any]:
        return {"capture_id": self.capture_id, "state": str(self.state), "profile": self.loaded.profile.name,
                "pages": self.pages.count, "items": self.items_counted, "offers": self.offers_counted,
                "p2p": self.p2p_counted, "errors": self.errors, "store": str(self.store.root),
                **({"reason": self.failure_reason} if self.failure_reason else {}),
                **(self.seal_result or {})}


class CaptureSessionExtension:
    """Opens the capture when the spider opens; seals it (or marks it failed) when the spider closes."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("EVIDENCE_STORE"):
            raise NotConfigured("EVIDENCE_STORE is not set")
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        import scrapy

        settings = {k: self.crawler.settings.get(k) for k in CAPTURE_SETTINGS}
        settings.update({k: self.crawler.settings.get(k) for k in ("EVIDENCE_OPERATOR", "EVIDENCE_STORE")})
        settings["RETRY_HTTP_CODES"] = list(self.crawler.settings.getlist("RETRY_HTTP_CODES"))
        settings["_SCRAPY_VERSION"] = scrapy.__version__
        resume = self.crawler.settings.get("EVIDENCE_RESUME_CAPTURE")
        session = CaptureSession(LocalStore(self.crawler.settings["EVIDENCE_STORE"]), spider.loaded_profile,
                                 settings, capture_id=resume or self.crawler.settings.get("EVIDENCE_CAPTURE_ID"),
                                 resuming=bool(resume))
        session.on_failure = lambda: self.crawler.engine.close_spider(spider, "evidence_write_failed")
        session.open()
        self.crawler.evidence_session = session
        spider.logger.info("evidence capture %s in %s", session.capture_id, session.dir)

    def spider_closed(self, spider, reason: str) -> None:
        from pipelines.seal import seal_capture

        session: CaptureSession | None = getattr(self.crawler, "evidence_session", None)
        if session is None:
            return
        if session.state is not CaptureState.CAPTURING:
            return  # already failed (disk full): never seal a capture that lost data
        if reason == "shutdown":
            # Ctrl-C / SIGTERM: keep it unsealed and resumable rather than seal a truncated crawl
            session.close_files()
            session.ledger.append("capture_interrupted", session.capture_id, reason=reason)
            return
        try:
            seal_capture(session, finish_reason=reason)
        except OSError as exc:
            session.fail(f"writing evidence failed: {exc}")

"""CaptureSession: the one capture a process is writing, and everything written into it.

It owns the capture's working files (WARC writer, the pages/items/errors line files, the profile copy),
the item tally, the DNS answers and the errors, and moves the capture through its states
(``capture.states``). Callers only record into it (items, errors, DNS answers, extra artifacts and
manifest sections); sealing turns its files into content-addressed artifacts (``capture.seal``).
A write that fails (disk full) fails the capture at once: a capture that lost data is never sealed,
and its failure is recorded with the space reserved for it (``capture.states``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evidence_crawler.capture.anchor import SealAnchor
from evidence_crawler.capture.conditions import ConditionChecks
from evidence_crawler.capture.linefiles import JsonLines
from evidence_crawler.capture.resume import repair_work
from evidence_crawler.capture.sealstate import repair_sealed, sealed_event
from evidence_crawler.capture.states import FAILED_MARKER, INIT, RESERVE, StateFile, check, unrecorded_failure
from evidence_crawler.capture.tally import ItemTally
from evidence_crawler.custody import CustodyLedger
from evidence_crawler.durable import iter_jsonl, release_space, reserve_space
from evidence_crawler.models import CaptureError, CaptureState, ErrorTally, EventKind, Item
from evidence_crawler.profile import LoadedProfile
from evidence_crawler.timeutil import iso
from evidence_crawler.warc import RotatingWarcWriter
from storage.local import LocalStore

# The settings that affect what a capture holds: stated in its manifest
CAPTURE_SETTINGS = ("USER_AGENT", "ROBOTSTXT_OBEY", "DOWNLOAD_MAXSIZE", "DOWNLOAD_TIMEOUT", "REDIRECT_MAX_TIMES",
                    "RETRY_TIMES", "RETRY_HTTP_CODES", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN",
                    "AUTOTHROTTLE_ENABLED", "AUTOTHROTTLE_TARGET_CONCURRENCY", "DOWNLOAD_DELAY", "DEPTH_LIMIT",
                    "CLOSESPIDER_PAGECOUNT", "COOKIES_ENABLED", "EVIDENCE_ALLOW_PRIVATE",
                    "EVIDENCE_IGNORE_ROBOTS", "EVIDENCE_WARC_ROTATE_BYTES", "JOBDIR",
                    "EVIDENCE_SCHEDULE", "EVIDENCE_S3_ALLOW_UNLOCKED", "EVIDENCE_PART_OF", "HTTPCACHE_ENABLED",
                    # the intermediaries step (capture/intermediaries.py): which bootstrap, how long
                    "EVIDENCE_INTERMEDIARIES", "EVIDENCE_RDAP_BOOTSTRAP", "EVIDENCE_INTERMEDIARIES_TIMEOUT_S")
# Read by the capture's condition checks (capture.conditions) and, for the resolvers, by the intermediaries
# step and the crawl's own name resolution; stated in the manifest's settings too (redacted)
CONDITION_SETTINGS = ("EVIDENCE_PUBLIC_IP_URLS", "EVIDENCE_NTP_SERVERS", "EVIDENCE_DNS_RESOLVERS")


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
        self.state_file = StateFile(store, self.capture_id)
        self.state: str = INIT
        self.dns: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []
        self.tally = ItemTally()
        self.recorded: dict[str, dict[str, Any]] = {}  # on resume: canonical URL -> page already in WARC
        self.started_at = iso()
        self.seal_result: dict[str, Any] | None = None
        self.failure_reason: str | None = None
        self.on_failure: Callable[[], None] = lambda: None  # set by whoever runs the crawl: stop it
        # added by optional components (browser rendering, distributed): more sealed files, manifest sections
        self.extra_artifacts: list[tuple[Path, str]] = []  # (working file, artifact role)
        self.extra_manifest: dict[str, Any] = {}
        # a worker's share of a distributed capture (sealed on its own, merged by the coordinator)
        self.part_of: str | None = settings.get("EVIDENCE_PART_OF") or None
        self.anchor = SealAnchor()  # seal-time token and signature: set by whoever runs the crawl
        # the conditions of the capture (capture.conditions): network checks started by open(), and what the
        # crawl's components counted (cookies in the jars at start) or stated (the browser's clean state)
        self.checks: ConditionChecks | None = None
        self.cookies_in: int | None = None
        self.browser_clean_state: str | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    def open(self) -> None:
        if self.resuming:
            state = self.state_file.read()
            sealed = sealed_event(self.store, self.capture_id)
            if sealed is not None and state["state"] in (CaptureState.CAPTURING, CaptureState.INCOMPLETE):
                state = repair_sealed(self.store, self.capture_id, state, sealed)  # never sealed twice
            current = CaptureState.FAILED if unrecorded_failure(self.dir) is not None else state["state"]
            if current not in (CaptureState.CAPTURING, CaptureState.INCOMPLETE):
                raise RuntimeError(f"capture {self.capture_id} is {current}; only an incomplete "
                                   "capture can be resumed")
            self.started_at = state["started_at"]
            repair = repair_work(self.work)
            self.recorded = repair.recorded
            self.ledger.append(EventKind.CAPTURE_RESUMED, self.capture_id, pid=os.getpid(),
                               torn_bytes_cut=repair.torn_bytes_cut,
                               items_dropped_unrecorded_page=repair.items_dropped)
        self.work.mkdir(parents=True, exist_ok=True)
        reserve_space(self.dir / RESERVE)
        self.transition(CaptureState.CAPTURING)
        self.checks = ConditionChecks(self.settings).start()  # public IP, clock: in the background, bounded
        if not self.resuming:
            (self.work / "profile.yaml").write_text(self.loaded.text, encoding="utf-8")
            self.ledger.append(EventKind.CAPTURE_STARTED, self.capture_id, profile=self.loaded.profile.name,
                               profile_sha256=self.loaded.sha256, pid=os.getpid(), host=socket.gethostname(),
                               operator=self.settings.get("EVIDENCE_OPERATOR", ""),
                               **({"part_of": self.part_of} if self.part_of else {}))
        self.pages = JsonLines(self.work / "pages.jsonl")
        self.items = JsonLines(self.work / "items.jsonl")
        self.error_log = JsonLines(self.work / "errors.jsonl")
        if self.resuming:
            for item in iter_jsonl(self.items.path):
                self.tally.remember(Item(**item))
            self.errors.extend(iter_jsonl(self.error_log.path))
        self._warcinfo = {"software": f"evidence-crawler (scrapy {self.settings.get('_SCRAPY_VERSION', '')})",
             "format": "WARC File Format 1.1",
             "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
             "isPartOf": self.capture_id, "operator": self.settings.get("EVIDENCE_OPERATOR", ""),
             "robots": "ignore" if self.settings.get("EVIDENCE_IGNORE_ROBOTS") else "obey",
             "http-header-user-agent": self.settings.get("USER_AGENT", "")}
        self.reopen_warc()

    def reopen_warc(self) -> None:
        """A writer on the next WARC file of this capture (after a step that had to read the WARCs back)."""
        self.warc = RotatingWarcWriter(self.work / "warc", self.capture_id,
                                       int(self.settings["EVIDENCE_WARC_ROTATE_BYTES"]), self._warcinfo)

    def transition(self, state: CaptureState, **extra: Any) -> None:
        """Move to ``state`` in ``state.json`` (IllegalTransition if the lifecycle forbids it)."""
        self.state_file.write({
            "capture_id": self.capture_id, "profile": self.loaded.profile.name, "state": str(state),
            "pid": os.getpid(), "host": socket.gethostname(), "started_at": self.started_at,
            "updated_at": iso(), **({"part_of": self.part_of} if self.part_of else {}), **extra,
        })
        self.state = state

    def close_files(self) -> None:
        """Drain the WARC writer first (it appends page lines), then close the line files."""
        try:
            self.warc.close()
        finally:
            for jl in (self.pages, self.items, self.error_log):
                jl.close()

    def interrupt(self, reason: str) -> None:
        """Ctrl-C / SIGTERM: keep it unsealed and resumable rather than seal a truncated crawl."""
        self.close_files()
        self.ledger.append(EventKind.CAPTURE_INTERRUPTED, self.capture_id, reason=reason)

    def fail(self, reason: str) -> None:
        check(self.capture_id, self.state, CaptureState.FAILED)
        self.state = CaptureState.FAILED
        self.failure_reason = reason
        try:
            self.close_files()
        except OSError:
            pass  # the disk that failed the capture may fail this too; the state below still says why
        try:
            release_space(self.dir / RESERVE, self.dir / FAILED_MARKER, reason)
        except OSError:
            pass  # no reserve (an older capture): the writes below may still find room
        for record in (lambda: self.ledger.append(EventKind.CAPTURE_FAILED, self.capture_id, reason=reason),
                       lambda: self.transition(CaptureState.FAILED, reason=reason)):
            try:
                record()
            except OSError:
                pass  # the marker left by release_space says "failed" to every reader (capture.states)

    # --- recording -----------------------------------------------------------------------------
    @property
    def items_counted(self) -> int:
        return self.tally.items

    @property
    def offers_counted(self) -> int:
        return self.tally.offers

    @property
    def p2p_counted(self) -> int:
        return self.tally.p2p

    @property
    def writable(self) -> bool:
        return self.state == CaptureState.CAPTURING

    def append(self, lines: JsonLines, obj: dict[str, Any]) -> None:
        """Append to one of this capture's line files; a write error fails the capture and stops the crawl."""
        try:
            lines.append(obj)
        except OSError as exc:
            self.fail(f"writing evidence failed: {exc}")
            self.on_failure()
            raise

    def record_item(self, item: Item) -> Item:
        """Write the item; an identical item already seen under another URL is flagged, not counted."""
        if not self.writable:
            return item  # the capture already failed; nothing more is written into it
        admitted = self.tally.admit(item)
        if admitted is None:
            return item  # same page fetched twice (retry after resume): already recorded
        data = admitted.model_dump(exclude_none=True)
        self.append(self.items, data)
        self.tally.count(data)
        return admitted

    def record_error(self, url: str, kind: str, message: str) -> None:
        err = CaptureError(url=url, kind=kind, message=message, at=iso()).model_dump()
        self.errors.append(err)
        if self.writable:
            self.append(self.error_log, err)

    def record_dns(self, host: str, answer: dict[str, Any]) -> None:
        """What resolving ``host`` gave (addresses, or the error): stated in the environment statement."""
        self.dns[host] = {**answer, "resolved_at": iso()}

    def summary(self) -> dict[str, Any]:
        return {"capture_id": self.capture_id, "state": str(self.state), "profile": self.loaded.profile.name,
                "pages": self.pages.count, "items": self.items_counted, "offers": self.offers_counted,
                "p2p": self.p2p_counted, "errors": self.errors, **ErrorTally.of(self.errors).json_fields(),
                "store": str(self.store.root),
                **({"reason": self.failure_reason} if self.failure_reason else {}),
                **(self.seal_result or {})}

"""Every record of a gzip-per-record WARC checked on all cores, while the member is read once, in windows.

Where a record starts is only known once the previous gzip member has been inflated, so the records
of a window (``WINDOW`` compressed bytes) are inflated speculatively, in parallel: every place where
the gzip magic (1f 8b 08) occurs is a candidate start; the window is cut into ``SEGMENT``-sized runs
and one task per run checks records (:class:`~evidence_crawler.warc.recordcheck.GzipRecord`) from
its first candidate on, one after the other, skipping a candidate that does not inflate. Then the
chain is walked from the member's first byte, each record's end being the next one's start. A
candidate that lies inside a record (the magic occurring by chance in compressed data, about once per
16 MB, or a segment starting inside a record) is discarded, at the cost of the little work the inflater does
before it rejects it. The outcome is exactly that of a sequential read: what a record's check says
depends only on the bytes from its start.

A record that runs past its window carries on with the next window (its inflate state kept), so
memory stays at two windows plus one inflate step per thread, whatever the size of a record.

A damaged gzip member is named with its offset (and URI, when its headers were readable); checking
resumes at a later candidate that inflates cleanly, so one bad record does not hide the others.
Hostile data cannot make this costly: a window denser in gzip magic than any gzip-per-record WARC
(``MIN_MEMBER``) gets no speculative tasks, and a task gives up after ``MAX_MISSES`` false starts in
a row; the chain then reads on alone, like a sequential reader.
"""

from __future__ import annotations

import bisect
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass, field
from typing import BinaryIO

from evidence_crawler.warc.findings import PAGE_RECORDS, WarcFindings
from evidence_crawler.warc.recordcheck import GZIP_MAGIC, GzipCorrupt, GzipRecord

WINDOW = 8 << 20  # compressed bytes read (and inflated in parallel) at a time
SEGMENT = 256 << 10  # records starting within one SEGMENT of a window are checked by one task, in order
MIN_MEMBER = 64  # no gzip member holding a WARC record is smaller: denser gzip magic is not records
MAX_MISSES = 16  # candidates a task tries in a row that do not inflate before leaving the rest to the chain
# A window whose members average less than this is checked by one task: a small record's check is mostly
# Python (header parsing, digest comparison) that holds the GIL, and two threads contending for it were
# slower than one (books WARC, 2,363 records of ~2.7 KB: 0.49-0.58 s on 2 threads, 0.35-0.45 s on one)
SMALL_MEMBER = 64 << 10


def _inflate(rec: GzipRecord, data: memoryview) -> tuple[GzipRecord, str | None]:
    try:
        rec.feed(data)
    except GzipCorrupt as exc:
        return rec, str(exc)
    return rec, None


_Result = tuple[GzipRecord, "str | None"]


def _walk_segment(view: memoryview, base: int, starts: list[int], seg_end: int) -> dict[int, _Result]:
    """Records from the segment's first candidate on, one after the other (a record's end is the next
    one's start), while they start before ``seg_end``; a candidate that fails is skipped for the next."""
    out: dict[int, _Result] = {}
    i, pos, misses = 0, starts[0], 0
    while pos < seg_end:
        rec, err = out[pos] = _inflate(GzipRecord(pos), view[pos - base:])
        if err is None and not rec.done:
            break  # runs past the window: the chain carries it on
        if err is None:
            pos, misses = rec.offset + rec.consumed, 0
            continue
        misses += 1
        i = bisect.bisect_right(starts, pos, i)
        if i == len(starts) or misses >= MAX_MISSES:
            break  # hostile or damaged data: the chain goes on alone from here
        pos = starts[i]
    return out


@dataclass
class _Window:
    """``WINDOW`` bytes of the member, cut into ``SEGMENT``-sized runs of records, one task each: the
    per-record Python work of small records is then spread without a task per record."""

    base: int  # member offset of data[0]
    data: bytes
    starts: list[int] = field(default_factory=list)  # member offsets of candidate starts, ascending
    tasks: dict[int, Future] = field(default_factory=dict)  # segment number -> {start: (record, error)}
    segment: int = SEGMENT

    @property
    def end(self) -> int:
        return self.base + len(self.data)

    def submit(self, pool: Executor) -> _Window:
        find, pos = self.data.find, self.data.find(GZIP_MAGIC)
        limit = len(self.data) // MIN_MEMBER + 16
        while pos >= 0:
            self.starts.append(self.base + pos)
            if len(self.starts) > limit:  # not gzip-per-record data (hostile?): no speculation here, the
                self.starts.clear()  # chain checks this window alone, as a sequential reader would
                return self
            pos = find(GZIP_MAGIC, pos + 1)
        if self.starts and len(self.data) < len(self.starts) * SMALL_MEMBER:
            self.segment = max(len(self.data), 1)  # small records: the whole window is one task
        view, first, size = memoryview(self.data), 0, self.segment
        while first < len(self.starts):
            seg = (self.starts[first] - self.base) // size
            last = bisect.bisect_left(self.starts, self.base + (seg + 1) * size, first)
            self.tasks[seg] = pool.submit(_walk_segment, view, self.base, self.starts[first:last],
                                          self.base + (seg + 1) * size)
            first = last
        return self

    def result(self, start: int) -> _Result | None:
        """What the task of ``start``'s segment found there (None: it never started a record there)."""
        fut = self.tasks.get((start - self.base) // self.segment)
        return fut.result().get(start) if fut is not None else None

    def next_start(self, after: int) -> int:
        i = bisect.bisect_right(self.starts, after)
        return self.starts[i] if i < len(self.starts) else self.end


class _Chain:
    def __init__(self, name: str, scan: WarcFindings) -> None:
        self.name, self.scan = name, scan
        self.cursor = 0
        self.pending: GzipRecord | None = None  # the chain's record that ran past the last window
        self.bad: tuple[int, str | None, str] | None = None  # first unreadable record: offset, URI, why

    def walk(self, win: _Window, more: bool) -> None:
        # one wake-up per window, not one per task: on a busy machine each wake-up of this thread can
        # wait for a CPU, and the pool (already given the next window) should not wait for it
        wait(win.tasks.values())
        while self.cursor < win.end:
            rel = self.cursor - win.base
            if self.pending is not None:
                rec, err = _inflate(self.pending, memoryview(win.data)[rel:])
                self.pending = None
            elif (found := win.result(self.cursor)) is not None:
                rec, err = found
            elif self.bad is not None:
                self.cursor = win.next_start(self.cursor)
                continue
            else:  # no gzip magic here (or it straddles two windows): the inflater tells which
                rec, err = _inflate(GzipRecord(self.cursor), memoryview(win.data)[rel:])
            self._settle(rec, err, win, more)

    def _settle(self, rec: GzipRecord, err: str | None, win: _Window, more: bool) -> None:
        if err is not None:
            if self.bad is None:
                self.bad = (rec.offset, rec.uri, err)
            self.cursor = win.next_start(rec.offset)
            return
        if not rec.done:
            if more:
                self.pending, self.cursor = rec, win.end
            else:
                self._problem(rec.offset, rec.uri, rec.ended_early())
                self.cursor = win.end
            return
        if self.bad is not None:
            self._resumed(f"records checked again from offset {rec.offset} on")
        self.scan.records += 1
        self.scan.record_bytes_hashed += rec.hashed
        if rec.problems:
            self._problem(rec.offset, rec.uri, "; ".join(rec.problems))
        elif rec.rec_type in PAGE_RECORDS and rec.payload_sha256:
            self.scan.payloads[rec.offset] = rec.payload_sha256
        self.cursor = rec.offset + rec.consumed

    def _problem(self, offset: int, uri: str | None, text: str) -> None:
        self.scan.record_problem(self.name, offset, uri, text)

    def _resumed(self, how: str) -> None:
        offset, uri, why = self.bad
        self._problem(offset, uri, f"unreadable gzip member ({why}); {how}")
        self.bad = None

    def close(self) -> None:
        if self.bad is not None:
            self._resumed("no record checked after it")


def scan_gzip_warc(head: bytes, reader: BinaryIO, name: str, scan: WarcFindings, pool: Executor) -> None:
    """Check every record of a ``.warc.gz`` that starts with ``head``; ``reader`` gives the rest."""
    chain = _Chain(name, scan)
    win = _Window(0, head + reader.read(WINDOW - len(head))).submit(pool)
    while win is not None:
        data = reader.read(WINDOW)
        nxt = _Window(win.end, data).submit(pool) if data else None
        try:
            chain.walk(win, more=nxt is not None)
        finally:
            for fut in win.tasks.values():  # false candidates: their result is not needed
                fut.cancel()
        win = nxt
    chain.close()

"""One gzip member of a ``.warc.gz``, checked incrementally: inflate, parse the record, hash block and payload.

This is the hot path of ``verify`` and ``captures verify``. warcio's ``ArchiveIterator`` does the same
checks but reads the inflated stream line by line and in small blocks through several Python layers,
which made verify ~3x slower than inflating alone; here each gzip member is inflated with
ISA-L's igzip (:mod:`evidence_crawler.warc.gzipcodec`, zlib when it is missing) in large steps and
the bytes go straight to ``hashlib``, which (like igzip and zlib) releases the GIL, so records can be
checked on several threads at once (:mod:`evidence_crawler.warc.gzipscan`).

warcio is still what reads the structure: the WARC header block is parsed by warcio's own
``StatusAndHeadersParser`` (same accepted versions), the HTTP header block ends where warcio's parser
ends it (its status line is not verified, as with ``ArchiveIterator``'s default), and digests are
compared with warcio's rules (which record types carry a payload, base32/base16/base64 values,
revisit records unchecked; its private names are guarded by :mod:`evidence_crawler.warc.warcio_pin`).
A chunked response's payload is de-chunked and hashed besides (:mod:`evidence_crawler.warc.dechunk`).
One record per gzip member, as warcio requires; a member holding more than the record (beyond blank
lines) is named. Memory stays bounded whatever the record's size: at most ``MAX_HEADER`` bytes of
headers and one inflate step are held.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParser
from warcio.utils import Digester

from evidence_crawler.warc.dechunk import Dechunker, is_chunked
from evidence_crawler.warc.digest import sha256_of
from evidence_crawler.warc.gzipcodec import Error as InflateError
from evidence_crawler.warc.gzipcodec import decompressor
from evidence_crawler.warc.warcio_pin import compare_digest, parse_digest

GZIP_MAGIC = b"\x1f\x8b\x08"
GZIP_RESERVED_FLAGS = 0xE0  # RFC 1952: a member with these FLG bits set must be refused (zlib does; igzip not)
IN_STEP = 1 << 20  # compressed bytes handed to zlib per call, at most (large: few GIL hand-offs)
# ... and at first: the inflater copies what follows the member's end into ``unused_data``, so a 1 MiB
# first step cost a 1 MiB copy per record, most of the inflate time of a WARC of small pages (books:
# 0.24 s -> 0.07 s for 2,363 records); the step doubles on each call up to IN_STEP for large records
FIRST_IN_STEP = 64 << 10
OUT_STEP = 4 << 20  # inflated bytes asked of zlib per call (bounds memory on highly compressible records)
MAX_HEADER = 1 << 20  # a WARC or HTTP header block larger than this is refused, not buffered
MAX_TAIL = 64 << 10  # bytes tolerated after a record inside its gzip member (normally CRLF CRLF)
HEAD_STEP = 64 << 10  # header bytes looked at per step

_WARC = StatusAndHeadersParser(ArcWarcRecordLoader.WARC_TYPES)


class GzipCorrupt(Exception):
    """The member could not be inflated (bad header, damaged deflate data, CRC32 or length mismatch)."""


def header_end(buf: bytes | bytearray, final: bool) -> int | None:
    """Where a header block ends as warcio reads it: after the first line whose ``rstrip()`` is empty.

    None when no such line is in ``buf`` yet; with ``final`` (no more bytes will come) the whole buffer."""
    pos = 0
    while (nl := buf.find(b"\n", pos)) >= 0:
        if not buf[pos:nl].strip():
            return nl + 1
        pos = nl + 1
    return len(buf) if final else None


@dataclass
class _Digest:
    declared: str
    digester: Digester | None = None


@dataclass
class GzipRecord:
    """Feed it the compressed bytes from ``offset`` on (:meth:`feed`, as often as needed) until ``done``.

    ``problems`` are this record's findings (digests, structure); a corrupt gzip member raises
    :class:`GzipCorrupt` from :meth:`feed`. ``consumed`` is how many compressed bytes the member took.
    """

    offset: int
    consumed: int = 0
    done: bool = False
    rec_type: str = ""
    uri: str | None = None
    problems: list[str] = field(default_factory=list)
    payload_sha256: str | None = None  # hex of a verified sha256 WARC-Payload-Digest
    hashed: int = 0  # inflated bytes fed to the block and payload digests (each byte counted per digest)
    _z: object = None
    _state: str = "warc"  # warc (headers) -> http (headers) -> block -> tail
    _head: bytearray = field(default_factory=bytearray)
    _left: int = 0  # block bytes still to come
    _block: _Digest | None = None
    _payload: _Digest | None = None
    _tail: int = 0
    _trailing: bool = False
    _dechunk: Dechunker | None = None  # a chunked response's payload, de-chunked and hashed
    _dechunked_declared: str | None = None

    def __post_init__(self) -> None:
        self._z = decompressor()  # gzip wrapper: the header, CRC32 and ISIZE are checked

    def feed(self, data: memoryview) -> int:
        """Inflate from ``data`` (the member's next compressed bytes) until the member ends or ``data``
        runs out; returns the bytes used. Raises GzipCorrupt."""
        z, pos, size, step = self._z, 0, len(data), FIRST_IN_STEP
        if self.consumed == 0 and size > 3 and data[3] & GZIP_RESERVED_FLAGS:
            raise GzipCorrupt("unknown header flags set")  # also rejects most false candidates at once
        try:
            while not z.eof:
                chunk = data[pos:pos + step]
                step = min(step * 2, IN_STEP)
                out = z.decompress(chunk, OUT_STEP)
                pos += len(chunk) - len(z.unconsumed_tail) - len(z.unused_data)
                if out:
                    self._take(out)
                if pos >= size and len(out) < OUT_STEP:
                    break
        except InflateError as exc:
            raise GzipCorrupt(str(exc)) from None
        self.consumed += pos
        if z.eof:
            self._finish()
        return pos

    def ended_early(self) -> str:
        return f"ends inside its gzip member (truncated: {self.consumed} compressed bytes read)"

    def _take(self, out: bytes) -> None:
        view = memoryview(out)
        while view:
            if self._state == "block":
                view = self._hash_block(view)
            elif self._state == "tail":
                self._take_tail(view)
                return
            else:
                view = self._take_head(view)

    def _take_head(self, view: memoryview) -> memoryview:
        """Accumulate a header block (WARC, then HTTP); once complete, parse it and move on."""
        http = self._state == "http"
        start = len(self._head)
        take = view[:min(HEAD_STEP, self._left)] if http else view[:HEAD_STEP]
        self._head += take
        end = header_end(self._head, final=http and len(take) == self._left)
        if end is None:
            if len(self._head) > MAX_HEADER:
                raise GzipCorrupt(f"{self._state.upper()} header block over {MAX_HEADER} bytes")
            used = len(take)
        else:
            used = end - start
        if http:  # HTTP headers are block bytes: hashed for the block digest, not the payload's
            self._left -= used
            if self._block is not None:
                self._block.digester.update(take[:used])
                self.hashed += used
        if end is not None:
            head, self._head = bytes(self._head[:end]), bytearray()
            if http:  # where the payload starts is all that is needed (warcio's ArchiveIterator does
                if self.rec_type == "response" and is_chunked(head):  # not verify status lines either)
                    self._dechunk = Dechunker()
                self._begin_payload()
            else:
                self._warc_headers(head)
        return view[used:]

    def _warc_headers(self, head: bytes) -> None:
        try:
            headers = _WARC.parse(io.BytesIO(head))
        except EOFError:
            raise GzipCorrupt("empty gzip member (no WARC record)") from None
        except Exception as exc:  # noqa: BLE001 - warcio's parser: not a WARC header block
            raise GzipCorrupt(f"not a WARC record ({exc})") from None
        self.rec_type = headers.get_header("WARC-Type") or ""
        self.uri = headers.get_header("WARC-Target-URI")
        self._dechunked_declared = headers.get_header("WARC-X-Dechunked-Payload-Digest")
        try:
            self._left = int(headers.get_header("Content-Length"))
            if self._left < 0:
                raise ValueError
        except (TypeError, ValueError):
            raise GzipCorrupt(f"bad Content-Length {headers.get_header('Content-Length')!r}") from None
        revisit = self.rec_type == "revisit"  # warcio checks no digest of a revisit, nor a segment's payload
        segment = headers.get_header("WARC-Segment-Number") is not None
        self._block = self._digest(headers.get_header("WARC-Block-Digest"), "block", revisit)
        self._payload = self._digest(headers.get_header("WARC-Payload-Digest"), "payload", revisit or segment)
        http = (self._left > 0 and self.rec_type in ArcWarcRecordLoader.HTTP_RECORDS
                and (self.uri or "").startswith(ArcWarcRecordLoader.HTTP_SCHEMES))
        if http:
            self._state = "http"
        else:
            self._begin_payload()

    def _digest(self, declared: str | None, kind: str, skip: bool) -> _Digest | None:
        if not declared or skip:
            return None
        try:
            return _Digest(declared, Digester(parse_digest(declared)[0]))
        except ValueError:
            self.problems.append(f"unknown hash algorithm name in {kind} digest")
            return None

    def _begin_payload(self) -> None:
        """The rest of the block is the payload (warcio's ``begin_payload``)."""
        self._state = "block"
        if self._left == 0:
            self._close_block()

    def _hash_block(self, view: memoryview) -> memoryview:
        part = view[:self._left]
        for d in (self._block, self._payload):
            if d is not None:
                d.digester.update(part)
                self.hashed += len(part)
        if self._dechunk is not None:
            self._dechunk.feed(part)
        self._left -= len(part)
        if self._left == 0:
            self._close_block()
        return view[len(part):]

    def _take_tail(self, view: memoryview) -> None:
        self._tail += len(view)
        if self._tail > MAX_TAIL:
            raise GzipCorrupt(f"over {MAX_TAIL} bytes after the record's end inside its gzip member")
        if bytes(view).strip() and not self._trailing:
            self._trailing = True
            self.problems.append("data after the record inside its gzip member (Content-Length wrong, or "
                                 "several records in one member)")

    def _close_block(self) -> None:
        self._state = "tail"
        for kind, d in (("block", self._block), ("payload", self._payload)):
            if d is None:
                continue
            try:
                ok = compare_digest(d.digester, d.declared)
            except ValueError:
                self.problems.append(f"{kind} digest value unreadable: {d.declared}")
                continue
            if ok is False:
                self.problems.append(f"{kind} digest failed: {d.declared}")
            elif kind == "payload" and d.declared.lower().startswith("sha256:"):
                self.payload_sha256 = d.digester.digester.hexdigest()
        if self._dechunk is not None:
            sha, problem = dechunked_payload(self._dechunk, self._dechunked_declared)
            if problem:
                self.problems.append(problem)
            elif not self.problems:
                self.payload_sha256 = sha

    def _finish(self) -> None:
        self.done, self._z = True, None
        if self._state == "warc":
            raise GzipCorrupt("gzip member ends inside the WARC headers")
        if self._state != "tail":
            self.problems.append(f"gzip member ends inside the record ({self._left} of its Content-Length "
                                 "bytes missing)")
            self._state = "tail"


def dechunked_payload(dechunk: Dechunker, declared: str | None) -> tuple[str, str | None]:
    """The de-chunked payload's sha256 hex and what is wrong with it (framing, or a declared digest that
    does not match), for both checkers."""
    sha = dechunk.sha256.hexdigest()
    if dechunk.error:
        return sha, dechunk.error
    if declared is not None and sha256_of(declared) != sha:
        return sha, f"de-chunked payload digest failed: {declared}"
    return sha, None

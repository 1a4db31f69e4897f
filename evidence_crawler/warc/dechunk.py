"""The payload of a chunked HTTP response, hashed as its framing is read: for the records that keep the framing.

A response record's block holds the bytes the server sent, chunk sizes and extensions included. Its
``WARC-Payload-Digest`` would, by WARC 1.1 (6.3.2, "with any transfer-encoding removed"), be the digest of
the de-chunked body, while ``warcio check`` hashes the framed bytes (warcio issues #74/#75): either value
would fail one of them. So a chunked record carries no ``WARC-Payload-Digest`` (it is optional) but
``WARC-X-Dechunked-Payload-Digest``, which the checker recomputes here from the block, and which is the
body sha256 of pages.jsonl. The framing rules are Twisted's (what parsed the body during the crawl): CRLF
line ends, a hex size, extensions after ``;``, trailers ended by an empty line; memory stays bounded.
"""

from __future__ import annotations

import hashlib
import string

MAX_SIZE_LINE = 1024  # Twisted's maxChunkSizeLineLength
MAX_TRAILERS = 64 << 10
_HEX = frozenset(string.hexdigits.encode())


def is_chunked(http_head: bytes) -> bool:
    """Whether an HTTP header block says its body is chunked (its first Transfer-Encoding field, as Twisted)."""
    for line in http_head.split(b"\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"transfer-encoding":
            return value.strip().lower() == b"chunked"
    return False


class Dechunker:
    """Feed it the framed body (:meth:`feed`, in pieces of any size); ``sha256`` hashes the body it carries,
    which ``keep`` also collects in ``body`` (to hand a recorded page back to the parser on resume).

    ``error`` says where and why the framing could not be read (nothing after it is hashed); a body cut off
    mid-chunk is not an error: what arrived is hashed, as the crawl's parser kept it."""

    def __init__(self, keep: bool = False) -> None:
        self.sha256 = hashlib.sha256()
        self.body: bytearray | None = bytearray() if keep else None
        self.error: str | None = None
        self.done = False
        self._state = "size"  # size -> data -> crlf -> size ... -> trailer -> done
        self._line = bytearray()
        self._left = 0
        self._seen = 0

    def feed(self, data) -> None:
        view = memoryview(data)
        while view and self.error is None and not self.done:
            if self._state == "data":
                part = view[:self._left]
                self.sha256.update(part)
                if self.body is not None:
                    self.body += part
                self._left -= len(part)
                if self._left == 0:
                    self._state = "crlf"
            else:
                part = self._take_line(view)
            self._seen += len(part)
            view = view[len(part):]

    def _take_line(self, view: memoryview) -> memoryview:
        """Accumulate a CRLF-ended line (size, chunk end or trailer) and act on it once complete."""
        nl = bytes(view[:MAX_SIZE_LINE + 2]).find(b"\n")
        part = view[:nl + 1] if nl >= 0 else view[:MAX_SIZE_LINE + 2]
        self._line += part
        limit = MAX_TRAILERS if self._state == "trailer" else MAX_SIZE_LINE + 2
        if nl < 0:
            if len(self._line) > limit:
                self._fail("line too long")
            return part
        line, self._line = bytes(self._line), bytearray()
        if not line.endswith(b"\r\n"):
            self._fail("line not ended by CRLF")
        elif self._state == "crlf":
            if line != b"\r\n":
                self._fail("chunk not followed by CRLF")
            self._state = "size"
        elif self._state == "trailer":
            self.done = line == b"\r\n"
        else:
            self._size(line[:-2])
        return part

    def _size(self, line: bytes) -> None:
        size = line.split(b";", 1)[0]
        if not size or not _HEX.issuperset(size):
            self._fail(f"bad chunk size {size[:40]!r}")
            return
        self._left = int(size, 16)
        self._state = "data" if self._left else "trailer"

    def _fail(self, why: str) -> None:
        self.error = f"chunked framing unreadable at payload byte {self._seen}: {why}"

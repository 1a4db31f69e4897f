"""Standard gzip members made and read with ISA-L's igzip (``isal``) when it is installed, zlib otherwise.

ISA-L deflates about 6x and inflates about 2x faster than zlib on the books corpus (level 1 is also a
little smaller than zlib's level 1), and, like zlib, releases the GIL on large buffers. What it writes
is ordinary RFC 1952 gzip: one member per record, which ``gzip -t``, warcio, pywb and every other WARC
reader read (tests/warc/test_gzipcodec.py checks with ``gzip -t`` and ``warcio check``).

``EVIDENCE_DEFLATE=zlib`` forces the zlib fallback (to compare, or if igzip were ever in doubt); the
name of the backend in use is :data:`BACKEND`.
"""

from __future__ import annotations

import os
import zlib

try:
    if os.environ.get("EVIDENCE_DEFLATE", "").strip().lower() == "zlib":
        raise ImportError("EVIDENCE_DEFLATE=zlib")
    from isal import isal_zlib as _isal
except ImportError:  # pragma: no cover - isal is a pinned dependency; the fallback is tested via the env var
    _isal = None

BACKEND = "isal" if _isal is not None else "zlib"
GZIP_WBITS = zlib.MAX_WBITS + 16  # gzip wrapper: header, CRC32 and ISIZE written and checked
ISAL_MAX_LEVEL = 3

#: what a damaged member raises, whichever backend inflates it
Error: tuple[type[Exception], ...] = (zlib.error,) if _isal is None else (zlib.error, _isal.error)


def compressor(level: int = 1):
    """A compress object that makes one gzip member. ``level`` is zlib's scale (0-9); ISA-L has 0-3,
    so 1 stays 1 and anything above 3 becomes 3."""
    if _isal is not None:
        return _isal.compressobj(min(level, ISAL_MAX_LEVEL), _isal.DEFLATED, GZIP_WBITS)
    return zlib.compressobj(level, zlib.DEFLATED, GZIP_WBITS)


def gzip_member(raw: bytes, level: int = 1) -> bytes:
    """``raw`` as one complete gzip member."""
    comp = compressor(level)
    return comp.compress(raw) + comp.flush()


def decompressor():
    """A decompress object for one gzip member (``decompress(data, max_length)``, ``eof``,
    ``unconsumed_tail``, ``unused_data``, as zlib's)."""
    return _isal.decompressobj(GZIP_WBITS) if _isal is not None else zlib.decompressobj(GZIP_WBITS)

"""Tiger and Tiger Tree Hash from the system's librhash (Debian ``librhash0``/``librhash1``).

ADC needs Tiger on the wire: a client's CID must be the Tiger hash of its private ID, and hubs check it.
No maintained Python package implements Tiger, so we call RHash, a well-kept C library, through ctypes
instead of hand-writing the hash.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
from functools import cache

RHASH_TIGER = 0x10  # rhash.h
RHASH_TTH = 0x20


@cache
def _lib() -> ctypes.CDLL:
    name = ctypes.util.find_library("rhash")
    if name is None:
        raise RuntimeError("librhash not found: install Debian package librhash0 (or librhash1) for ADC hubs")
    lib = ctypes.CDLL(name)
    lib.rhash_library_init()
    lib.rhash_msg.argtypes = [ctypes.c_uint, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p]
    return lib


def _digest(hash_id: int, data: bytes) -> bytes:
    out = ctypes.create_string_buffer(64)
    if _lib().rhash_msg(hash_id, data, len(data), out) != 0:
        raise RuntimeError("librhash failed")
    return out.raw[:24]


def tiger(data: bytes) -> bytes:
    return _digest(RHASH_TIGER, data)


def tth(data: bytes) -> bytes:
    return _digest(RHASH_TTH, data)


def b32(raw: bytes) -> str:
    """ADC's base32: RFC 4648 alphabet, upper case, no padding."""
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))

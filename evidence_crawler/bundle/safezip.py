"""Open an untrusted zip for reading without trusting it: names, types, counts and sizes checked first.

Nothing is ever extracted: members are streamed from the zip. Refused outright (``UnusableBundle``,
exit 2): not a zip, a truncated zip, names that would escape a folder (``..``, absolute paths,
backslashes, drive letters, NUL), duplicate names, symlinks and other non-regular entries, encrypted
members, compression methods other than stored/deflate, more than ``MAX_MEMBERS`` entries, more than
``MAX_TOTAL_BYTES`` declared, and zip-bomb ratios (a member that inflates over ``MAX_RATIO`` times
its compressed size). A member whose bytes overrun its declared size stops at that size and fails its
CRC, which the caller reports against that member. The zip's own structure (data prepended or appended,
comments, directory entries with data or named like members, symlinks made on any system) is walked
first by :mod:`evidence_crawler.bundle.ziplayout`.
"""

from __future__ import annotations

import re
import stat
import struct
import zipfile
from pathlib import Path
from typing import BinaryIO

from evidence_crawler.bundle.ziplayout import ZipLayoutError, check_layout

MAX_MEMBERS = 100_000
MAX_TOTAL_BYTES = 1 << 40  # 1 TiB declared, uncompressed
MAX_RATIO = 200  # deflate of real data stays far below; a bomb is ~1000:1
RATIO_FLOOR = 1 << 20  # small members may compress well (JSON of repeated keys)
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnusableBundle(Exception):
    """The file cannot be checked at all (exit 2); the message says why."""


def _bad_name(name: str) -> str | None:
    if not name or "\x00" in name:
        return "empty name or NUL in name"
    if name.startswith("/") or "\\" in name or _DRIVE.match(name):
        return "absolute path or backslash"
    if any(part in ("..", ".") for part in name.rstrip("/").split("/")) or "//" in name:
        return "'..', '.' or empty path component"
    return None


class SafeZip:
    """The checked member list of one zip file (``members``: name -> ZipInfo, regular files only)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise UnusableBundle(f"{self.path}: no such file")
        size = self.path.stat().st_size
        try:
            self._zip = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile as exc:
            raise UnusableBundle(f"{self.path.name}: not a zip file, or truncated ({exc})") from None
        except (OSError, ValueError, EOFError) as exc:
            raise UnusableBundle(f"{self.path.name}: unreadable zip ({exc})") from None
        try:
            check_layout(self.path)
        except ZipLayoutError as exc:
            self._zip.close()
            raise UnusableBundle(f"{self.path.name}: zip structure refused: {exc}") from None
        except (OSError, struct.error) as exc:
            self._zip.close()
            raise UnusableBundle(f"{self.path.name}: unreadable zip structure ({exc})") from None
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnusableBundle(f"{self.path.name}: {len(infos)} entries (more than {MAX_MEMBERS}): refused")
        self.members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename
            why = _bad_name(name)
            if why:
                raise UnusableBundle(f"{self.path.name}: unsafe member name {name!r} ({why}): refused (zip-slip)")
            if name in self.members or (name.endswith("/") and name[:-1] in self.members):
                raise UnusableBundle(f"{self.path.name}: duplicate member name {name!r}: refused")
            mode = info.external_attr >> 16  # Unix mode bits, whatever create_system claims (16, 2, 5, 30...)
            if info.is_dir():
                continue
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                kind = "symlink" if stat.S_ISLNK(mode) else "special file"
                raise UnusableBundle(f"{self.path.name}: member {name!r} is a {kind}: refused")
            if info.flag_bits & 0x1:
                raise UnusableBundle(f"{self.path.name}: member {name!r} is encrypted: refused")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise UnusableBundle(f"{self.path.name}: member {name!r} uses compression method "
                                     f"{info.compress_type}: only stored and deflate are accepted")
            if info.header_offset + info.compress_size > size:
                raise UnusableBundle(f"{self.path.name}: member {name!r} extends past the end of the file "
                                     "(truncated)")
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise UnusableBundle(f"{self.path.name}: member {name!r} would inflate {info.compress_size} bytes "
                                     f"to {info.file_size} (over {MAX_RATIO}:1): refused as a zip bomb")
            if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
                raise UnusableBundle(f"{self.path.name}: stored member {name!r} has inconsistent sizes")
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise UnusableBundle(f"{self.path.name}: more than {MAX_TOTAL_BYTES} bytes declared: refused "
                                     "as a zip bomb")
            self.members[name] = info
        self.total_bytes = total

    def open(self, name: str) -> BinaryIO:
        return self._zip.open(self.members[name])

    def read(self, name: str, limit: int) -> bytes:
        """A whole (small) member; one over ``limit`` bytes is refused rather than loaded."""
        if self.members[name].file_size > limit:
            raise UnusableBundle(f"{name}: {self.members[name].file_size} bytes, over the {limit}-byte limit "
                                 "for a member read into memory")
        with self.open(name) as fh:
            return fh.read(limit + 1)[:limit]

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


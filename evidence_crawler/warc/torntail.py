"""Resume repair: cut the record a killed process left half-written at the end of a WARC file."""

from __future__ import annotations

import os
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator


def truncate_torn_tail(path: Path) -> int:
    """Cut the file after its last complete record; returns how many bytes were removed."""
    good_end = 0
    try:
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh, check_digests=False)
            for _record in it:
                good_end = it.get_record_offset() + it.get_record_length()
    except Exception:  # noqa: BLE001 - any parse failure means the tail after good_end is torn
        pass
    size = path.stat().st_size
    if good_end < size:
        os.truncate(path, good_end)
    return size - good_end

"""DC file lists (``files.xml.bz2``): bounded decompression and an XML parse that refuses entities.

A file list comes from a stranger's client. bz2 is decompressed in capped steps (a small bomb can expand
a thousandfold), the XML is parsed with defusedxml (no DTD, no entities, no external references) and
walked as a stream, and only the first ``max_entries`` files are kept. The raw bytes are always kept, so a
list that cannot be read is still evidence.
"""

from __future__ import annotations

import bz2
import hashlib
import io
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from evidence_crawler.p2phub.records import FileList, FileListEntry, number

_STEP = 1024 * 1024


class FileListError(ValueError):
    pass


def decompress(raw: bytes, max_bytes: int) -> bytes:
    decoder = bz2.BZ2Decompressor()
    out = bytearray()
    try:
        chunk = decoder.decompress(raw, max_length=_STEP)
        while True:
            out += chunk
            if len(out) > max_bytes:
                raise FileListError(f"file list expands past {max_bytes} bytes")
            if decoder.eof or (decoder.needs_input and not chunk):
                break
            chunk = decoder.decompress(b"", max_length=_STEP)
    except (OSError, EOFError) as exc:
        raise FileListError(f"file list is not bz2: {exc}") from None
    if not decoder.eof:
        raise FileListError("file list bz2 stream is truncated")
    return bytes(out)


def parse_entries(xml: bytes, max_entries: int) -> tuple[list[FileListEntry], bool]:
    """Files with their full path (``/Dir/Sub/name``); True when the cap cut the list short."""
    entries: list[FileListEntry] = []
    dirs: list[str] = []
    try:
        for event, elem in iterparse(io.BytesIO(xml), events=("start", "end"), forbid_dtd=True):
            tag = elem.tag
            if tag == "Directory":
                if event == "start":
                    dirs.append(elem.get("Name", ""))
                else:
                    dirs.pop()
                    elem.clear()
            elif tag == "File" and event == "end":
                if len(entries) >= max_entries:
                    return entries, True
                size = elem.get("Size", "")
                tth = elem.get("TTH")
                entries.append(FileListEntry(path="/" + "/".join([*dirs, elem.get("Name", "")]),
                                             size=number(size),
                                             tth=tth.upper() if tth else None))
                elem.clear()
    except (ParseError, DefusedXmlException) as exc:
        raise FileListError(f"file list XML refused: {exc}") from None
    return entries, False


def read_filelist(user: str, raw: bytes, max_xml_bytes: int, max_entries: int) -> FileList:
    sha256 = hashlib.sha256(raw).hexdigest()
    try:
        entries, truncated = parse_entries(decompress(raw, max_xml_bytes), max_entries)
    except FileListError as exc:
        return FileList(user=user, raw_bz2=raw, sha256=sha256, entries=[], truncated=False, error=str(exc))
    return FileList(user=user, raw_bz2=raw, sha256=sha256, entries=entries, truncated=truncated)

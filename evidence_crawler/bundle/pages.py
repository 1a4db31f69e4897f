"""The page list of a bundle: every recorded exchange, with the HTML title read back from its WARC record.

We write ``pages/pages.jsonl`` ourselves rather than with ``wacz create --detect-pages``, which decodes
bodies as UTF-8 and fails on windows-1251 shops. Titles are decoded with the same rules as extraction
(``evidence_crawler.charset``) and stay untrusted text: the report escapes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from parsel import Selector
from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.charset import choose_encoding

MAX_TITLE_SOURCE = 1 << 20  # the title is near the top; never read more than this of a body
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.I)
_TITLE_END = re.compile(r"</title\s*>", re.I)

Titles = Mapping[tuple[str, int], str | None]  # (WARC file name, record offset) -> title, as the index pass read it


def title_of(text: str) -> str | None:
    """The first ``<title>``'s text, as parsel reads it from the whole page.

    The page is parsed up to the first ``</title>`` only (a whole-page parse per page was most of the
    export's own time on a 1,000-page capture): the HTML parser reads front to back, so what it builds
    from that prefix is what it builds from the whole page up to there. A ``</title>`` that is not the
    title's end (inside a script or a comment) leaves no title in the prefix: the whole page is parsed then.
    """
    m = _TITLE_END.search(text)
    if m is not None:
        title = Selector(text=text[:m.end()]).css("title::text").get()
        if title is not None:
            return title
    return Selector(text=text).css("title::text").get()


def record_title(record) -> str | None:
    """The ``<title>`` of a warcio response record whose body has not been read yet (content-encoding undone)."""
    body = record.content_stream().read(MAX_TITLE_SOURCE)
    ctype = record.http_headers.get_header("Content-Type") if record.http_headers else None
    m = _CHARSET.search(ctype or "")
    text = body.decode(choose_encoding(body, m.group(1) if m else None).encoding, errors="replace")
    title = title_of(text)
    return " ".join(title.split()) if title else None


def read_title(warc: Path, offset: int) -> str | None:
    """The ``<title>`` of the HTML response stored at ``offset`` in ``warc``."""
    with open(warc, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            return record_title(record) if record.rec_type == "response" else None
    return None


def title_wanted(page: dict[str, Any]) -> bool:
    """Pages that get a title: the 200 HTML responses (the replay entry points of ``pages.jsonl``)."""
    return is_html(page) and page.get("status") == 200


def is_html(page: dict[str, Any]) -> bool:
    return "html" in (page.get("content_type") or "") and not page.get("robots")


def page_entries(capture_id: str, pages: Iterable[dict[str, Any]], warc_dir: Path,
                 titles: Titles | None = None) -> list[dict[str, Any]]:
    """One entry per exchange, in capture order, with ``title`` for HTML responses. ``titles`` holds the
    titles already read by the index pass (:mod:`.cdxindex`), by (WARC file, offset); a page it lacks is
    read from its WARC record here."""
    out = []
    for p in pages:
        entry = {"capture_id": capture_id, **{k: p.get(k) for k in (
            "url", "status", "fetched_at", "ip", "sha256", "blake3", "size", "content_type", "referrer", "link_text",
            "depth", "redirect_to", "warc_file", "warc_offset", "record_id", "robots", "partial", "screenshot")}}
        entry["title"] = None
        if title_wanted(p) and (warc_dir / p["warc_file"]).exists():
            key = (p["warc_file"], p["warc_offset"])
            try:
                entry["title"] = titles[key] if titles and key in titles else read_title(warc_dir / key[0], key[1])
            except Exception:  # noqa: BLE001 - a page whose title cannot be read still is a page
                entry["title"] = None
        out.append(entry)
    return out


def pages_jsonl(entries: Iterable[dict[str, Any]]) -> bytes:
    """WACZ ``pages/pages.jsonl``: a header line, then the 200 HTML pages (replay entry points)."""
    lines = [json.dumps(PAGES_HEADER)]
    for e in entries:
        if e["status"] == 200 and is_html(e):
            line = {"id": e["record_id"].strip("<>").removeprefix("urn:uuid:"), "url": e["url"],
                    "ts": e["fetched_at"]}
            if e["title"]:
                line["title"] = e["title"]
            lines.append(json.dumps(line, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode()

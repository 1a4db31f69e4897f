"""The bundle's ``indexes/index.cdx``, and the page titles read in the same pass over the WARCs.

The index is cdxj-indexer's (on warcio), as ``wacz create`` makes it: every response, revisit and resource
record, lines sorted, ``filename`` as named in ``archive/``. Metadata records are left out: an interim 103
kept as metadata under the page's URL would otherwise be what pywb and ReplayWeb.page replay for that URL
(same timestamp, sorted first).

``pages/pages.jsonl`` needs the ``<title>`` of every 200 HTML page. Reading each one back from its WARC
record (open, seek, parse the record's headers) was a second pass over the same records, as long as the
index itself on a 1,000-page capture. The indexer is therefore handed the offsets of those pages: when it
reaches one of them, the title is read from the record's body before the indexer reads on; the index lines
are the same. A title this pass could not read is not in the result, and :func:`.pages.page_entries`
reads that page alone, as before.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from evidence_crawler.bundle.pages import Titles, record_title, title_wanted


def index_warcs(warcs: list[tuple[str, Path]], want: dict[str, set[int]] | None = None) -> tuple[bytes, Titles]:
    """CDXJ over ``warcs`` ((name in ``archive/``, path) pairs), and the titles of the response records that
    start at the offsets ``want`` names for each file."""
    from cdxj_indexer.main import CDXJIndexer  # imported here: its import alone is ~0.3 s (pyamf, pkg_resources)

    titles: dict[tuple[str, int], str | None] = {}

    class _Indexer(CDXJIndexer):
        def process_index_entry(self, it, record, filename, output):
            offsets = (want or {}).get(self.force_filename)
            # it.offset is the record's start until its end has been read (warcio: member_info unset)
            if offsets and record.rec_type == "response" and it.member_info is None and it.offset in offsets:
                try:
                    titles[(self.force_filename, it.offset)] = record_title(record)
                except Exception:  # noqa: BLE001 - left to page_entries, which reads this page alone
                    pass
            super().process_index_entry(it, record, filename, output)

    lines: list[str] = []
    for name, path in warcs:
        buf = io.StringIO()
        _Indexer(buf, [str(path)], filename=name, records="response,revisit,resource").process_all()
        lines += buf.getvalue().splitlines(keepends=True)
    return "".join(sorted(lines)).encode(), titles


def wanted_offsets(pages: Iterable[dict]) -> dict[str, set[int]]:
    """The (WARC file -> offsets) of the pages that get a title (:func:`.pages.title_wanted`)."""
    out: dict[str, set[int]] = {}
    for p in pages:
        if title_wanted(p) and p.get("warc_file") and isinstance(p.get("warc_offset"), int):
            out.setdefault(p["warc_file"], set()).add(p["warc_offset"])
    return out

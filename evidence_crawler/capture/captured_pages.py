"""The capture's own pages read back from its WARC files, as the intermediaries analysis wants them.

One pass over each WARC file: the HTML responses listed in ``pages.jsonl`` (status 200, not robots.txt)
with their headers and decoded text, the TLS certificates kept as ``metadata`` records (PEM), and the hosts
each rendered page loaded (``renders.jsonl``). Nothing is fetched; everything comes from what was sealed.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from warcio.archiveiterator import ArchiveIterator

from evidence_crawler.charset import choose_encoding
from evidence_crawler.durable import iter_jsonl
from evidence_crawler.intermediaries.analysis.pages import MAX_TEXT_CHARS, CapturedPage, page_from_html

# analysed per capture, in crawl order (breadth-first: the home page and the shop's own pages first); the rest
# is counted as not analysed, in the manifest. About 35 ms a page on a loaded 2-core machine (demo shop).
MAX_PAGES = 200
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.I)


def _is_html_page(p: dict[str, Any]) -> bool:
    return p.get("status") == 200 and "html" in (p.get("content_type") or "") and not p.get("robots")


def _rendered_hosts(renders: Path) -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    if renders.exists():
        for line in iter_jsonl(renders):
            hosts = out.setdefault(line.get("url", ""), set())
            for req in line.get("requests") or []:
                host = urlsplit(str(req.get("url", ""))).hostname
                if host:
                    hosts.add(host)
    return {url: tuple(sorted(h)) for url, h in out.items()}


def _der_of_pem(pem: bytes) -> bytes | None:
    try:
        return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
    except ValueError:
        return None


def read_captured_pages(warcs: list[Path], pages: list[dict[str, Any]], renders: Path
                        ) -> tuple[tuple[CapturedPage, ...], int]:
    """(pages for the analysis, how many HTML pages were left out past :data:`MAX_PAGES`)."""
    html = [p for p in pages if _is_html_page(p) and p.get("record_id")]
    wanted = {p["record_id"]: p for p in html[:MAX_PAGES]}
    rendered = _rendered_hosts(renders)
    certs: dict[str, bytes] = {}
    found: list[tuple[CapturedPage, str | None]] = []
    for warc in warcs:
        if len(found) == len(wanted):
            break  # a page's certificate record always comes before the page's first response: all seen
        with warc.open("rb") as fh:
            for record in ArchiveIterator(fh):
                rid = record.rec_headers.get_header("WARC-Record-ID")
                ctype = record.rec_headers.get_header("Content-Type") or ""
                if record.rec_type == "metadata" and ctype.startswith("application/x-pem-file"):
                    der = _der_of_pem(record.content_stream().read(1 << 20))
                    if der:
                        certs[hashlib.sha256(der).hexdigest()] = der
                elif record.rec_type == "response" and rid in wanted:
                    page = wanted[rid]
                    body = record.content_stream().read(MAX_TEXT_CHARS)
                    headers = tuple(record.http_headers.headers) if record.http_headers else ()
                    m = _CHARSET.search(record.http_headers.get_header("Content-Type") or ""
                                        if record.http_headers else "")
                    text = body.decode(choose_encoding(body, m.group(1) if m else None).encoding, errors="replace")
                    found.append((page_from_html(page["url"], page["sha256"], text, headers=headers,
                                                 rendered_hosts=rendered.get(page["url"], ())),
                                  page.get("tls_certificate_sha256")))
                    if len(found) == len(wanted):
                        break
    out = tuple(p.model_copy(update={"tls_chain_der": (certs[sha],)}) if sha in certs else p for p, sha in found)
    return out, max(0, len(html) - MAX_PAGES)

"""The analysis input: one captured page as typed values, and a builder from raw HTML (parsel)."""

from __future__ import annotations

from urllib.parse import urljoin

from parsel import Selector

from evidence_crawler.intermediaries.records import Frozen

MAX_TEXT_CHARS = 2_000_000  # hostile pages: the analysis reads at most this much text per page
MAX_LINKS = 20_000


class PageLink(Frozen):
    url: str
    text: str = ""  # anchor text, or an image's alt/title
    tag: str = "a"  # a, img, script, iframe, form, link


class CapturedPage(Frozen):
    url: str
    sha256: str  # of the body as recorded in the WARC
    headers: tuple[tuple[str, str], ...] = ()
    text: str = ""
    links: tuple[PageLink, ...] = ()
    tls_chain_der: tuple[bytes, ...] = ()  # leaf first, as the server sent it
    rendered_hosts: tuple[str, ...] = ()  # hosts the browser contacted while rendering (render records)


_SOURCES = {"a": "href", "area": "href", "img": "src", "script": "src", "iframe": "src", "form": "action",
            "link": "href"}


def page_from_html(url: str, sha256: str, html: str, headers: tuple[tuple[str, str], ...] = (),
                   tls_chain_der: tuple[bytes, ...] = (), rendered_hosts: tuple[str, ...] = ()) -> CapturedPage:
    """Visible text and every outgoing reference (links, images with their alt text, scripts, frames, forms).

    Walks parsel's lxml tree once with the element API: per-node XPath calls cost ~40x more on big pages.
    """
    root = Selector(text=html[:MAX_TEXT_CHARS] or "<html></html>").root
    links: list[PageLink] = []
    for node in root.iter(*_SOURCES):
        target = (node.get(_SOURCES[node.tag]) or "").strip()
        if not target or target.lower().startswith(("javascript:", "data:")):
            continue
        tag = "a" if node.tag == "area" else node.tag
        label = " ".join(node.text_content().split()) if tag == "a" else (node.get("alt") or node.get("title") or "")
        links.append(PageLink(url=urljoin(url, target), text=label.strip()[:300], tag=tag))
        if len(links) >= MAX_LINKS:
            break
    text = " ".join(" ".join(root.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]")).split())
    return CapturedPage(url=url, sha256=sha256, headers=headers, text=text, links=tuple(links),
                        tls_chain_der=tls_chain_der, rendered_hosts=rendered_hosts)

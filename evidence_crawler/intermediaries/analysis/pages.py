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


_SOURCES = (("//a[@href]", "a", "@href"), ("//area[@href]", "a", "@href"), ("//img[@src]", "img", "@src"),
            ("//script[@src]", "script", "@src"), ("//iframe[@src]", "iframe", "@src"),
            ("//form[@action]", "form", "@action"), ("//link[@href]", "link", "@href"))


def page_from_html(url: str, sha256: str, html: str, headers: tuple[tuple[str, str], ...] = (),
                   tls_chain_der: tuple[bytes, ...] = (), rendered_hosts: tuple[str, ...] = ()) -> CapturedPage:
    """Visible text and every outgoing reference (links, images with their alt text, scripts, frames, forms)."""
    sel = Selector(text=html[:MAX_TEXT_CHARS] or "<html></html>")
    links: list[PageLink] = []
    for xpath, tag, attr in _SOURCES:
        for node in sel.xpath(xpath):
            if len(links) >= MAX_LINKS:
                break
            target = (node.xpath(attr).get() or "").strip()
            label = " ".join(node.xpath("string(.)").get("").split()) if tag == "a" else (
                node.xpath("@alt").get() or node.xpath("@title").get() or "")
            if target and not target.lower().startswith(("javascript:", "data:")):
                links.append(PageLink(url=urljoin(url, target), text=label.strip()[:300], tag=tag))
    text = " ".join(" ".join(sel.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]").getall()
                             ).split())
    return CapturedPage(url=url, sha256=sha256, headers=headers, text=text, links=tuple(links),
                        tls_chain_der=tls_chain_der, rendered_hosts=rendered_hosts)

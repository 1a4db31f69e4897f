"""The text of the link a crawl followed: what a visitor clicked, stated beside each page's referrer.

The anchor's text; else its ``title`` or ``aria-label``; else the ``alt`` of its image (or of an image
map's ``<area>``). Whitespace is collapsed, control characters dropped, the length bounded: it is shop
text, recorded as data and escaped wherever it is shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from parsel import Selector
from w3lib.url import safe_url_string

MAX_CHARS = 300
META_KEY = "evidence_link_text"  # Request meta: set by the spider when it follows a link, read by the recorder
ANCHORS = "//a[@href] | //area[@href]"
_SPACE = re.compile(r"\s+")


def clean(text: str | None) -> str | None:
    """Collapsed, without control characters, at most :data:`MAX_CHARS` (cut with an ellipsis); None if empty."""
    if not text:
        return None
    text = "".join(c for c in text if unicodedata.category(c) != "Cc" or c in "\t\n\r")
    text = _SPACE.sub(" ", text).strip()
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS - 1].rstrip() + "…"
    return text or None


def link_text(anchor: Selector) -> str | None:
    """What the link says, for an ``<a>``/``<area>`` element (None when it says nothing)."""
    if isinstance(anchor.root, str):
        return None
    for expr in ("string(.)", "@title", "@aria-label", "@alt", ".//img[@alt][1]/@alt"):
        text = clean(anchor.xpath(expr).get())
        if text:
            return text
    return None


def _key(url: str) -> str:
    return safe_url_string(url.split("#", 1)[0])


class AnchorTexts:
    """The links of a page by target URL (fragment dropped); the text of the first one to a URL that says
    something, worked out only for the URLs asked about (a page has many more links than are followed)."""

    def __init__(self, selector: Selector, urljoin: Callable[[str], str]) -> None:
        self._anchors: dict[str, list[Selector]] = {}
        for anchor in selector.xpath(ANCHORS):
            href = (anchor.attrib.get("href") or "").strip()
            if href:
                self._anchors.setdefault(_key(urljoin(href)), []).append(anchor)

    def text_for(self, url: str) -> str | None:
        return next((t for t in map(link_text, self._anchors.get(_key(url), ())) if t), None)

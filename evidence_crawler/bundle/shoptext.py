"""Shop text in the HTML we render: cut at a stated length, bidi controls shown, each value isolated.

A shop controls every title, price and URL we show. Three things can go wrong even with escaping:
- size: a 100,000-character title takes Chromium minutes to lay out, and the export's print times out.
  Values are cut at a stated length with "…(N characters, full text in items.jsonl)": the full text
  stays in the sealed JSONL files, which are evidence; the report is their reading aid.
- direction: a U+202E (right-to-left override) makes "12,99 €" display as "€ 99,21", and an unclosed
  override runs on into the next cell. Each control is shown as a visible ``⟨U+202E⟩`` and the value is
  put in a ``<bdi>`` (``unicode-bidi: isolate``), so it cannot reorder what is around it.
- markup: escaping stays Jinja2's autoescape; this filter escapes what it emits itself.
The sealed files keep the raw text: only what we display changes.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

BIDI_CONTROLS = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
LIMIT = 300  # characters of a long value (title, URL, name) shown in the report
SHORT = 60  # characters of a short cell (format, price, currency) shown


_BIDI = re.compile("([" + "".join(chr(c) for c in sorted(BIDI_CONTROLS)) + "])")


def visible(text: str) -> Markup:
    """``text`` escaped, each bidi control replaced by a visible ``⟨U+XXXX⟩`` (runs between controls are
    escaped whole: a 10,000-item page renders thousands of values)."""
    parts = _BIDI.split(text)  # odd positions: the controls
    return Markup("").join(Markup('<span class="bidi">⟨U+{:04X}⟩</span>').format(ord(p)) if k % 2 else escape(p)
                           for k, p in enumerate(parts) if p)


def shop_html(value: Any, limit: int, note: str, source: str) -> Markup:
    """One shop value as isolated, visible-controls HTML, cut to ``limit`` characters with ``note``
    (a format string with ``{n}`` and ``{source}``) saying how long it was and where the rest is."""
    text = "" if value is None else str(value)
    if not text:
        return Markup("")
    shown = visible(text[:limit])
    if len(text) > limit:
        shown += Markup('<span class="cut">{}</span>').format(note.format(n=len(text), source=source))
    return Markup('<bdi class="shop">{}</bdi>').format(shown)


@pass_context
def shop_filter(context: Context, value: Any, limit: int = LIMIT, source: str = "items.jsonl") -> Markup:
    """The report's ``shop`` filter: the cut note in the report's language (``t.cut_note``)."""
    return shop_html(value, limit, context["t"]["cut_note"], source)

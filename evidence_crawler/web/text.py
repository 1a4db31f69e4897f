"""Shop text as the workbench shows it: escaped, bidi controls made visible, each value isolated, long cut."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MAX_SHOWN = 2000


def shop_text(value: Any, limit: int = MAX_SHOWN) -> Markup:
    text = "" if value is None else str(value)
    note = ""
    if len(text) > limit:
        note = f"…({len(text)} characters, full text in items.jsonl)"
        text = text[:limit]
    shown = BIDI.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)
    return Markup("<bdi>") + escape(shown) + escape(note) + Markup("</bdi>")

"""The report's "Peer-to-peer hub" section: each surveyed DC hub, its users and the shares found.

Built from the bundle's ``p2p_hub`` and ``p2p_share`` items only (what the sealed ``items.jsonl`` says),
with its own section of the text catalogue (``hub``), so the section is one self-contained block of the
report (``p2p_hub.html.j2``).
Search results are listed in full (the survey bounds them); file lists, which can hold hundreds of
thousands of entries, are counted per user: every entry is in the capture's ``items.jsonl``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from evidence_crawler.bundle.strings import strings


def hub_sections(items: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """``{"t": strings, "hubs": [...]}``; ``hubs`` is empty when the bundle holds no survey."""
    hubs = []
    for hub in (i for i in items if i.get("kind") == "p2p_hub"):
        shares = [i["fields"] for i in items if i.get("kind") == "p2p_share" and i["url"] == hub["url"]
                  and i.get("capture_id") == hub.get("capture_id")]
        hubs.append({"facts": hub["fields"], "url": hub["url"],
                     "hits": [s for s in shares if s.get("source") == "search"],
                     "filelists": sorted(Counter(s["user"] for s in shares if s.get("source") == "filelist").items())})
    return {"t": strings(lang, "hub"), "hubs": hubs}

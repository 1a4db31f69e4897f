"""Bounds on a YAML document, checked on the parser's event stream before anything is built from it.

A profile is a few dozen keys, but YAML lets 475 bytes of aliases stand for a billion nodes ("billion
laughs"), and PyYAML's composer recurses once per nesting level. Everything that later walks the document
(line index, pydantic) walks the *expanded* tree, so the count that matters is the expanded one. The event
stream is flat and linear in the input: here each anchor's expanded size is remembered and each alias adds
it, so a bomb is refused after reading its first few lines, in constant memory per anchor.
"""

from __future__ import annotations

import yaml

MAX_PROFILE_BYTES = 256 * 1024  # the largest shipped profile is about 1 KiB
MAX_FIELDS = 10_000  # keys, values and list entries, aliases expanded
MAX_ALIASES = 32  # a profile may reuse a few blocks (offer fields = item fields), never many
MAX_DEPTH = 32  # nesting of mappings and lists

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: about 10x faster


class YamlTooLarge(ValueError):
    """Past one of the bounds; ``line`` is where it was noticed (1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def check_bounds(text: str) -> None:
    """Raise :class:`YamlTooLarge` past a bound, ``yaml.YAMLError`` for invalid YAML; else return."""
    if len(text) > MAX_PROFILE_BYTES:
        raise YamlTooLarge(1, f"profile is larger than {MAX_PROFILE_BYTES} bytes; refused")
    anchors: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, expanded count so far) per open collection
    aliases = expanded = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise YamlTooLarge(line, f"more than {MAX_ALIASES} YAML aliases; refused (a profile needs few)")
            size = anchors.get(event.anchor, 1)
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            if len(open_nodes) >= MAX_DEPTH:
                raise YamlTooLarge(line, f"mappings/lists nested more than {MAX_DEPTH} deep; refused")
            open_nodes.append((event.anchor, 1))
            expanded += 1
            continue
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, size = open_nodes.pop()
            if anchor is not None:
                anchors[anchor] = size
            if open_nodes:
                open_nodes[-1] = (open_nodes[-1][0], open_nodes[-1][1] + size)
            continue
        else:
            continue
        if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
            anchors[event.anchor] = 1
        if open_nodes:
            open_nodes[-1] = (open_nodes[-1][0], open_nodes[-1][1] + size)
        expanded += size
        if expanded > MAX_FIELDS:
            what = "YAML aliases expand to" if isinstance(event, yaml.AliasEvent) else "profile has"
            raise YamlTooLarge(line, f"{what} more than {MAX_FIELDS} fields (keys, values, list entries); refused")

"""The report's text catalogue (``bundle/text/report.yaml``): every entry in every language, with the
same ``{placeholders}`` in each, so no report prints a key, a KeyError or a half-translated line."""

from __future__ import annotations

import string

import pytest

from evidence_crawler.bundle.strings import LANGS, CatalogueError, catalogue, section, strings


def _entries(node, path=()):
    """Every leaf ``{lang: text}`` of the catalogue, with where it stands."""
    if isinstance(node, dict) and set(node) & set(LANGS):
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _entries(v, (*path, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _entries(v, (*path, str(i)))


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_every_entry_has_every_language_and_the_same_placeholders():
    leaves = list(_entries(catalogue()))
    assert len(leaves) > 250
    for path, entry in leaves:
        assert set(entry) == set(LANGS), path
        assert all(isinstance(entry[lang], str) and entry[lang].strip() for lang in LANGS), path
        assert _fields(entry["en"]) == _fields(entry["fr"]), path


def test_the_sections_the_report_reads_are_there():
    for name in ("report", "checklist_words", "hub", "findings", "intermediaries", "roles"):
        assert strings("fr", name)
    assert [g for g in section("checklist")][:2] == ["operator", "machine"]  # the order the report prints


def test_unknown_language_and_section_are_named():
    with pytest.raises(ValueError, match="unknown report language 'de'"):
        strings("de")
    with pytest.raises(CatalogueError, match="no section 'nope'"):
        section("nope")

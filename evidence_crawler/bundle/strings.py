"""The report's fixed text in English and French, read from the catalogue ``text/report.yaml``.

The text is data, not code: one YAML file holds every section of the report (``report``, ``checklist``,
``hub``, ``findings``, ``intermediaries``, ...), so a translator edits one file and the sections share one
lookup. Page-derived text never goes there: it is data of another kind, printed escaped.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

LANGS = ("en", "fr")
CATALOGUE = "text/report.yaml"


class CatalogueError(Exception):
    pass


@cache
def catalogue() -> dict[str, Any]:
    """Every section of the catalogue, loaded once (YAML parsed only when a report is made)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(files(__package__).joinpath(CATALOGUE).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    if not isinstance(data, dict):
        raise CatalogueError(f"{CATALOGUE}: not a mapping of sections")
    return data


def section(name: str) -> dict[str, Any]:
    """One section as it stands in the catalogue (nested entries, e.g. the checklist's groups, kept)."""
    try:
        return catalogue()[name]
    except KeyError:
        raise CatalogueError(f"{CATALOGUE} has no section {name!r}") from None


def strings(lang: str, name: str = "report") -> dict[str, str]:
    """``{key: text}`` of one flat section in ``lang``."""
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}; choose one of {', '.join(LANGS)}")
    return {k: v[lang] for k, v in section(name).items()}

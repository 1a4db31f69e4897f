"""The warcio names this package uses beyond warcio's documented API, checked once, at import.

The record checker compares digests with warcio's own rules (``_compare_digest_rfc_3548``,
``_parse_digest``) and the writer swaps warcio's sha1 digester for sha256 by overriding
``_create_digester``. These are private: a warcio release may rename them, and an override of a
renamed method would silently write sha1 digests. pyproject.toml pins warcio to the range tested
(:data:`WARCIO_PIN`); if an install outside it lacks a name, importing the package fails here,
naming the pin, rather than with an AttributeError deep inside verify or a WARC with other digests.
"""

from __future__ import annotations

import importlib

WARCIO_PIN = "warcio>=1.8.1,<1.9"  # keep equal to the requirement in pyproject.toml
PRIVATE_NAMES = {
    "warcio.digestverifyingreader": ("_compare_digest_rfc_3548", "_parse_digest"),
    "warcio.recordbuilder": ("RecordBuilder._create_digester",),
    "warcio.recordloader": ("ArcWarcRecordLoader.WARC_TYPES", "ArcWarcRecordLoader.HTTP_RECORDS",
                            "ArcWarcRecordLoader.HTTP_SCHEMES"),
    "warcio.utils": ("Digester",),
}


class WarcioMismatch(ImportError):
    """The installed warcio lacks a name this package relies on."""


def missing_names() -> list[str]:
    missing = []
    for module_name, names in PRIVATE_NAMES.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            missing.extend(f"{module_name}.{n}" for n in names)
            continue
        for dotted in names:
            obj = module
            for part in dotted.split("."):
                obj = getattr(obj, part, None)
            if obj is None:
                missing.append(f"{module_name}.{dotted}")
    return missing


def require_warcio() -> None:
    if missing := missing_names():
        from importlib.metadata import version  # only to name the installed release (slow to import)

        raise WarcioMismatch(
            f"evidence-crawler needs {WARCIO_PIN} (installed: warcio {version('warcio')}); "
            f"missing: {', '.join(missing)}. Reinstall with: pip install '{WARCIO_PIN}'")


require_warcio()

from warcio.digestverifyingreader import _compare_digest_rfc_3548 as compare_digest  # noqa: E402
from warcio.digestverifyingreader import _parse_digest as parse_digest  # noqa: E402

__all__ = ["WARCIO_PIN", "compare_digest", "parse_digest", "require_warcio"]

"""Hub URLs: ``adc://``, ``adcs://`` (ADC, ADC over TLS), ``dchub://``, ``nmdc://`` and ``nmdcs://`` (NMDC)."""

from __future__ import annotations

from urllib.parse import urlsplit

from evidence_crawler.p2phub.records import HubUrl

SCHEMES = {"adc": ("adc", False), "adcs": ("adc", True), "dchub": ("nmdc", False), "nmdc": ("nmdc", False),
           "nmdcs": ("nmdc", True)}
DEFAULT_PORT = 411  # the historical DC hub port; ADC has none of its own, so hubs announce one explicitly


class HubUrlError(ValueError):
    """A hub URL that cannot be surveyed; the message is one line fit for the user."""


def parse_hub_url(text: str) -> HubUrl:
    raw = text.strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise HubUrlError(f"not a hub URL: {raw!r} ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise HubUrlError(f"not a hub URL: {raw!r} (expected adc://, adcs://, dchub://, nmdc:// or nmdcs://)")
    if not parts.hostname:
        raise HubUrlError(f"hub URL without a host: {raw!r}")
    protocol, tls = SCHEMES[scheme]
    port = port or DEFAULT_PORT
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    return HubUrl(scheme=scheme, host=host, port=port, protocol=protocol, tls=tls,
                  url=f"{scheme}://{shown}:{port}")

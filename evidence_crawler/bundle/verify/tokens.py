"""RFC 3161 tokens: the export's (``evidence/timestamp-N.tsr``, over sha256 of evidence/manifest.json) and
when every token says it was made.

Each token must be intact, cover the manifest and, with ``--tsa-ca``, chain to the given roots. Its genTime
must fit the bundle's story, within ``TIME_TOLERANCE`` (clocks of the exporter and the TSA differ a little):

- an export token is dated at the bundle's creation (``created`` in evidence/manifest.json), and not before
  any capture in it ended;
- a seal-time token is dated not before its capture ended and not after the bundle was created; one dated
  long after the capture ended is a warning, with the delay (the capture is only attested from then).

A bundle without an export token fails unless the reader accepts untimestamped bundles
(``verify --accept-untimestamped``): a token stripped and the bundle re-signed looks exactly like an
``export --no-timestamp`` bundle, and only the reader can say which one they expected.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase

from evidence_crawler.bundle.timestamp import check_chain, inspect_token
from evidence_crawler.bundle.verify.context import Bundle

TIME_TOLERANCE = timedelta(minutes=5)
ACCEPT_FLAG = "--accept-untimestamped"
TOKEN_PATTERN = "evidence/timestamp-*.tsr"


def _when(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def tolerance_text() -> str:
    return f"±{int(TIME_TOLERANCE.total_seconds() // 60)} min"


def _ended(b: Bundle) -> dict[str, datetime]:
    """Each capture's end, from its sealed manifest (what the seal-time token covers)."""
    return {cid: when for cid, m in b.sealed.items() if (when := _when(m.finished_at)) is not None}


def check_export_token(b: Bundle, name: str) -> None:
    """One ``evidence/timestamp-N.tsr`` (a ``MEMBER_CHECKS`` entry): intact, over the manifest, chained."""
    tokens = b.report.info.setdefault("timestamps", [])
    der, tsa_ca = b.doc(name) or b"", b.options.tsa_ca
    try:
        info = inspect_token(der, b.manifest_digest)
    except ValueError as exc:
        b.problem(f"{name}: not a timestamp response ({exc})")
        return
    b.report.problems.extend(f"{name}: {p}" for p in info.problems)
    if tsa_ca is not None and not info.problems:
        b.report.problems.extend(f"{name}: {p}" for p in check_chain(der, tsa_ca))
    tokens.append({"path": name, **info.as_dict(), "chain_checked": tsa_ca is not None})
    b.report.count("timestamps")


def check_timestamped(b: Bundle) -> None:
    """A bundle without an export token fails unless ``--accept-untimestamped`` (and it said --no-timestamp)."""
    names = [n for n in b.z.members if fnmatchcase(n, TOKEN_PATTERN)]
    ts = (b.manifest_raw or {}).get("timestamps") or {}
    b.report.info.setdefault("timestamps", [])
    b.report.info["time_tolerance"] = tolerance_text()
    if not names:
        if not ts.get("disabled"):
            b.problem("no timestamp token in evidence/ (removed?)")
        elif b.options.accept_untimestamped:
            b.report.warnings.append(f"NOT TIMESTAMPED: exported with --no-timestamp, accepted ({ACCEPT_FLAG}); no "
                                     "trusted time attests when this bundle existed")
        else:
            b.problem(f"NOT TIMESTAMPED: the bundle carries no timestamp token (exported with --no-timestamp, or "
                      f"its token was removed and the bundle signed again); pass {ACCEPT_FLAG} if an untimestamped "
                      "bundle is what you expected")
    elif b.options.tsa_ca is None:
        b.report.warnings.append("timestamp tokens are intact and cover the manifest, but the TSA's certificate "
                                 "chain was not checked: pass --tsa-ca with the TSA's root certificate")


def check_times(b: Bundle) -> None:
    """Every token's genTime against the bundle's creation and the captures' ends (``TIME_TOLERANCE``)."""
    tol, created = TIME_TOLERANCE, _when((b.manifest_raw or {}).get("created"))
    ended = _ended(b)
    last_end = max(ended.values(), default=None)
    for tok in b.report.info.get("timestamps", []):
        gen = _when(tok.get("gen_time"))
        if gen is None:
            continue
        name = tok["path"]
        if created is not None and abs(gen - created) > tol:
            side = "after" if gen > created else "before"
            b.problem(f"{name}: genTime {tok['gen_time']} is {_span(gen - created)} {side} the bundle's creation "
                      f"({b.manifest_raw.get('created')}), past the {tolerance_text()} tolerance")
        if last_end is not None and gen < last_end - tol:
            b.problem(f"{name}: genTime {tok['gen_time']} is before a capture in the bundle ended "
                      f"({iso_of(last_end)}), past the {tolerance_text()} tolerance")
    for cid, anchor in (b.report.info.get("seal_anchors") or {}).items():
        end = ended.get(cid)
        for tok in anchor.get("timestamps", []):
            gen = _when(tok.get("gen_time"))
            if gen is None or end is None:
                continue
            tok["after_capture_end_s"] = round((gen - end).total_seconds(), 3)
            label = f"capture {cid}: seal-time token dated {tok['gen_time']}"
            if gen < end - tol:
                b.problem(f"{label}, before the capture ended ({iso_of(end)}), past the {tolerance_text()} tolerance")
            elif created is not None and gen > created + tol:
                b.problem(f"{label}, after the bundle was created ({b.manifest_raw.get('created')}), past the "
                          f"{tolerance_text()} tolerance")
            elif gen > end + tol:
                b.report.warnings.append(f"{label}, {_span(gen - end)} after the capture ended: its content is "
                                         "attested only from then")


def _span(delta: timedelta) -> str:
    s = abs(delta.total_seconds())
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.0f} min" if s < 7200 else f"{s / 3600:.1f} h"


def iso_of(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

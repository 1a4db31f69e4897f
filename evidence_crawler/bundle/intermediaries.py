"""Technical intermediaries in a bundle (issue 18): ``evidence/intermediaries.json`` and the report section.

The member holds, per exported capture, the ``intermediaries`` section of its sealed manifest as it was
sealed (the manifest is in the bundle too, byte for byte): ``verify`` checks that the two agree and that
every piece of evidence naming a WARC file and offset points at a record of that WARC in the bundle. The
report section ("Technical intermediaries" / "Intermédiaires techniques") lists, per intermediary, what it
does for the site and the proof, so that a lawyer can turn it into notices. Names, contacts and details
come from RDAP servers and shop pages: hostile text, printed through the ``shop`` filter (escaped).
"""

from __future__ import annotations

import json
from typing import Any

from evidence_crawler.bundle.package import WaczWriter
from evidence_crawler.models import CaptureManifest, IntermediariesSection

MEMBER = "evidence/intermediaries.json"
FORMAT = "evidence-crawler/bundle-intermediaries/1"

STRINGS: dict[str, dict[str, str]] = {
    "title": {"en": "Technical intermediaries", "fr": "Intermédiaires techniques"},
    "intro": {"en": "Who hosts, names, secures, serves and pays for the site, as recorded during the capture "
                    "(DNS answers and RDAP records kept in the WARC, and what the captured pages show). Each line "
                    "gives the proof: the WARC record (file and offset) or the page (URL and sha256).",
              "fr": "Qui héberge, nomme, sécurise, distribue et encaisse pour le site, tel qu'enregistré pendant "
                    "la capture (réponses DNS et fiches RDAP conservées dans le WARC, et ce que montrent les pages "
                    "capturées). Chaque ligne donne la preuve : l'enregistrement WARC (fichier et position) ou la "
                    "page (URL et sha256)."},
    "role": {"en": "Role for the site", "fr": "Rôle pour le site"},
    "name": {"en": "Intermediary", "fr": "Intermédiaire"},
    "abuse": {"en": "Abuse contact", "fr": "Contact abus"},
    "country": {"en": "Country", "fr": "Pays"},
    "proof": {"en": "Proof", "fr": "Preuve"},
    "more": {"en": "and {n} more in evidence/intermediaries.json", "fr": "et {n} autres dans "
                                                                       "evidence/intermediaries.json"},
    "failed": {"en": "{n} of {total} lookups got no answer (listed in evidence/intermediaries.json); the time "
                     "budget was {budget}.", "fr": "{n} des {total} interrogations sont restées sans réponse "
                     "(liste dans evidence/intermediaries.json) ; budget de temps : {budget}."},
    "exhausted": {"en": "exhausted", "fr": "épuisé"},
    "enough": {"en": "enough", "fr": "suffisant"},
    "step_error": {"en": "The step failed: {error}", "fr": "L'étape a échoué : {error}"},
}
ROLES: dict[str, dict[str, str]] = {
    "hosting": {"en": "hosts the server (IP network, AS)", "fr": "héberge le serveur (réseau IP, AS)"},
    "registrar": {"en": "registrar of the domain name", "fr": "bureau d'enregistrement du nom de domaine"},
    "registrant": {"en": "holder of the domain name", "fr": "titulaire du nom de domaine"},
    "dns": {"en": "serves the domain's DNS", "fr": "fournit le DNS du domaine"},
    "cdn": {"en": "CDN / reverse proxy in front of the site", "fr": "CDN / proxy inverse devant le site"},
    "certificate_authority": {"en": "issued the TLS certificate", "fr": "a émis le certificat TLS"},
    "payment": {"en": "payment method offered", "fr": "moyen de paiement proposé"},
    "advertising": {"en": "advertising network on the pages", "fr": "régie publicitaire sur les pages"},
    "analytics": {"en": "audience measurement on the pages", "fr": "mesure d'audience sur les pages"},
    "email": {"en": "receives the domain's e-mail", "fr": "reçoit le courrier du domaine"},
}
SHOWN_EVIDENCE = 5  # per intermediary in the report; the member has them all


def strings(lang: str) -> dict[str, str]:
    return {k: v[lang] for k, v in STRINGS.items()}


def bundle_document(manifests: list[tuple[str, CaptureManifest]]) -> dict[str, Any] | None:
    """The member's content: each capture's sealed section (None when no capture has one)."""
    captures = [{"capture_id": cid, "section": m.intermediaries.model_dump(mode="json")}
                for cid, m in manifests if m.intermediaries is not None]
    return {"format": FORMAT, "captures": captures} if captures else None


def add_intermediaries(w: WaczWriter, manifests: list[tuple[str, CaptureManifest]]) -> dict[str, Any] | None:
    doc = bundle_document(manifests)
    if doc is not None:
        w.add_bytes(MEMBER, json.dumps(doc, indent=2, ensure_ascii=False).encode() + b"\n")
    return doc


def _proof(ev: dict[str, Any]) -> str:
    if ev.get("warc_file"):
        where = f"{ev['warc_file']} @ {ev['warc_offset']}"
    elif ev.get("page_sha256"):
        where = f"sha256 {ev['page_sha256']}"
    else:
        where = ev.get("record_id") or ""
    return f"{ev['kind']} {ev['target']} — {ev['detail']}" + (f" [{where}]" if where else "")


def report_intermediaries(doc: dict[str, Any] | None, lang: str) -> list[dict[str, Any]]:
    """Per capture, the rows of the section: role (in the report's language), name, contact, proof lines."""
    out = []
    for cap in (doc or {}).get("captures", []):
        s = IntermediariesSection.model_validate(cap["section"])
        failed = [lk for lk in s.lookups if lk.outcome not in ("ok", "nodata")]
        rows = [{"role": ROLES[i.role][lang], "name": i.name, "abuse": i.abuse_contact or "—",
                 "country": i.country or "—", "proofs": [_proof(e.model_dump()) for e in i.evidence[:SHOWN_EVIDENCE]],
                 "more": max(0, i.evidence_total - SHOWN_EVIDENCE)} for i in s.intermediaries]
        out.append({"capture_id": cap["capture_id"], "rows": rows, "failed": len(failed), "lookups": len(s.lookups),
                    "exhausted": s.budget_exhausted, "error": s.error})
    return out


def check_intermediaries(b: Any, manifest: Any) -> None:
    """``verify``: the member agrees with the sealed manifests in the bundle, and each proof naming a WARC
    file and offset points at a verified record of that WARC (``b``: the verifier's bundle)."""
    sealed = {}
    for cap in manifest.captures:
        try:
            m = CaptureManifest.read(b.doc(cap.manifest.member) or b"")
        except ValueError:
            continue  # named by the capture checks
        sealed[cap.capture_id] = (m, {a.name: a.member for a in cap.artifacts})
    expected = {cid for cid, (m, _) in sealed.items() if m.intermediaries is not None}
    if b.doc(MEMBER) is None:
        if expected:
            b.problem(f"{MEMBER}: missing, though {', '.join(sorted(expected))} recorded intermediaries")
        return
    try:
        doc = json.loads(b.doc(MEMBER))
        entries = {c["capture_id"]: IntermediariesSection.model_validate(c["section"]) for c in doc["captures"]}
    except (ValueError, KeyError, TypeError):
        b.problem(f"{MEMBER}: not an intermediaries document")
        return
    if set(entries) != expected:
        b.problem(f"{MEMBER}: lists captures {sorted(entries)}, the sealed manifests {sorted(expected)}")
    for cid, section in entries.items():
        if cid not in expected:
            continue
        m, members = sealed[cid]
        if section.model_dump(mode="json") != m.intermediaries.model_dump(mode="json"):
            b.problem(f"{MEMBER}: {cid} differs from the intermediaries section of its sealed manifest")
            continue
        for entry in section.intermediaries:
            for ev in entry.evidence:
                if ev.warc_file is None:
                    continue
                scan = b.scans.get(members.get(ev.warc_file, ""))
                if scan is None or ev.warc_offset not in scan.payloads:
                    b.problem(f"{MEMBER}: {entry.role} {entry.name}: no verified record at offset "
                              f"{ev.warc_offset} of {ev.warc_file}")
                b.report.count("intermediaries_proofs")

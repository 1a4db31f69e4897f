"""The report's "Peer-to-peer hub" block: what hubs and users sent is data (escaped, bidi shown), the TLS
certificate and matched works are shown, and shares recorded before ``matched_work`` existed still render."""

from __future__ import annotations

from evidence_crawler.bundle.hubreport import hub_sections
from evidence_crawler.bundle.report import _env
from evidence_crawler.bundle.strings import strings

URL = "adcs://127.0.0.1:4111"
FACTS = {"url": URL, "address": "127.0.0.1", "name": "<script>alert(1)</script>", "description": None,
         "topic": None, "motd": ["<img src=x onerror=alert(2)>"], "software": "uhub", "version": "0.4.1",
         "redirects": [], "tls_certificate_sha256": "ab" * 32, "tls_certificate_subject": "CN=hub.test,O=Evil<b>",
         "tls_certificate_issuer": "CN=Some CA", "started_at": "2026-01-01T00:00:00Z",
         "ended_at": "2026-01-01T00:01:00Z", "end": {"reason": "completed", "detail": "ok"}, "users": 1,
         "total_share": 10, "user_list": [{"nick": "bob\u202egpj.exe", "share_size": 10, "file_count": 1,
                                           "client_tag": None, "mode": "active", "ip": None}]}
WORK = {"repertoire": "rao", "version": 2, "row": 7, "artist": "Kino", "title": "Gruppa krovi", "method": "fuzzy",
        "score": 90, "review": True}


def share(path, **extra):
    fields = {"user": "bob", "path": path, "size": 10, "tth": "T" * 39, "term": "kino", "work": None,
              "source": "search", **extra}
    return {"kind": "p2p_share", "url": URL, "fields": fields}


def render(lang: str = "en") -> str:
    items = [{"kind": "p2p_hub", "url": URL, "fields": FACTS}, share("/Kino - Gruppa krovi.mp3", matched_work=WORK),
             share("/old.mp3")]  # recorded before matched_work existed
    return _env.get_template("p2p_hub.html.j2").render(p2p_hub=hub_sections(items, lang), t=strings(lang))


def test_hub_text_is_data_and_the_certificate_and_matched_work_are_shown():
    html = render()
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert "\u202e" not in html  # the bidi override is shown, not obeyed
    assert "ab" * 32 in html and "CN=hub.test,O=Evil&lt;b&gt;" in html and "CN=Some CA" in html
    assert "Kino" in html and "Gruppa krovi" in html
    assert "rao" in html and "row 7" in html and "to review" in html and "/old.mp3" in html


def test_french_report_block():
    html = render("fr")
    assert "Certificat TLS présenté" in html and "ligne 7" in html and "à vérifier" in html

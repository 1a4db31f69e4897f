"""The report's "Technical intermediaries" section: RDAP and shop strings are data, escaped."""

from __future__ import annotations


def test_hostile_rdap_text_is_escaped_in_the_report_section():
    from evidence_crawler.bundle.intermediaries import report_intermediaries
    from evidence_crawler.bundle.report import _env
    from evidence_crawler.bundle.strings import strings

    hostile = "<script>alert(1)</script>"
    section = {"started_at": "t", "finished_at": "t", "settings": {}, "resolvers": [], "registered_domains": [],
               "hosts": [], "pages_analysed": 0, "budget_exhausted": False, "records": 0, "lookups": [],
               "intermediaries": [{"role": "registrar", "name": f"Evil {hostile}", "abuse_contact": hostile,
                                   "country": "RU", "evidence_total": 1, "evidence": [
                                       {"kind": "rdap", "target": "http://x/", "detail": hostile}]}]}
    for lang, title in (("en", "Technical intermediaries"), ("fr", "Intermédiaires techniques")):
        rows = report_intermediaries({"captures": [{"capture_id": "c1", "section": section}]}, lang)
        template = _env.get_template("_intermediaries.html.j2")
        html = template.render(intermediaries=rows, ti=strings(lang, "intermediaries"), t=strings(lang))
        assert title in html and "<script>" not in html and "&lt;script&gt;" in html

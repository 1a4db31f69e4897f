"""Re-read a stored transcript with the survey's own handlers: the recorded bytes, not our summary of
them, are the evidence, and anyone can check that they say what the result says.

Only the hub channel is replayed; search terms come from the ``BSCH``/``$Search`` messages we sent (the
repertoire work a term stood for is not on the wire, so replayed hits carry ``work=None``).
"""

from __future__ import annotations

from evidence_crawler.p2phub import adc, nmdc
from evidence_crawler.p2phub.adc_survey import AdcSurvey
from evidence_crawler.p2phub.nmdc_survey import NmdcSurvey
from evidence_crawler.p2phub.records import SurveyRequest, SurveyResult, WireMessage
from evidence_crawler.p2phub.wire import SurveyStop


class _Silent:
    """Stands in for the hub link: a replay never sends."""

    def send(self, data: bytes) -> None:
        return None


def replay(request: SurveyRequest, messages: list[WireMessage], address: str = "") -> SurveyResult:
    """``address``: the hub IP, from the record's ``WARC-IP-Address``."""
    survey = AdcSurvey(request) if request.url.protocol == "adc" else NmdcSurvey(request)
    survey.state.address = address
    survey.hub = _Silent()
    survey.logged_in = True  # no replies are wanted from a replay
    try:
        for m in messages:
            if m.channel != "hub":
                continue
            if m.direction == "sent":
                _note_sent(survey, m.data)
            else:
                survey._handle(adc.parse(m.data) if isinstance(survey, AdcSurvey) else m.data)
    except SurveyStop as stop:
        return survey.state.result(stop.reason, stop.detail)
    return survey.state.result("completed", "replayed from the transcript")


def _note_sent(survey: AdcSurvey | NmdcSurvey, data: bytes) -> None:
    if isinstance(survey, AdcSurvey):
        msg = adc.parse(data)
        if msg and msg.command == "INF" and msg.type == "B":
            survey.sid = msg.sid
        elif msg and msg.command == "SCH" and msg.first("TO"):
            term = " ".join(msg.named("AN"))
            survey.tokens[msg.first("TO")] = (term, None)
            survey.state.searches.append(term)
        return
    command, rest = nmdc.split(nmdc.decode(data))
    if command == "$Search":
        term = nmdc.unescape(rest.split("?", 4)[-1].replace("$", " "))
        survey.term = (term, None)
        survey.state.searches.append(term)

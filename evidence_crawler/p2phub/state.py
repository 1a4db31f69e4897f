"""What a survey has learnt so far; both protocols fill it, and it always yields a complete result.

Kept separate from the protocol code so that a survey cut short by any bound still returns everything
recorded up to the cut, as a typed ``SurveyResult`` that says why it ended.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evidence_crawler.p2phub.records import (
    EndReason,
    FileList,
    HubFacts,
    HubUser,
    ShareHit,
    SurveyEnd,
    SurveyRequest,
    SurveyResult,
)
from evidence_crawler.p2phub.transcript import Transcript
from evidence_crawler.p2phub.wire import SurveyStop
from evidence_crawler.timeutil import utcnow


class SurveyState:
    def __init__(self, request: SurveyRequest, transcript: Transcript | None = None) -> None:
        self.request = request
        self.transcript = transcript or Transcript()
        self.started_at: datetime = utcnow()
        self.address = ""
        self.facts: dict[str, Any] = {"motd": [], "redirects": []}
        self.users: dict[str, HubUser] = {}  # by SID (ADC) or nick (NMDC)
        self.hits: list[ShareHit] = []
        self.filelists: list[FileList] = []
        self.searches: list[str] = []
        self.notes: list[str] = []

    def put_user(self, key: str, user: HubUser) -> None:
        if key not in self.users and len(self.users) >= self.request.limits.max_users:
            raise SurveyStop("user_limit", f"more than {self.request.limits.max_users} users announced")
        self.users[key] = user

    def add_hit(self, hit: ShareHit) -> None:
        if len(self.hits) >= self.request.limits.max_results:
            raise SurveyStop("message_limit", f"more than {self.request.limits.max_results} search results")
        self.hits.append(hit)

    def filelist_users(self) -> list[str]:
        """The users whose file lists are wanted: up to ``filelists`` of them, in the order results arrived."""
        wanted: list[str] = []
        for hit in self.hits:
            if hit.user not in wanted and len(wanted) < self.request.filelists:
                wanted.append(hit.user)
        return wanted

    def result(self, reason: EndReason, detail: str) -> SurveyResult:
        url = self.request.url
        hub = HubFacts(url=url.url, protocol=url.protocol, address=self.address, port=url.port, **self.facts)
        return SurveyResult(hub=hub, users=list(self.users.values()), hits=self.hits, filelists=self.filelists,
                            searches=self.searches, transcript=self.transcript.messages,
                            started_at=self.started_at, ended_at=utcnow(),
                            end=SurveyEnd(reason=reason, detail=detail), filelist_notes=self.notes)

"""An NMDC hub survey as a passive client: lock/key login, hub name/topic/MOTD, user list, searches.

Steps, each bounded by the shared ``Budget``:
1. ``$Lock`` → ``$Supports``/``$Key``/``$ValidateNick`` → ``$Hello`` → ``$Version``/``$GetNickList``/
   ``$MyINFO``; hub chat received before the first search is the MOTD.
2. One passive ``$Search Hub:nick F?T?0?1?term`` per term; ``$SR`` results relayed by the hub are
   collected for ``search_wait``.
3. File lists of active users whose results matched: ``$RevConnectToMe`` → their ``$ConnectToMe`` →
   ``nmdc_peer.fetch_filelist``. A passive user cannot be reached by a passive survey: noted, not tried.
"""

from __future__ import annotations

import time

from evidence_crawler.p2phub import nmdc
from evidence_crawler.p2phub.nmdc import NmdcError
from evidence_crawler.p2phub.nmdc_peer import fetch_filelist
from evidence_crawler.p2phub.records import FileList, ShareHit, SurveyRequest, SurveyResult
from evidence_crawler.p2phub.state import SurveyState
from evidence_crawler.p2phub.wire import PEER_FAILURES, Budget, Link, SurveyStop, connect_hub
from evidence_crawler.timeutil import utcnow

# $MyINFO status byte: 0x01 normal | 0x10 TLS (we can open TLS connections to peers; clients that require
# TLS, as eiskaltdcpp does by default, then answer $RevConnectToMe with a TLS port, "<port>S")
FLAGS = "\x11"
TAG = "<evidence-crawler V:0.1,M:P,H:1/0/0,S:0>"


class NmdcSurvey:
    def __init__(self, request: SurveyRequest) -> None:
        self.request = request
        self.state = SurveyState(request)
        self.budget = Budget(request.limits)
        self.hub: Link | None = None
        self.logged_in = False
        self.term: tuple[str, str | None] | None = None  # the search results are for now
        self.ctm: str | None = None  # the $ConnectToMe answering our $RevConnectToMe
        self.awaiting_ctm = False

    def run(self) -> SurveyResult:
        try:
            sock, self.state.address, certificate = connect_hub(self.request.url, self.request.allow_private,
                                                                self.budget)
            self.state.facts.update(certificate)
            self.hub = Link(sock, "hub", b"|", self.state.transcript, self.budget)
            self._login()
            for search in self.request.searches:
                self._search(search.term, search.work)
            self._filelists()
            return self.state.result("completed", "every step ran within its bounds")
        except SurveyStop as stop:
            return self.state.result(stop.reason, stop.detail)
        except NmdcError as exc:
            return self.state.result("malformed", str(exc))
        finally:
            if self.hub:
                self.hub.close()

    def _send(self, *commands: str) -> None:
        self.hub.send("".join(c + "|" for c in commands).encode("utf-8"))

    def _login(self) -> None:
        while not self.logged_in:
            data = self.hub.message(self.request.limits.idle)
            if data is None:
                raise SurveyStop("stalled", f"hub: nothing received for {self.request.limits.idle:g} s")
            self._handle(data)
        self._pump(min(1.0, self.request.limits.idle))  # user list and MOTD follow the login

    def _handle(self, data: bytes) -> None:
        command, rest = nmdc.split(nmdc.decode(data))
        facts, nick = self.state.facts, self.request.nick
        if command == "$Lock":
            self.hub.send(b"$Supports NoGetINFO NoHello UserIP2 TTHSearch|$Key " + nmdc.lock_to_key(nmdc.lock_of(rest))
                          + f"|$ValidateNick {nick}|".encode())
        elif command == "$HubName":
            facts["name"] = nmdc.unescape(rest)
        elif command == "$HubTopic":
            facts["topic"] = nmdc.unescape(rest)
        elif command == "$Hello" and rest == nick and not self.logged_in:
            self.logged_in = True
            self._send("$Version 1,0091", "$GetNickList", f"$MyINFO $ALL {nick} {TAG}$ $0{FLAGS}$$0$")
        elif command == "$MyINFO":
            user = nmdc.user_from_myinfo(rest)
            self.state.put_user(user.nick, user)
        elif command in ("$NickList", "$OpList"):
            for name in filter(None, rest.split("$$")):
                if name not in self.state.users:
                    self.state.put_user(name, nmdc.HubUser(nick=nmdc.unescape(name)))
        elif command == "$UserIP":
            for pair in filter(None, rest.split("$$")):
                who, _, ip = pair.partition(" ")
                if who in self.state.users and ip:
                    self.state.users[who] = self.state.users[who].model_copy(update={"ip": ip})
        elif command == "$ConnectToMe" and self.awaiting_ctm:
            self.ctm, self.awaiting_ctm = rest, False
        elif command == "$Quit":
            self.state.users.pop(rest, None)
        elif command in ("$ValidateDenide", "$BadPass", "$GetPass", "$HubIsFull", "$MaxedOut"):
            raise SurveyStop("login_refused", f"hub answered {command} {rest}".strip())
        elif command == "$ForceMove":
            facts["redirects"].append(rest)
            raise SurveyStop("redirected", f"hub redirected us to {rest} (not followed)")
        elif command == "$SR" and self.term:
            user, path, size, tth = nmdc.result_from_sr(rest)
            self.state.add_hit(ShareHit(user=user, path=path, size=size, tth=tth, term=self.term[0],
                                        work=self.term[1], arrived_at=utcnow(), source="search"))
        elif command == "" and rest:
            facts["motd"].append(nmdc.unescape(rest))
        elif command == "$Supports" or command.startswith("$"):
            return
        else:
            raise NmdcError(f"not an NMDC message: {rest[:60]!r}")

    def _pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            data = self.hub.message(left)
            if data is not None:
                self._handle(data)

    def _search(self, term: str, work: str | None) -> None:
        self.term = (term, work)
        self.state.searches.append(term)
        self._send(f"$Search Hub:{self.request.nick} F?T?0?1?{nmdc.escape(term).replace(' ', '$')}")
        self._pump(self.request.limits.search_wait)

    def _filelists(self) -> None:
        for nick in self.state.filelist_users():
            user = self.state.users.get(nick)
            if user is None:
                self.state.notes.append(f"user {nick}: left the hub before its file list was asked for")
            elif user.mode == "passive":
                self.state.notes.append(f"user {nick}: passive (M:P in its tag); a passive survey cannot reach a "
                                        "passive user")
            else:
                try:
                    self.state.filelists.append(self._fetch_filelist(nick))
                except SurveyStop as stop:
                    if stop.reason not in PEER_FAILURES:
                        raise
                    self.state.notes.append(f"user {nick}: {stop.detail}")

    def _fetch_filelist(self, nick: str) -> FileList:
        self.ctm, self.awaiting_ctm = None, True
        self._send(f"$RevConnectToMe {self.request.nick} {nmdc.escape(nick)}")
        end = time.monotonic() + self.request.limits.idle
        while self.ctm is None:
            if time.monotonic() > end:
                self.awaiting_ctm = False
                raise SurveyStop("stalled", f"no $ConnectToMe within {self.request.limits.idle:g} s")
            data = self.hub.message(end - time.monotonic())
            if data is not None:
                self._handle(data)
        return fetch_filelist(self.request, self.budget, self.state.transcript, nick, self.ctm)

"""An ADC hub survey as a passive client: log in, read the hub and its users, search, fetch file lists.

Steps, each bounded by the shared ``Budget``:
1. ``HSUP`` → ``ISID``/``IINF`` (hub facts) → our ``BINF``; the user list ends when the hub echoes our INF.
2. One ``BSCH`` per term; ``DRES`` results routed back through the hub are collected for ``search_wait``.
3. File lists: we are passive, so we send ``DRCM`` and the (active) user answers ``DCTM`` with a port; we
   connect to it (destination-guarded like the hub), send ``CSUP``/``CINF`` with the token and
   ``CGET file files.xml.bz2 0 -1``. Two passive clients cannot reach each other; that is noted, not tried.
"""

from __future__ import annotations

import os
import time

from evidence_crawler.p2phub import adc
from evidence_crawler.p2phub.adc import AdcError, AdcMessage
from evidence_crawler.p2phub.filelist import read_filelist
from evidence_crawler.p2phub.records import HubUser, ShareHit, SurveyRequest, SurveyResult, number
from evidence_crawler.p2phub.state import SurveyState
from evidence_crawler.p2phub.tiger import b32, tiger
from evidence_crawler.p2phub.wire import PEER_FAILURES, Budget, Link, SurveyStop, connect_hub, open_guarded, wrap_tls
from evidence_crawler.timeutil import utcnow

VERSION = "evidence-crawler 0.1"


class AdcSurvey:
    def __init__(self, request: SurveyRequest) -> None:
        self.request = request
        self.state = SurveyState(request)
        self.budget = Budget(request.limits)
        self.pid = os.urandom(24)
        self.cid = b32(tiger(self.pid))
        self.sid: str | None = None
        self.logged_in = False
        self.tokens: dict[str, tuple[str, str | None]] = {}  # search token -> (term, work)
        self.ctm: dict[str, tuple[str, str]] = {}  # token -> (sid, port) from DCTM
        self.refused: set[str] = set()  # tokens the user answered with an error status
        self.hub: Link | None = None

    def run(self) -> SurveyResult:
        try:
            self._connect()
            self._login()
            for i, search in enumerate(self.request.searches):
                self._search(f"s{i}", search.term, search.work)
            self._filelists()
            return self.state.result("completed", "every step ran within its bounds")
        except SurveyStop as stop:
            return self.state.result(stop.reason, stop.detail)
        except AdcError as exc:
            return self.state.result("malformed", str(exc))
        finally:
            if self.hub:
                self.hub.close()

    def _connect(self) -> None:
        sock, self.state.address, certificate = connect_hub(self.request.url, self.request.allow_private, self.budget)
        self.state.facts.update(certificate)
        self.hub = Link(sock, "hub", b"\n", self.state.transcript, self.budget)

    def _next(self, link: Link) -> AdcMessage | None:
        """Next message, or raise ``stalled`` when the idle timeout passes in silence."""
        data = link.message(self.request.limits.idle)
        if data is None:
            raise SurveyStop("stalled", f"{link.channel}: nothing received for {self.request.limits.idle:g} s")
        return adc.parse(data)

    def _login(self) -> None:
        self.hub.send(adc.encode("H", "SUP", "ADBASE", "ADTIGR"))
        while not self.logged_in:
            self._handle(self._next(self.hub))

    def _send_inf(self) -> None:
        self.hub.send(adc.encode("B", "INF", self.sid, "ID" + self.cid, "PD" + b32(self.pid),
                                 "NI" + self.request.nick, "VE" + VERSION, "SS0", "SF0", "SL0",
                                 "HN1", "HR0", "HO0"))

    def _handle(self, msg: AdcMessage | None) -> None:
        if msg is None:
            return
        facts, cmd = self.state.facts, msg.command
        if msg.type == "I" and cmd == "SID" and msg.fields:
            self.sid = msg.fields[0]
            self._send_inf()
        elif msg.type == "I" and cmd == "INF":
            for code, key in (("NI", "name"), ("DE", "description")):
                if msg.first(code) is not None:
                    facts[key] = msg.first(code)
            software = msg.first("AP") or msg.first("VE")
            if software:
                name, _, version = software.partition("/") if "/" in software else (software, "", msg.first("VE"))
                facts["software"], facts["version"] = name, version or None
        elif cmd == "INF" and msg.sid:
            self.state.put_user(msg.sid, adc.user_from_inf(msg, self.state.users.get(msg.sid)))
            if msg.sid == self.sid:
                self.logged_in = True
        elif cmd == "MSG" and msg.type in "IB":
            facts["motd"].append(msg.fields[0] if msg.fields else "")
        elif cmd == "STA" and msg.type == "I":
            code = msg.fields[0] if msg.fields else "000"
            text = msg.fields[1] if len(msg.fields) > 1 else ""
            if code.startswith("2"):
                raise SurveyStop("login_refused", f"hub status {code}: {text}")
            facts["motd"].append(text)
        elif cmd == "GPA":
            raise SurveyStop("login_refused", "the hub asks for a password (registered users only)")
        elif cmd == "QUI":
            self._quit(msg)
        elif cmd == "RES" and msg.type in "DE" and msg.first("TO") in self.tokens:
            self._result(msg)
        elif cmd == "CTM" and msg.type in "DE" and len(msg.fields) >= 3:
            self.ctm[msg.fields[2]] = (msg.sid, msg.fields[1])
        elif cmd == "STA" and msg.type == "D":
            if msg.first("TO"):
                self.refused.add(msg.first("TO"))
            self.state.notes.append(f"user {self._nick(msg.sid)}: {' '.join(msg.fields[:2])}")

    def _quit(self, msg: AdcMessage) -> None:
        who = msg.fields[0] if msg.fields else None
        redirect = msg.first("RD")
        if redirect:
            self.state.facts["redirects"].append(redirect)
        if who == self.sid or (who is None and msg.type == "I"):
            if redirect:
                raise SurveyStop("redirected", f"hub redirected us to {redirect} (not followed)")
            raise SurveyStop("login_refused", f"hub disconnected us: {msg.first('MS') or 'no reason given'}")

    def _nick(self, sid: str | None) -> str:
        user = self.state.users.get(sid or "")
        return user.nick if user else (sid or "?")

    def _result(self, msg: AdcMessage) -> None:
        term, work = self.tokens[msg.first("TO")]
        size = msg.first("SI")
        tth = msg.first("TR")
        self.state.add_hit(ShareHit(user=self._nick(msg.sid), path=msg.first("FN") or "",
                                    size=number(size),
                                    tth=tth.upper() if tth else None, term=term, work=work,
                                    arrived_at=utcnow(), source="search"))

    def _pump(self, seconds: float) -> None:
        """Handle hub messages for ``seconds`` (silence is fine here: nobody owes us results)."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self._handle(adc.parse(self.hub.message(left) or b""))

    def _search(self, token: str, term: str, work: str | None) -> None:
        self.tokens[token] = (term, work)
        self.state.searches.append(term)
        self.hub.send(adc.encode("B", "SCH", self.sid, *("AN" + w for w in term.split()), "TO" + token))
        self._pump(self.request.limits.search_wait)

    def _filelists(self) -> None:
        by_nick = {u.nick: (sid, u) for sid, u in self.state.users.items()}
        for i, nick in enumerate(self.state.filelist_users()):
            sid, user = by_nick.get(nick, (None, None))
            if user is None:
                self.state.notes.append(f"user {nick}: left the hub before its file list was asked for")
            elif user.mode != "active" or not user.ip:
                self.state.notes.append(f"user {nick}: passive (no listening port announced); a passive survey "
                                        "cannot reach a passive user")
            else:
                try:
                    self._fetch_filelist(f"f{i}", sid, user)
                except SurveyStop as stop:
                    if stop.reason not in PEER_FAILURES:
                        raise
                    self.state.notes.append(f"user {nick}: {stop.detail}")

    def _fetch_filelist(self, token: str, sid: str, user: HubUser) -> None:
        """TLS first (modern clients refuse plain client connections by default), plain ADC if refused."""
        for protocol in ("ADCS/0.10", "ADC/1.0"):
            self.refused.discard(token)
            self.hub.send(adc.encode("D", "RCM", self.sid, sid, protocol, token))
            end = time.monotonic() + self.request.limits.idle
            while token not in self.ctm and token not in self.refused:
                if time.monotonic() > end:
                    raise SurveyStop("stalled", f"no connect-to-me within {self.request.limits.idle:g} s")
                self._handle(adc.parse(self.hub.message(end - time.monotonic()) or b""))
            if token in self.ctm:
                _, port = self.ctm.pop(token)
                return self._download(token, user, port, tls=protocol.startswith("ADCS"))
        raise SurveyStop("malformed", "the user refused both ADCS/0.10 and ADC/1.0 connections")

    def _download(self, token: str, user: HubUser, port: str, tls: bool) -> None:
        if number(port) is None:
            raise SurveyStop("malformed", f"connect-to-me with port {port!r}")
        sock, ip = open_guarded(user.ip, int(port), self.request.allow_private, self.budget)
        certificate = None
        if tls:
            sock, _, certificate = wrap_tls(sock, ip)
        peer = Link(sock, f"peer:{ip}:{port}", b"\n", self.state.transcript, self.budget)
        try:
            peer.send(adc.encode("C", "SUP", "ADBASE", "ADTIGR"))
            peer.send(adc.encode("C", "INF", "ID" + self.cid, "TO" + token))
            peer.send(adc.encode("C", "GET", "file", "files.xml.bz2", "0", "-1"))
            while True:
                msg = self._next(peer)
                if msg and msg.command == "STA" and msg.fields and msg.fields[0][:1] in "12":
                    raise SurveyStop("malformed", f"peer refused: {' '.join(msg.fields[:2])}")
                if msg and msg.command == "SND" and len(msg.fields) >= 4:
                    break
            size = msg.fields[3]
            limit = self.request.limits.filelist_max_bytes
            if number(size) is None or int(size) > limit:
                raise SurveyStop("message_too_large", f"file list of {size} bytes (limit {limit})")
            raw = peer.raw(int(size))
        finally:
            peer.close()
        lim = self.request.limits
        listing = read_filelist(user.nick, raw, lim.filelist_max_xml_bytes, lim.filelist_max_entries)
        self.state.filelists.append(listing.model_copy(update={"channel": peer.channel,
                                                               "peer_certificate_sha256": certificate}))

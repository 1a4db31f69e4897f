"""An NMDC file list (``files.xml.bz2``) fetched by a passive client, over the NMDC client-client protocol.

A passive client cannot be connected to, but it can ask an **active** user to tell it where to connect:
``$RevConnectToMe <us> <them>`` through the hub; the user answers ``$ConnectToMe <us> <ip>:<port>`` (a
port ending in ``S``: TLS), and we open that connection ourselves (destination-guarded like the hub).
There, as the connecting side: ``$MyNick``/``$Lock`` → theirs, ``$Supports``, ``$Direction``, ``$Key`` →
our ``$Supports ... ADCGet XmlBZList``, ``$Direction Download``, ``$Key`` → ``$ADCGET file files.xml.bz2
0 -1`` → ``$ADCSND file files.xml.bz2 0 <n>`` and exactly ``n`` bytes. Two passive users cannot reach
each other: a passive user is noted, not tried. Every message of the peer connection is in the transcript
(channel ``peer:<ip>:<port>``), bounded by the survey's ``Budget`` like the hub connection.
"""

from __future__ import annotations

import os

from evidence_crawler.p2phub import nmdc
from evidence_crawler.p2phub.filelist import read_filelist
from evidence_crawler.p2phub.records import FileList, SurveyRequest, number
from evidence_crawler.p2phub.transcript import Transcript
from evidence_crawler.p2phub.wire import Budget, Link, SurveyStop, open_guarded, wrap_tls

LOCK = b"EXTENDEDPROTOCOL_evidence_crawler_survey Pk=evidence-crawler"
SUPPORTS = b"$Supports MiniSlots XmlBZList ADCGet TTHL TTHF |"
REFUSALS = ("$Error", "$MaxedOut", "$Failed")


def parse_ctm(rest: str) -> tuple[str, int, bool]:
    """``<our nick> <ip>:<port>[S]`` → (ip, port, tls); SurveyStop ``malformed`` for anything else."""
    _, _, address = rest.rpartition(" ")
    host, _, port = address.rpartition(":")
    tls = port.endswith("S")
    port = port.rstrip("S")
    if not host or not 0 < (number(port) or 0) < 65536:
        raise SurveyStop("malformed", f"$ConnectToMe with address {address[:60]!r}")
    return host.strip("[]"), int(port), tls


def fetch_filelist(request: SurveyRequest, budget: Budget, transcript: Transcript, user: str,
                   ctm: str) -> FileList:
    """Connect where ``$ConnectToMe`` said, download the list; SurveyStop on any failure of the peer."""
    host, port, tls = parse_ctm(ctm)
    sock, ip = open_guarded(host, port, request.allow_private, budget)
    certificate = None
    if tls:
        sock, _, certificate = wrap_tls(sock, ip)
    peer = Link(sock, f"peer:{ip}:{port}", b"|", transcript, budget)
    try:
        peer.send(f"$MyNick {request.nick}|".encode() + b"$Lock " + LOCK + b"|")
        size = _handshake(peer, request)
        limit = request.limits.filelist_max_bytes
        if size > limit:
            raise SurveyStop("message_too_large", f"file list of {size} bytes (limit {limit})")
        raw = peer.raw(size)
    finally:
        peer.close()
    listing = read_filelist(user, raw, request.limits.filelist_max_xml_bytes, request.limits.filelist_max_entries)
    return listing.model_copy(update={"channel": peer.channel, "peer_certificate_sha256": certificate})


def _handshake(peer: Link, request: SurveyRequest) -> int:
    """Everything up to ``$ADCSND``; the announced size of the file list."""
    asked = False
    while True:
        data = peer.message(request.limits.idle)
        if data is None:
            raise SurveyStop("stalled", f"{peer.channel}: nothing received for {request.limits.idle:g} s")
        command, rest = nmdc.split(nmdc.decode(data))
        if command == "$Lock":
            peer.send(SUPPORTS + b"$Direction Download %d|" % int.from_bytes(os.urandom(2), "big")
                      + b"$Key " + nmdc.lock_to_key(nmdc.lock_of(rest)) + b"|")
        elif command == "$Key" and not asked:
            asked = True
            peer.send(b"$ADCGET file files.xml.bz2 0 -1|")
        elif command == "$ADCSND":
            fields = rest.split(" ")
            if len(fields) < 4 or number(fields[3]) is None:
                raise SurveyStop("malformed", f"{peer.channel}: $ADCSND {rest[:60]!r}")
            return int(fields[3])
        elif command in REFUSALS:
            raise SurveyStop("malformed", f"{peer.channel}: peer refused: {command} {rest[:80]}".rstrip())

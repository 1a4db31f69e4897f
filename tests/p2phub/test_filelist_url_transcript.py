"""File lists from strangers are parsed within caps; hub URLs are checked; transcripts round-trip exactly."""

from __future__ import annotations

import bz2

import pytest

from evidence_crawler.p2phub.filelist import read_filelist
from evidence_crawler.p2phub.transcript import Transcript, TranscriptError, parse_transcript, serialise
from evidence_crawler.p2phub.url import HubUrlError, parse_hub_url

LISTING = (b'<?xml version="1.0" encoding="utf-8"?><FileListing Version="1" Base="/">'
           b'<Directory Name="Music"><Directory Name="Kino"><File Name="a.mp3" Size="12" TTH="abc"/></Directory>'
           b'<File Name="b.flac" Size="x"/></Directory></FileListing>')


def test_file_list_entries_have_full_paths_sizes_and_tth():
    listing = read_filelist("u", bz2.compress(LISTING), 10**6, 100)
    assert [(e.path, e.size, e.tth) for e in listing.entries] == [("/Music/Kino/a.mp3", 12, "ABC"),
                                                                 ("/Music/b.flac", None, None)]
    assert listing.error is None and not listing.truncated


def test_bz2_bomb_is_refused_and_its_raw_bytes_kept():
    bomb = bz2.compress(b"<FileListing>" + b" " * (50 * 1024 * 1024) + b"</FileListing>")
    listing = read_filelist("u", bomb, 1024 * 1024, 100)
    assert listing.error == "file list expands past 1048576 bytes" and listing.raw_bz2 == bomb


def test_entity_declarations_are_refused():
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><FileListing>&a;</FileListing>'
    assert read_filelist("u", bz2.compress(evil), 10**6, 100).error.startswith("file list XML refused")


def test_entry_cap_keeps_a_marked_prefix():
    listing = read_filelist("u", bz2.compress(LISTING), 10**6, 1)
    assert listing.truncated and [e.path for e in listing.entries] == ["/Music/Kino/a.mp3"]


def test_not_bz2_and_truncated_bz2_are_errors_not_exceptions():
    assert read_filelist("u", b"hello", 10**6, 10).error.startswith("file list is not bz2")
    assert read_filelist("u", bz2.compress(LISTING)[:40], 10**6, 10).error == "file list bz2 stream is truncated"


@pytest.mark.parametrize(("text", "canonical"), [("adc://Hub.Example:1511", "adc://hub.example:1511"),
                                                 ("dchub://hub.example", "dchub://hub.example:411"),
                                                 ("adcs://[2001:db8::1]:5000", "adcs://[2001:db8::1]:5000")])
def test_hub_urls_are_canonical(text, canonical):
    assert parse_hub_url(text).url == canonical


@pytest.mark.parametrize("text", ["http://hub.example", "adc://", "adc://host:99999", "magnet:?xt=1"])
def test_bad_hub_url_is_a_one_line_error(text):
    with pytest.raises(HubUrlError) as err:
        parse_hub_url(text)
    assert "\n" not in str(err.value)


def test_transcript_round_trips_binary_and_text_exactly():
    t = Transcript()
    t.record("sent", "hub", b"HSUP ADBASE\n")
    t.record("received", "hub", b"\x00\xff 12 S 3\n\n")
    t.record("received", "peer:1.2.3.4:5", b"other channel")
    payload = serialise(t.messages, "hub")
    assert parse_transcript(payload, "hub") == t.messages[:2]
    with pytest.raises(TranscriptError):
        parse_transcript(payload[:-3], "hub")

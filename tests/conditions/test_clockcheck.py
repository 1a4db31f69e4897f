"""The clock check against a local SNTP responder whose clock is shifted by a known offset."""

from __future__ import annotations

import pytest

from evidence_crawler.clockcheck import UNSET, check_clock, split_server
from tests.servers.ntpd import NtpResponder


def test_the_measured_offset_is_the_injected_one():
    with NtpResponder(offset_s=12.5) as ntp:
        got = check_clock([ntp.address])
    assert got.checked and got.server == ntp.address and got.stratum == 2 and got.error is None
    assert got.offset_s == pytest.approx(12.5, abs=0.5)
    assert 0 <= got.round_trip_s < 5
    assert got.system_utc.endswith("Z") and got.checked_at.endswith("Z")


def test_a_negative_offset_is_measured_too():
    with NtpResponder(offset_s=-3600) as ntp:
        assert check_clock([ntp.address]).offset_s == pytest.approx(-3600, abs=0.5)


def test_servers_that_cannot_be_trusted_are_skipped_in_order():
    with NtpResponder(stratum=0) as kod, NtpResponder(leap=3) as unsync, NtpResponder(offset_s=2) as good:
        got = check_clock([kod.address, unsync.address, good.address])
    assert got.checked and got.server == good.address and got.offset_s == pytest.approx(2, abs=0.5)
    assert kod.queries == unsync.queries == 1


def test_no_answer_is_stated_unchecked():
    with NtpResponder(silent=True) as ntp:
        got = check_clock([ntp.address, "host:notaport"], budget_s=2, server_timeout_s=0.3)
    assert not got.checked and got.offset_s is None
    assert got.error.startswith("unchecked: ") and ntp.address in got.error and "'host:notaport'" in got.error


def test_unset_says_unchecked():
    got = check_clock([])
    assert (got.checked, got.error) == (False, UNSET) and got.system_utc


@pytest.mark.parametrize(("spec", "want"), [("ntp.example", ("ntp.example", 123)),
                                            ("10.0.0.1:1123", ("10.0.0.1", 1123)),
                                            ("[::1]:124", ("::1", 124)), ("::1", ("::1", 123))])
def test_split_server(spec, want):
    assert split_server(spec) == want

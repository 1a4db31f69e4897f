"""The public egress address from echo services on loopback (never the internet), through the guard."""

from __future__ import annotations

import hashlib
import json

import pytest

from evidence_crawler.publicip import UNSET, address_in, public_ip
from tests.servers.echoip import FIXED, EchoIpServer


@pytest.fixture(scope="module")
def echo():
    with EchoIpServer() as server:
        yield server


def test_a_plain_text_answer_gives_the_address_and_the_hash_of_the_answer(echo):
    got = public_ip([echo.url("/text")], allow_private=True)
    assert (got.ip, got.source_url, got.error) == ("127.0.0.1", echo.url("/text"), None)
    assert got.answer_sha256 == hashlib.sha256(b"127.0.0.1\n").hexdigest()
    assert got.checked_at.endswith("Z")


def test_a_json_answer_gives_its_ip_field(echo):
    got = public_ip([echo.url("/json")], allow_private=True)
    assert got.ip == "127.0.0.1"
    assert got.answer_sha256 == hashlib.sha256(json.dumps({"ip": "127.0.0.1", "country": "ZZ"}).encode()).hexdigest()


def test_urls_are_tried_in_order_and_the_first_valid_address_wins(echo):
    got = public_ip([echo.url("/garbage"), echo.url("/error"), echo.url("/fixed"), echo.url("/text")],
                    allow_private=True)
    assert (got.ip, got.source_url, got.error) == (FIXED, echo.url("/fixed"), None)


def test_every_failure_is_stated_when_none_answers(echo):
    got = public_ip([echo.url("/garbage"), echo.url("/huge"), echo.url("/error")], allow_private=True)
    assert got.ip is None and got.error.startswith("not determined: ")
    assert "/garbage: answer is not an IP address: '<html>hello</html>'" in got.error
    assert "/huge: response larger than" in got.error and "/error: HTTP status 500" in got.error


def test_a_stalling_service_is_bounded_by_the_check_budget(echo):
    got = public_ip([echo.url("/stall")], allow_private=True, budget_s=1.0, request_timeout_s=0.5)
    assert got.ip is None and f"{echo.url('/stall')}: no complete answer from 127.0.0.1" in got.error


def test_the_destination_guard_refuses_loopback_without_allow_private(echo):
    before = len(echo.hits)
    got = public_ip([echo.url("/text")], allow_private=False)
    assert got.ip is None and "resolves to 127.0.0.1 (loopback)" in got.error
    assert len(echo.hits) == before  # never contacted


def test_unset_says_why(echo):
    assert public_ip([], allow_private=True).error == UNSET == "not determined: EVIDENCE_PUBLIC_IP_URLS is not set"


def test_secrets_in_the_url_are_masked(echo):
    got = public_ip([echo.url("/text?token=s3cret")], allow_private=True)
    assert got.ip == "127.0.0.1" and "s3cret" not in got.source_url


@pytest.mark.parametrize(("body", "want"), [(b" 2001:db8::1\n", "2001:db8::1"), (b'{"ip": "192.0.2.9"}', "192.0.2.9")])
def test_address_in(body, want):
    assert address_in(body) == want


@pytest.mark.parametrize("body", [b"", b"\xff\xfe", b'{"addr": "1.2.3.4"}', b"{nope", b"[]", b"1.2.3.4.5"])
def test_not_an_address(body):
    with pytest.raises(ValueError):
        address_in(body)

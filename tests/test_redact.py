"""The one redaction: passwords, tokens and signatures masked in URLs and environment values; the rest kept."""

from __future__ import annotations

import pytest

from evidence_crawler.redact import (
    CREDENTIALS_REFUSED,
    redact_env,
    redact_text,
    redact_url,
    refuse_credentials,
    without_credentials,
)


@pytest.mark.parametrize(("url", "redacted"), [
    ("redis://user:pw@h:6379/0", "redis://user:***@h:6379/0"),
    ("redis://:pw@h:6379/0", "redis://:***@h:6379/0"),
    ("redis://h:6379/0", "redis://h:6379/0"),
    ("redis://h:6379/0?password=pw&db=1", "redis://h:6379/0?password=***&db=1"),
    ("http://proxyuser:p%40ss@10.0.0.1:3128", "http://proxyuser:***@10.0.0.1:3128"),
    ("https://ghp_token123@git.example/x", "https://***@git.example/x"),
    ("https://b.s3.amazonaws.com/k?X-Amz-Signature=abc&X-Amz-Credential=AKIA%2F&v=2",
     "https://b.s3.amazonaws.com/k?X-Amz-Signature=***&X-Amz-Credential=***&v=2"),
    ("https://api.example/?api_key=k1&access_token=t1&sig=s1&monkey=banana&keyword=rock",
     "https://api.example/?api_key=***&access_token=***&sig=***&monkey=banana&keyword=rock"),
    ("https://app.example/cb#access_token=t1&state=ok", "https://app.example/cb#access_token=***&state=ok"),
    ("https://shop.example/catalogue/page-2.html", "https://shop.example/catalogue/page-2.html"),
])
def test_redact_url_masks_secrets_and_keeps_the_rest(url, redacted):
    assert redact_url(url) == redacted


def test_redact_text_finds_urls_in_messages():
    msg = 'Could not connect to the endpoint URL: "http://u:hunter2@127.0.0.1:9/b?uploads"'
    assert redact_text(msg) == 'Could not connect to the endpoint URL: "http://u:***@127.0.0.1:9/b?uploads"'


def test_redact_env_masks_secret_variables_whole_and_urls_in_others():
    assert redact_env("AWS_SECRET_ACCESS_KEY", "abc") == "***"
    assert redact_env("HTTPS_PROXY", "http://u:pw@proxy:3128") == "http://u:***@proxy:3128"
    assert redact_env("no_proxy", "127.0.0.1,localhost") == "127.0.0.1,localhost"


def test_credentials_in_a_url_are_refused_without_echoing_them():
    with pytest.raises(ValueError) as refused:
        refuse_credentials("http://user:pw123@shop.example/")
    assert str(refused.value) == f"http://user:***@shop.example/: {CREDENTIALS_REFUSED}"
    assert refuse_credentials("http://shop.example/?a=1") == "http://shop.example/?a=1"


def test_without_credentials_keeps_host_port_and_path():
    assert without_credentials("http://u:pw@127.0.0.1:9000/b") == "http://127.0.0.1:9000/b"
    assert without_credentials("https://s3.example") == "https://s3.example"


def test_environment_statement_masks_proxy_passwords(monkeypatch):
    from evidence_crawler.environment import proxy_variables

    monkeypatch.setenv("HTTPS_PROXY", "http://u:hunter2@proxy.example:3128")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    found = proxy_variables()
    assert found["HTTPS_PROXY"] == "http://u:***@proxy.example:3128" and found["no_proxy"] == "127.0.0.1,localhost"

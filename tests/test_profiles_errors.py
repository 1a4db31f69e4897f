"""Broken site profiles fail before any request, with ``file:line: field: reason`` on stderr.

Profiles are written by investigators, not developers: the error must point at the exact line of the
mistake, name the field, say what is wrong, quote their input verbatim, and leave the store untouched.
Both ``profiles check FILE`` and ``crawl FILE`` are checked, as a user runs them (a subprocess).
"""

from __future__ import annotations

import re
import textwrap

import pytest

pytestmark = pytest.mark.timeout(60)

# (id, profile text, line, field, a fragment of the reason)
CASES = [
    pytest.param("""\
        name: broken-yaml
        start_urls: [http://shop.example/]
        fields:
          title: h1::text
           price: span.price
        """, 5, None, "invalid YAML", id="bad-yaml"),
    pytest.param("""\
        name: typo
        start_urls: [http://shop.example/]
        folow: [a.next]
        """, 3, "folow", "unknown key", id="unknown-key-folow"),
    pytest.param("""\
        name: bad-css
        start_urls: [http://shop.example/]
        fields:
          title: "h1.title >> ::text"
          price: span.price::text
        """, 4, "fields.title", "bad selector", id="bad-css-selector"),
    pytest.param("""\
        name: bad-xpath
        start_urls: [http://shop.example/]
        fields:
          title: h1::text
          price: "xpath://span[@class='price'"
        """, 5, "fields.price", "bad selector", id="bad-xpath"),
    pytest.param("""\
        name: bad-offer-selector
        start_urls: [http://shop.example/]
        offers:
          selector: div.offer
          fields:
            seller: span.seller::text
            price: "span..price::text"
        """, 7, "offers.fields.price", "bad selector", id="bad-offer-field-selector"),
    pytest.param("""\
        name: bad-regex
        start_urls: [http://shop.example/]
        item_pages: '/item/(\\d+'
        """, 3, "item_pages", "bad regex", id="bad-regex"),
    pytest.param("""\
        name: ftp-start
        start_urls: [ftp://shop.example/pub/]
        """, 2, "start_urls.0", "not an http(s) URL", id="start-url-not-http"),
    pytest.param("""\
        name: ftp-start-block
        start_urls:
          - http://shop.example/
          - ftp://shop.example/pub/
        """, 4, "start_urls.1", "not an http(s) URL", id="start-url-not-http-block-list"),
    pytest.param("""\
        start_urls: [http://shop.example/]
        follow: [a.next]
        """, 1, "name", "required", id="missing-name"),
    pytest.param("""\
        name: limits-type
        start_urls: [http://shop.example/]
        limits:
          max_depth: 3
          max_pages: lots
        """, 5, "limits.max_pages", "integer", id="limits-field-wrong-type"),
    pytest.param("""\
        name: limits-scalar
        start_urls: [http://shop.example/]
        limits: 500
        """, 3, "limits", "dictionary", id="limits-not-a-mapping"),
]


def expected_line(path, line: int, field: str | None, reason: str) -> re.Pattern:
    where = re.escape(f"{path}:{line}: ")
    what = re.escape(f"{field}: ") if field else ""
    return re.compile(rf"^(error: )?{where}{what}.*{re.escape(reason)}", re.MULTILINE | re.IGNORECASE)


def assert_store_untouched(cli) -> None:
    assert not (cli.store / "captures").exists() or not any((cli.store / "captures").iterdir())
    assert cli.json("captures", "list", "--json") == []


@pytest.mark.parametrize(("text", "line", "field", "reason"), CASES)
def test_bad_profile_is_rejected_with_file_line_field_reason(cli, write_profile, text, line, field, reason):
    path = write_profile(textwrap.dedent(text), name="shop.yaml")
    pattern = expected_line(path, line, field, reason)

    check = cli.run("profiles", "check", str(path))
    assert check.returncode != 0, check.stdout
    assert pattern.search(check.stderr), f"want {pattern.pattern!r} in stderr:\n{check.stderr}"
    assert "Traceback" not in check.stderr

    crawl = cli.run("crawl", str(path), "--allow-private", "--json")
    assert crawl.returncode != 0, crawl.stdout
    assert crawl.stdout.strip() == "", "no JSON summary for a crawl that never started"
    assert pattern.search(crawl.stderr), f"want {pattern.pattern!r} in stderr:\n{crawl.stderr}"
    assert "Traceback" not in crawl.stderr
    assert len(crawl.stderr.strip().splitlines()) == 1, crawl.stderr  # one problem, one line
    assert_store_untouched(cli)


def test_every_problem_is_reported_each_on_its_own_line(cli, write_profile):
    path = write_profile(textwrap.dedent("""\
        name: two-mistakes
        start_urls: [http://shop.example/]
        folow: [a.next]
        item_pages: '(unclosed'
        """), name="two.yaml")
    for args in (("profiles", "check", str(path)), ("crawl", str(path), "--allow-private", "--json")):
        proc = cli.run(*args)
        assert proc.returncode != 0
        assert expected_line(path, 3, "folow", "unknown key").search(proc.stderr), proc.stderr
        assert expected_line(path, 4, "item_pages", "bad regex").search(proc.stderr), proc.stderr
    assert_store_untouched(cli)


def test_error_quotes_the_bad_input_verbatim(cli, write_profile):
    path = write_profile(textwrap.dedent("""\
        name: brackets
        start_urls: [http://shop.example/]
        fields:
          price: "div[class=price]]"
        """), name="brackets.yaml")
    for args in (("profiles", "check", str(path)), ("crawl", str(path), "--allow-private", "--json")):
        proc = cli.run(*args)
        assert proc.returncode != 0
        assert "div[class=price]]" in proc.stderr, proc.stderr
    assert_store_untouched(cli)


def test_good_profile_passes_check(cli, write_profile):
    path = write_profile(textwrap.dedent("""\
        name: good
        start_urls: [http://shop.example/]
        follow: ['a[href*="/page/"]']
        item_pages: '/item/\\d+'
        fields:
          title: h1::text
          sku: "xpath://span[@itemprop='sku']/text()"
        offers:
          selector: div.offer
          fields: {price: span.price::text}
          currency: EUR
        limits: {max_pages: 10, max_depth: 2, max_per_pattern: 5}
        """), name="good.yaml")
    proc = cli.run("profiles", "check", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "good" in proc.stdout

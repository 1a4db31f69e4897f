"""Profile loading in-process: every problem as ``file:line: field: reason``, and what a valid profile defaults to.

``test_profiles_errors.py`` runs the same cases through the CLI, as a user does; this one is the fast
check of ``load_profile`` itself.
"""

from __future__ import annotations

import textwrap

import pytest

from evidence_crawler.hashing import sha256_hex
from evidence_crawler.profile import ProfileError, load_profile
from tests.test_profiles_errors import CASES, expected_line

MORE_CASES = [
    pytest.param("""\
        name: bad-currency
        start_urls: [http://shop.example/]
        offers:
          selector: tr
          fields: {price: td::text}
          currency: rub
        """, 6, "offers.currency", "ISO 4217", id="offer-currency-not-iso"),
    pytest.param("""\
        name: bad-offer-key
        start_urls: [http://shop.example/]
        offers:
          selector: tr
          fields: {price: td::text}
          key: format
        """, 3, "offers", "is not one of the offer fields", id="offer-key-not-a-field"),
    pytest.param("""\
        name: bad-key
        start_urls: [http://shop.example/]
        key: upc
        fields: {title: h1::text}
        """, 1, "(profile)", "is not one of the fields", id="item-key-not-a-field"),
    pytest.param("""\
        name: "no spaces allowed"
        start_urls: [http://shop.example/]
        """, 1, "name", "should match pattern", id="name-pattern"),
    pytest.param("""\
        name: render-typo
        start_urls: [http://shop.example/]
        render: some
        """, 3, "render.bool", "valid boolean", id="render-not-bool-or-all"),
    pytest.param("""\
        name: no-starts
        start_urls: []
        """, 2, "start_urls", "at least 1", id="start-urls-empty"),
    pytest.param("""\
        - name: a-list
        """, 1, None, "must be a YAML mapping", id="not-a-mapping"),
]


@pytest.mark.parametrize(("text", "line", "field", "reason"), CASES + MORE_CASES)
def test_bad_profile_names_file_line_field_and_reason(tmp_path, text, line, field, reason):
    path = tmp_path / "shop.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert expected_line(path, line, field, reason).search(str(caught.value)), str(caught.value)


def test_unreadable_empty_and_non_utf8_files_are_named(tmp_path):
    with pytest.raises(ProfileError, match=r"missing\.yaml: cannot read profile"):
        load_profile(tmp_path / "missing.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"")
    with pytest.raises(ProfileError, match=r"empty\.yaml:1: a profile must be a YAML mapping"):
        load_profile(empty)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ProfileError, match=r"latin\.yaml: profile is not UTF-8 text \(byte 9\)"):
        load_profile(latin)


def test_a_valid_profile_keeps_its_exact_bytes_hash_and_defaults(tmp_path):
    text = "name: shop\nstart_urls: ['http://shop.example:8080/', 'https://cdn.example/start']\n"
    path = tmp_path / "shop.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load_profile(path)
    assert loaded.sha256 == sha256_hex(text.encode()) and loaded.text == text
    assert loaded.path == str(path.resolve())
    profile = loaded.profile
    assert profile.allowed_domains == ["cdn.example", "shop.example"]  # hosts of the start URLs, no ports
    assert (profile.follow, profile.render, profile.offers, profile.fields) == (None, False, None, {})
    assert (profile.limits.max_pages, profile.limits.max_depth, profile.limits.max_per_pattern) == (5000, 20, 100)


def test_new_start_urls_move_defaulted_domains_but_keep_named_ones(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nstart_urls: ['http://a.example/']\n", encoding="utf-8")
    moved = load_profile(path).profile.with_start_urls(["http://b.example/x"])
    assert moved.allowed_domains == ["b.example"]
    path.write_text("name: p\nstart_urls: ['http://a.example/']\nallowed_domains: [a.example, c.example]\n",
                    encoding="utf-8")
    kept = load_profile(path).profile.with_start_urls(["http://b.example/x"])
    assert kept.allowed_domains == ["a.example", "c.example"]

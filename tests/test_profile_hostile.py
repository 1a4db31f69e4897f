"""Hostile profiles: YAML bombs, huge files, catastrophic regexes. Each is refused fast, in one line."""

from __future__ import annotations

import time

import pytest

from evidence_crawler.profile import MAX_PROFILE_BYTES, ProfileError, load_profile, parse_profile

BASE = "name: shop\nstart_urls: ['http://127.0.0.1:8000/']\n"

BILLION_LAUGHS = """name: shop
start_urls: ['http://127.0.0.1:8000/']
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

# few aliases, but each doubles the tree: 2**20 nodes once expanded
DOUBLING = BASE + "".join(f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]\n" for i in range(1, 21)).replace(
    "*l0, *l0", "x, y")


def refusal(text: str) -> str:
    started = time.monotonic()
    with pytest.raises(ProfileError) as exc:
        parse_profile(text, "bad.yaml")
    assert time.monotonic() - started < 1.0
    msg = str(exc.value)
    assert "\n" not in msg, msg
    return msg


def test_billion_laughs_is_refused_in_one_line_within_a_second():
    msg = refusal(BILLION_LAUGHS)
    assert msg.startswith("bad.yaml:") and "alias" in msg


def test_few_aliases_that_expand_exponentially_are_refused():
    msg = refusal(DOUBLING)
    assert msg.startswith("bad.yaml:") and "expand" in msg


def test_a_profile_using_a_few_aliases_still_loads():
    text = BASE + "fields: &f {title: 'h1::text'}\noffers: {selector: tr, fields: *f}\n"
    assert parse_profile(text).offers.fields == {"title": "h1::text"}


def test_profile_with_too_many_fields_is_refused():
    text = BASE + "follow: [" + "a," * 20_000 + "a]\n"
    msg = refusal(text)
    assert "fields" in msg and "10000" in msg


@pytest.mark.parametrize("depth", [100, 5000])
def test_deeply_nested_profile_is_refused_not_a_recursion_error(depth):
    msg = refusal(BASE + "fields: " + "[" * depth + "]" * depth + "\n")
    assert "nest" in msg


def test_oversized_profile_file_is_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:
        f.write(BASE.encode())
        f.truncate(8 << 30)  # 8 GiB, sparse: reading it whole would not fit in memory
    started = time.monotonic()
    with pytest.raises(ProfileError) as exc:
        load_profile(path)
    assert time.monotonic() - started < 1.0
    assert str(exc.value) == f"{path}: profile is larger than {MAX_PROFILE_BYTES} bytes; refused"


@pytest.mark.parametrize("pattern", [r"/(?!category/)x", r"(a)\1", r"(?<=a)b"])
def test_patterns_re2_cannot_take_are_refused_naming_file_line_and_field(pattern):
    msg = refusal(BASE + "render: false\nitem_pages: '" + pattern + "'\n")
    assert msg.startswith("bad.yaml:4: item_pages:") and "linear-time" in msg


def test_catastrophic_regex_matches_in_linear_time():
    profile = parse_profile(BASE + "item_pages: '(a+)+$'\n")
    started = time.monotonic()
    assert profile.item_pages_regex().search("http://127.0.0.1/" + "a" * 50_000 + "!") is None
    assert time.monotonic() - started < 0.5


def test_spider_matches_item_pages_with_the_re2_pattern():
    from evidence_crawler.profile import LoadedProfile
    from spiders.storefront import StorefrontSpider

    text = BASE + "item_pages: '/release/\\d+$'\n"
    loaded = LoadedProfile(profile=parse_profile(text), path="p.yaml", sha256="0" * 64, text=text)
    spider = StorefrontSpider(loaded_profile=loaded)
    assert type(spider.item_re).__module__.startswith("re2")
    assert spider.is_item_page("http://127.0.0.1:8000/release/12")
    assert not spider.is_item_page("http://127.0.0.1:8000/release/12/reviews")


def test_xpath_regex_functions_are_refused_naming_the_field():
    msg = refusal(BASE + "fields:\n  title: \"xpath://h1[re:test(., '(a+)+$')]/text()\"\n")
    assert msg.startswith("bad.yaml:4: fields.title:") and "re:test" in msg


@pytest.mark.parametrize("name", ["allofmp3-demo", "allofmp3-js-demo", "books-toscrape", "mp3sugar-demo"])
def test_shipped_profiles_load_under_the_bounds_and_re2(name):
    from tests.conftest import PROFILES

    assert load_profile(PROFILES / f"{name}.yaml").profile.item_pages_regex() is not None

"""Site profiles: YAML data that drives the generic ``storefront`` spider (no Python per site).

Validation errors name the file, the YAML line and the field, because the people who write profiles
are investigators, not developers. Selectors and regexes are compiled here, at load time, so a typo
fails before any request is sent. A profile may come from anyone (a colleague, a mail attachment): its size,
field count, aliases and nesting are bounded (:mod:`.yamlbounds`), and its regexes run on RE2, whose
matching time is linear in the URL, so no pattern can hang a crawl.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import re2
import yaml
from parsel import Selector
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evidence_crawler.hashing import sha256_hex
from evidence_crawler.redact import redact_url, refuse_credentials
from evidence_crawler.yamlbounds import MAX_PROFILE_BYTES, YamlTooLarge, check_bounds

XPATH_PREFIX = "xpath:"
MAX_REGEX_CHARS = 1000
REGEX_MAX_MEM = 8 << 20  # bytes RE2 may use for one compiled pattern
# EXSLT regex functions (parsel registers the ``re`` prefix) run on Python's backtracking engine
_XPATH_REGEX = re.compile(r"\bre:(test|match|replace)\s*\(")


class ProfileError(ValueError):
    """A profile that cannot be used; ``str()`` is one line per problem, ``file:line: field: reason``."""


def check_selector(expr: str) -> str:
    """Compile a CSS (``::text``/``::attr(x)`` allowed) or ``xpath:`` selector against an empty page."""
    probe = Selector(text="<html><body></body></html>")
    if expr.startswith(XPATH_PREFIX) and _XPATH_REGEX.search(expr):
        raise ValueError(f"XPath regex functions (re:test, re:match, re:replace) are not allowed in {expr!r}: "
                         "they have no time bound; use item_pages or a plain XPath")
    try:
        if expr.startswith(XPATH_PREFIX):
            probe.xpath(expr[len(XPATH_PREFIX):])
        else:
            probe.css(expr)
    except Exception as exc:  # parsel raises several unrelated types for bad expressions
        raise ValueError(f"bad selector {expr!r}: {exc}") from None
    return expr


@functools.lru_cache(maxsize=64)
def compile_linear(pattern: str) -> re2._Regexp:
    """Compile ``pattern`` with RE2 (linear-time matching); ValueError for what RE2 cannot take."""
    if len(pattern) > MAX_REGEX_CHARS:
        raise ValueError(f"regex longer than {MAX_REGEX_CHARS} characters")
    try:  # a syntax error reads best in Python's words (compiling is cheap; matching is what backtracks)
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regex {pattern!r}: {exc}") from None
    opts = re2.Options()
    opts.log_errors = False  # RE2 would print to stderr besides raising
    opts.max_mem = REGEX_MAX_MEM
    try:
        return re2.compile(pattern, opts)
    except re2.error as exc:
        why = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"regex {pattern!r} is not supported by the linear-time engine (RE2: {why}); "
                         "lookarounds and backreferences cannot be used") from None


def _http_url(url: str) -> str:
    return check_http_url(url)


# Per-entry validation, so an error names the exact key and line (fields.title, start_urls.1)
SelectorStr = Annotated[str, AfterValidator(check_selector)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]


def _check_offer_field(expr: str) -> str:
    if expr.strip() in ("::text", "text()"):
        return expr
    if expr.startswith("::attr("):
        check_selector("*" + expr)
        return expr
    return check_selector(expr)


OfferFieldStr = Annotated[str, AfterValidator(_check_offer_field)]


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_pages: int = Field(5000, ge=1, description="responses recorded before the crawl stops")
    max_depth: int = Field(20, ge=0, description="link hops from a start URL")
    max_per_pattern: int = Field(
        100, ge=1, description="pages per URL pattern (path with digits folded, query keys only): trap guard"
    )


class OfferSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    selector: str = Field(description="one element per offer row")
    fields: dict[str, OfferFieldStr] = Field(description="selectors relative to each row; 'price' is parsed")
    currency: str | None = Field(None, description="ISO 4217 used when the price text names none")
    key: str | None = Field(None, description="offer field identifying an offer across captures")

    @field_validator("selector")
    @classmethod
    def _selector(cls, v: str) -> str:
        return check_selector(v)

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError(f"currency must be an ISO 4217 code like USD, got {v!r}")
        return v

    @model_validator(mode="after")
    def _key_is_a_field(self) -> OfferSpec:
        if self.key is not None and self.key not in self.fields:
            raise ValueError(f"offers.key {self.key!r} is not one of the offer fields {sorted(self.fields)}")
        return self


MatchKey = Literal["artist", "title", "isrc", "upc", "ean", "kind"]  # the catalogue columns an item can carry


class SiteProfile(BaseModel):
    """A storefront to capture. See README "Site profiles" for a worked example."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    start_urls: list[HttpUrl] = Field(min_length=1)
    allowed_domains: list[str] = Field(default_factory=list, description="default: hosts of start_urls")
    follow: list[SelectorStr] | None = Field(None, description="selectors of links to follow; None = every link")
    item_pages: str | None = Field(None, description="regex (search) on the URL of item pages")
    render: bool | Literal["all"] = False
    key: str | None = Field(None, description="item field that identifies an item across captures")
    fields: dict[str, SelectorStr] = Field(default_factory=dict)
    offers: OfferSpec | None = None
    limits: Limits = Field(default_factory=Limits)
    match: dict[MatchKey, str] | None = Field(
        None, description="which item field holds what, for `match` (default: fields named like the columns)")

    @field_validator("item_pages")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            compile_linear(v)
        return v

    def item_pages_regex(self) -> re2._Regexp | None:
        """The RE2-compiled ``item_pages`` (what the spider matches URLs with), or None."""
        return compile_linear(self.item_pages) if self.item_pages is not None else None

    @model_validator(mode="after")
    def _defaults(self) -> SiteProfile:
        if not self.allowed_domains:
            hosts = sorted({urlsplit(u).hostname or "" for u in self.start_urls})
            object.__setattr__(self, "allowed_domains", hosts)
        if self.key is not None and self.fields and self.key not in self.fields:
            raise ValueError(f"key {self.key!r} is not one of the fields {sorted(self.fields)}")
        return self

    def with_start_urls(self, urls: list[str]) -> SiteProfile:
        """Override start URLs; domains follow them unless the profile named its own."""
        data = self.model_dump()
        data["start_urls"] = urls
        if self._domains_were_defaulted:
            data["allowed_domains"] = []
        return SiteProfile(**data)

    @property
    def _domains_were_defaulted(self) -> bool:
        return self.allowed_domains == sorted({urlsplit(u).hostname or "" for u in self.start_urls})


def check_http_url(url: str) -> str:
    """A start URL: http(s) with a host, and no ``user:password@`` (refused: it would be recorded)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError(f"{redact_url(url)!r} is not an http(s) URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{redact_url(url)!r} is not an http(s) URL")
    return refuse_credentials(url)


class LoadedProfile(BaseModel):
    """A validated profile plus where it came from and the hash of its exact bytes."""

    model_config = ConfigDict(frozen=True)

    profile: SiteProfile
    path: str
    sha256: str
    text: str


def _line_index(node: yaml.Node, path: tuple = ()) -> dict[tuple, int]:
    """Map each key path in the YAML document to its 1-based line."""
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            sub = (*path, key_node.value)
            lines.update(_line_index(value_node, sub))
            lines[sub] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines.update(_line_index(item, (*path, i)))
    return lines


def _locate(lines: dict[tuple, int], loc: tuple) -> int | None:
    loc = tuple(str(p) if not isinstance(p, int) else p for p in loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def parse_profile(text: str, source: str = "<profile>") -> SiteProfile:
    try:
        check_bounds(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except YamlTooLarge as exc:
        raise ProfileError(f"{source}:{exc.line}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(f"{where}: invalid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{source}:1: a profile must be a YAML mapping (name:, start_urls:, ...)")
    lines = _line_index(node) if node is not None else {}
    try:
        return SiteProfile(**data)
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(profile)"
            line = _locate(lines, err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check spelling; see README 'Site profiles')"
            msgs.append(f"{source}:{line or 1}: {field}: {msg}")
        raise ProfileError("\n".join(msgs)) from None


def load_profile(path: str | Path) -> LoadedProfile:
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise ProfileError(f"{p}: cannot read profile: {exc.strerror}") from None
    if len(raw) > MAX_PROFILE_BYTES:
        raise ProfileError(f"{p}: profile is larger than {MAX_PROFILE_BYTES} bytes; refused")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{p}: profile is not UTF-8 text (byte {exc.start})") from None
    return LoadedProfile(profile=parse_profile(text, str(p)), path=str(p.resolve()), sha256=sha256_hex(raw),
                         text=text)

"""The profile of a hub survey: what was asked of the hub, sealed as the capture's ``profile.yaml``.

A capture always seals the profile it followed, so the capture explains itself. A survey has no site
profile (no http start URL, nothing to follow), so ``p2p hub`` writes this one: the hub URL and the
survey options, as YAML. ``name`` is ``p2p-hub-<host>-<port>``: two surveys of one hub share a profile
name, which is what ``diff`` and ``history`` compare on. ``start_urls`` and ``allowed_domains`` are what
the manifest's profile reference lists (the hub URL and its host).
"""

from __future__ import annotations

import re

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evidence_crawler.hashing import sha256_hex
from evidence_crawler.p2phub.records import HubUrl, SearchTerm, SurveyLimits, SurveyRequest
from evidence_crawler.p2phub.url import parse_hub_url

HEADER = "# hub survey: evidence-crawler p2p hub URL (not a site profile: nothing is crawled)\n"


class HubSurveySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    searches: list[SearchTerm] = Field(default_factory=list)
    filelists: int = Field(0, ge=0)
    duration_s: float = Field(120.0, gt=0)
    nick: str = "evidence-survey"
    allow_private: bool = False
    # --repertoire: the searches made from its works are in ``searches`` (each with its work); a schedule keeps
    # only the name (version None: the latest at each run)
    repertoire: str | None = None
    repertoire_version: int | None = Field(None, ge=1)
    max_searches: int = Field(100, ge=1)  # bound on the searches made from the repertoire


class HubSurveyProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    p2p_hub: HubSurveySpec

    @property
    def start_urls(self) -> list[str]:
        return [self.p2p_hub.url]

    @property
    def allowed_domains(self) -> list[str]:
        return [parse_hub_url(self.p2p_hub.url).host]

    def request(self) -> SurveyRequest:
        spec = self.p2p_hub
        return SurveyRequest(url=parse_hub_url(spec.url), nick=spec.nick, searches=spec.searches,
                             filelists=spec.filelists, allow_private=spec.allow_private,
                             limits=SurveyLimits(duration=spec.duration_s))


class LoadedSurveyProfile(BaseModel):
    """Shaped like ``profile.LoadedProfile`` (profile, path, sha256, text): what a capture session seals."""

    model_config = ConfigDict(frozen=True)

    profile: HubSurveyProfile
    path: str
    sha256: str
    text: str


def profile_name(url: HubUrl) -> str:
    host = re.sub(r"[^A-Za-z0-9._-]+", "-", url.host).strip("-.") or "host"
    return f"p2p-hub-{host}-{url.port}"[:64]


def survey_profile(spec: HubSurveySpec) -> LoadedSurveyProfile:
    """Raises HubUrlError (one line) for a URL that is not a hub, ValueError for a bad option."""
    url = parse_hub_url(spec.url)
    spec = spec.model_copy(update={"url": url.url})
    try:
        SurveyRequest(url=url, nick=spec.nick, searches=spec.searches)
    except ValidationError as exc:
        raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
    profile = HubSurveyProfile(name=profile_name(url), p2p_hub=spec)
    text = HEADER + yaml.safe_dump(profile.model_dump(mode="json", exclude_none=True), sort_keys=False,
                                   allow_unicode=True)
    return LoadedSurveyProfile(profile=profile, path="<p2p hub>", sha256=sha256_hex(text.encode()), text=text)


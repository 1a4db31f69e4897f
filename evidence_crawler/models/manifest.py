"""The sealed capture manifest (``captures/<id>/manifest.json``): what a capture promises.

Written once, at sealing (``capture/seal.py`` for a crawl, ``distributed/merge.py`` for a
distributed capture), by :meth:`CaptureManifest.dump_bytes`; read by everything after that through
:meth:`CaptureManifest.read`. Its sha256 is in the ``capture_sealed`` custody event, so the bytes of a
sealed manifest never change: the model reads every manifest written since format 1 and writes new
ones in the same layout.
"""

from __future__ import annotations

from typing import Any, Literal

from evidence_crawler.models import conditions as cond
from evidence_crawler.models.base import Frozen, JsonDocument, Open
from evidence_crawler.models.intermediaries import IntermediariesSection
from evidence_crawler.models.records import Artifact, ArtifactRole

MANIFEST_FORMAT = "evidence-crawler/manifest/1"


class ProfileRef(Frozen):
    """The site profile the capture followed (its bytes are the ``profile.yaml`` artifact)."""

    name: str
    path: str
    sha256: str
    start_urls: list[str]
    allowed_domains: list[str]


class Environment(Open):
    """The capturing machine's statement about itself (``environment.py``). Open: dependency versions,
    OS facts and DNS answers are reported as the system gives them."""

    tool: dict[str, str]
    python: str
    dependencies: dict[str, str | None]
    os: dict[str, str]
    hostname: str
    operator: str
    operator_source: str
    local_ips: list[str]
    dns: dict[str, dict[str, Any]]  # host name -> addresses (or error) and when resolved
    proxy_variables: dict[str, str]
    clock_utc: str
    user_agent: str
    # recorded at capture since issue 17 (models.conditions); absent from older manifests ("not recorded")
    machine: cond.Machine | None = None
    tool_files: cond.ToolFiles | None = None
    browser: cond.BrowserEnvironment | None = None
    dns_resolvers: cond.DnsResolvers | None = None
    public_ip: cond.PublicIp | None = None
    clock: cond.ClockCheck | None = None
    clean_state: cond.CleanState | None = None
    robots: cond.RobotsPolicy | None = None


class NavigationPath(Frozen):
    """Where the path through the shop is recorded, and by which fields of that artifact's lines."""

    artifact: str
    fields: list[str]


class Counts(Frozen):
    pages: int
    items: int
    offers: int
    p2p: int
    errors: int


class SalvagedBy(Frozen):
    host: str
    at: str


class DistributedPart(Frozen):
    """A worker's part of a distributed capture (sealed in the worker's store, merged later)."""

    capture_id: str  # the distributed capture it is part of
    worker: str
    host: str | None
    salvaged_by: SalvagedBy | None = None  # the worker died; the coordinator sealed what had reached its disk


class WorkerEntry(Frozen):
    """One worker, as the merge saw it: merged, salvaged, or left out (its work re-queued)."""

    worker: str
    host: str | None
    pid: str | None
    started_at: str | None
    finished_at: str | None
    state: str  # "merged", "salvaged", or the worker's last state when it was left out
    part_capture_id: str | None
    part_store: str | None = None
    part_manifest_sha256: str | None = None
    pages: int | None = None
    items: int | None = None
    requeued_requests: int | None = None
    merged: bool | None = None  # False when left out
    part_discarded: bool | None = None


class DistributedCapture(Frozen):
    """A capture merged from the workers' parts (each part manifest is an artifact, role part_manifest)."""

    frontier: str
    engine: str
    duplicate_pages: int
    workers: list[WorkerEntry]


class HubSurveyEnd(Frozen):
    reason: str  # p2phub.records.EndReason: completed, duration, stalled, hub_closed, malformed, ...
    detail: str


class HubSurveyCounts(Frozen):
    users: int
    total_share: int  # bytes, the sum of the users' announced share sizes
    search_results: int
    filelists: int
    filelist_entries: int
    connections: int  # transcript records: the hub, and each peer a file list came from


class HubCertificate(Frozen):
    """The certificate an ``adcs://``/``nmdcs://`` hub presented (kept as a ``metadata`` record, DER)."""

    sha256: str
    subject: str | None
    issuer: str | None


class HubRepertoire(Frozen):
    """``--repertoire``: the catalogue version whose works were searched and matched against the shares."""

    name: str
    version: int
    sha256: str
    works: int  # works in that version
    searches: int  # searches made from it (bounded by max_searches)
    max_searches: int
    skipped: int  # works without artist and title (no search text)


class HubSurvey(Frozen):
    """A DC hub survey (``p2p hub``): what was asked, how it ended, where its transcript record is."""

    url: str
    protocol: str
    address: str  # the IP connected to
    name: str | None
    searches: list[str]
    filelists_asked: int
    limits: dict[str, float | int]  # p2phub.records.SurveyLimits as used
    started_at: str
    ended_at: str
    end: HubSurveyEnd
    counts: HubSurveyCounts
    transcript_record_id: str | None  # the hub connection's resource record (None: nothing was exchanged)
    transcript_sha256: str | None
    filelist_notes: list[str]
    tls_certificate: HubCertificate | None = None
    repertoire: HubRepertoire | None = None


class CaptureManifest(JsonDocument):
    format: Literal["evidence-crawler/manifest/1"]
    capture_id: str
    state: Literal["sealed"]
    started_at: str
    finished_at: str
    finish_reason: str
    profile: ProfileRef
    settings: dict[str, Any]  # the Scrapy/evidence settings in force (a snapshot: the set grows with options)
    environment: Environment
    navigation_path: NavigationPath
    counts: Counts
    distributed: DistributedPart | DistributedCapture | None = None
    # browser renders: browser name and version, viewport, locale, render options, every page's navigation;
    # open: it is what the browser (and its options object) report about themselves
    browser: dict[str, Any] | None = None
    p2p_hub: HubSurvey | None = None  # a DC hub survey (p2p hub URL) instead of a crawl
    intermediaries: IntermediariesSection | None = None  # DNS, RDAP, CA, CDN, payment... (issue 18)
    artifacts: list[Artifact]

    def by_name(self) -> dict[str, Artifact]:
        return {a.name: a for a in self.artifacts}

    def of_role(self, role: ArtifactRole) -> list[Artifact]:
        return [a for a in self.artifacts if a.role == role]

    def artifact(self, name: str) -> Artifact | None:
        return self.by_name().get(name)

    @property
    def part_of(self) -> str | None:
        """The distributed capture this one is a worker's part of, if any."""
        return self.settings.get("EVIDENCE_PART_OF") or None

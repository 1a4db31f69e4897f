"""Data that crosses module boundaries: pydantic v2, frozen where the value is a fact; one module per
record family. Nothing here imports from the rest of the project, so every layer (and the offline
verifier) can use it. Every name is importable from ``evidence_crawler.models``.
"""

from evidence_crawler.models.archive import ArchiveRecord
from evidence_crawler.models.base import Frozen, JsonDocument, Open
from evidence_crawler.models.bundle import (
    BUNDLE_FORMAT,
    BundleArtifact,
    BundleCapture,
    BundleItem,
    BundleManifest,
    Case,
    ChainLink,
    CustodyLinks,
    DiffSummary,
    MemberDigests,
    MemberRef,
    PdfSignerRef,
    SealAnchorFile,
    SigningKeyRef,
    TimestampRequest,
)
from evidence_crawler.models.conditions import (
    BrowserEnvironment,
    CleanState,
    ClockCheck,
    DnsResolvers,
    Machine,
    PublicIp,
    RobotsPolicy,
    ToolFiles,
)
from evidence_crawler.models.custody import CustodyEvent, EventKind
from evidence_crawler.models.errorkinds import ErrorTally
from evidence_crawler.models.findings import FINDINGS_FORMAT, Findings, RepertoireVersion, Work
from evidence_crawler.models.intermediaries import (
    INTERMEDIARIES_FORMAT,
    EvidenceRef,
    IntermediariesSection,
    IntermediaryEntry,
    LookupOutcome,
)
from evidence_crawler.models.items import Item, Offer
from evidence_crawler.models.manifest import (
    MANIFEST_FORMAT,
    CaptureManifest,
    Counts,
    DistributedCapture,
    DistributedPart,
    Environment,
    HubSurvey,
    HubSurveyCounts,
    HubSurveyEnd,
    NavigationPath,
    ProfileRef,
    SalvagedBy,
    WorkerEntry,
)
from evidence_crawler.models.records import (
    Artifact,
    ArtifactRole,
    CaptureError,
    CaptureState,
    Digests,
    PageRecord,
    PageRef,
)
from evidence_crawler.models.render import RenderFile, RenderRecord

__all__ = [
    "BUNDLE_FORMAT", "INTERMEDIARIES_FORMAT", "MANIFEST_FORMAT", "EvidenceRef", "IntermediariesSection",
    "IntermediaryEntry", "LookupOutcome", "ArchiveRecord", "Artifact", "ArtifactRole", "BundleArtifact",
    "BundleCapture", "BundleItem", "BundleManifest", "CaptureError", "CaptureManifest", "CaptureState", "Case",
    "ChainLink", "Counts", "CustodyEvent", "CustodyLinks", "DiffSummary", "Digests", "DistributedCapture",
    "DistributedPart", "Environment", "ErrorTally", "EventKind", "Frozen", "HubSurvey", "HubSurveyCounts",
    "HubSurveyEnd", "Item", "JsonDocument", "MemberDigests",
    "MemberRef", "NavigationPath", "Offer", "Open", "PageRecord", "PageRef", "ProfileRef", "RenderFile", "RenderRecord",
    "SalvagedBy", "SealAnchorFile", "SigningKeyRef", "TimestampRequest", "WorkerEntry",
]
__all__ += ["PdfSignerRef"]
__all__ += ["FINDINGS_FORMAT", "Findings", "RepertoireVersion", "Work"]
__all__ += ["BrowserEnvironment", "CleanState", "ClockCheck", "DnsResolvers", "Machine", "PublicIp", "RobotsPolicy",
            "ToolFiles"]

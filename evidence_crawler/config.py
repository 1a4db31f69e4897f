"""One settings model, read once (env ``EVIDENCE_*`` + CLI flags) and passed down.

Units are in the field names (``_bytes``, ``_s``). Everything that changes what gets captured is copied
into the manifest's ``settings`` so a court can see how the capture was made.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_USER_AGENT = "evidence-crawler/{version} (+evidence capture; contact: operator)"
IANA_BOOTSTRAP = "https://data.iana.org/rdap/"
CONFIGURED_RESOLVER = "pipelines.resolver.ConfiguredResolver"  # EVIDENCE_DNS_RESOLVERS for the crawl itself


class DnsServer(BaseModel):
    """One DNS server the operator chose (``EVIDENCE_DNS_RESOLVERS``) or the system's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ip: str
    port: int = 53

    @property
    def label(self) -> str:
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"


def parse_resolvers(text: str) -> tuple[DnsServer, ...]:
    """``IP[:PORT],...`` (IPv6 as ``[addr]:port`` or bare); raises ValueError naming the bad entry."""
    servers = []
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        host, port = raw, "53"
        if raw.startswith("["):
            host, _, rest = raw[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else ("53" if not rest else "")
        elif raw.count(":") == 1:
            host, port = raw.split(":")
        try:
            ip = str(ipaddress.ip_address(host))
            number = int(port)
            if not 0 < number < 65536:
                raise ValueError
        except ValueError:
            raise ValueError(f"EVIDENCE_DNS_RESOLVERS: {raw!r} is not IP[:PORT]") from None
        servers.append(DnsServer(ip=ip, port=number))
    return tuple(servers)


class EvidenceConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVIDENCE_", extra="ignore", frozen=True)

    store: Path = Field(Path("./evidence-store"), description="local content-addressed store root")
    operator: str = Field("", description="who runs the capture (name, badge, e-mail); into the manifest")
    ui_token: str = Field("", description="the workbench's access token (`ui` on a non-loopback host); "
                          "generated and printed when unset")
    allow_private: bool = Field(False, description="allow loopback/private/link-local destinations")
    ignore_robots: bool = Field(False, description="fetch and archive robots.txt but do not obey it")
    user_agent: str = DEFAULT_USER_AGENT
    schedule: str = Field("", description="name of the schedule that started this crawl; into the manifest")

    # limits that protect the crawler (and the evidence) from hostile servers
    max_body_bytes: int = Field(32 * 1024 * 1024, description="raw and decoded body cap")
    warn_body_bytes: int = Field(8 * 1024 * 1024)
    max_parse_bytes: int = Field(8 * 1024 * 1024, description="larger pages are kept but not parsed (memory)")
    download_timeout_s: float = 30.0
    redirect_max_times: int = 10
    retry_times: int = 2
    concurrency: int = 16
    concurrency_per_domain: int = 8
    autothrottle: bool = True
    autothrottle_target_concurrency: float = 4.0
    download_delay_s: float = 0.0

    # browser rendering (profiles with render: true|all, and `capture URL`)
    chromium: str = Field("", description="Chromium executable; empty = Playwright's, else chromium on PATH")
    render_max_contexts: int = Field(4, ge=1, description="pages rendered at once (PLAYWRIGHT_MAX_CONTEXTS)")

    # WARC output
    warc_rotate_bytes: int = Field(256 * 1024 * 1024, description="start a new WARC file past this size")

    # distributed crawling (crawl --redis, worker): shared frontier in Redis via scrapy-redis
    redis_url: str = Field("", description="redis://[:password@]host:port/db for crawl --redis, worker, crawl-status")
    worker_heartbeat_s: float = Field(1.0, gt=0, description="how often a worker says it is alive")
    worker_dead_after_s: float = Field(10.0, gt=0, description="a worker silent this long is dead: its work "
                                                               "is re-queued and its part left out")

    # S3 archive (storage/s3.py). Credentials, region, profile and endpoint come from boto3's standard chain
    # (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws/config, AWS_ENDPOINT_URL), never from here.
    s3_bucket: str = Field("", description="archive every sealed capture to this bucket; empty = off")
    s3_prefix: str = Field("evidence", description="keys: <prefix>/sha256/<hex>, <prefix>/captures/<id>/")
    s3_retention_days: int = Field(3650, ge=1, description="Object Lock retain-until = upload time + days")
    s3_retention_mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE"
    s3_legal_hold: bool = Field(False, description="also put a legal hold on every archived object")
    s3_allow_unlocked: bool = Field(False, description="accept a bucket without Object Lock (recorded)")
    s3_multipart_threshold_bytes: int = Field(8 * 1024 * 1024, ge=5 * 1024 * 1024, le=512 * 1024 * 1024,
                                              description="larger files go up as multipart uploads")
    s3_multipart_chunk_bytes: int = Field(8 * 1024 * 1024, ge=5 * 1024 * 1024, description="part size")
    s3_max_concurrency: int = Field(10, ge=1, description="parts uploaded in parallel")
    s3_max_attempts: int = Field(3, ge=1, description="botocore attempts per request (standard retry mode)")
    s3_connect_timeout_s: float = 5.0
    s3_read_timeout_s: float = 60.0
    s3_retry_base_s: float = Field(30.0, ge=0, description="outbox backoff: first retry after this, doubling")
    s3_retry_max_s: float = Field(3600.0, ge=0, description="outbox backoff cap")

    # intermediaries (issue 18): DNS, RDAP and page analysis recorded with every crawl and `capture URL`
    intermediaries: bool = Field(True, description="run the intermediaries step (--no-intermediaries: off)")
    dns_resolvers: Annotated[tuple[DnsServer, ...], NoDecode] = Field(
        (), description="IP[:PORT],...: DNS servers for the lookups and the crawl's own name resolution; "
                        "empty = the system's")
    rdap_bootstrap: str = Field(IANA_BOOTSTRAP, description="folder or http(s) URL of the IANA bootstrap files")
    intermediaries_timeout_s: float = Field(60.0, gt=0, description="the whole step, all lookups together")

    # evidence bundles (export): signing key and RFC 3161 time-stamping authorities
    key: Path | None = Field(None, description="ECDSA P-256 signing key (PEM, 0600); "
                                               "default <store>/keys/signing-key.pem")
    organisation: str = Field("", description="the operator's organisation: O of the PDF-signing certificate")
    signing_cert: Path | None = Field(None, description="the organisation's certificate chain and key for signing "
                                                        "report.pdf (PEM or PKCS#12); default: the operator key's "
                                                        "self-signed certificate")
    signing_cert_password: SecretStr = Field(SecretStr(""), description="password of EVIDENCE_SIGNING_CERT")
    tsa_urls: Annotated[list[str], NoDecode] = Field(default_factory=list,
                                                     description="RFC 3161 TSAs, comma-separated; each token kept")
    tsa_timeout_s: float = 30.0
    seal_timestamp: Literal["required", "best-effort", "off"] = Field(
        "best-effort", description="RFC 3161 token over each sealed manifest from the TSAs above (capture.anchor)")

    # conditions of the capture, checked when it starts and stated in its manifest (capture/conditions.py)
    public_ip_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="echo services answering the caller's address (text or JSON "
                                          "{\"ip\": ...}), comma-separated; first valid answer wins")
    ntp_servers: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="NTP servers host[:port] (port 123), comma-separated: clock offset check")
    # (the DNS resolvers, EVIDENCE_DNS_RESOLVERS, are the intermediaries' field above: one parse for both)

    @field_validator("tsa_urls", "public_ip_urls", "ntp_servers", mode="before")
    @classmethod
    def _comma_list(cls, v):
        return [u.strip() for u in v.split(",") if u.strip()] if isinstance(v, str) else v

    @field_validator("signing_cert", mode="before")
    @classmethod
    def _empty_is_unset(cls, v):
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("dns_resolvers", mode="before")
    @classmethod
    def _resolvers(cls, v):
        return parse_resolvers(v) if isinstance(v, str) else v

    @property
    def key_path(self) -> Path:
        return self.key if self.key is not None else self.default_key_path

    @property
    def default_key_path(self) -> Path:
        """The only key path created on demand: a mistyped ``EVIDENCE_KEY`` must not become a new key."""
        return self.store / "keys" / "signing-key.pem"

    @field_validator("s3_retention_mode", mode="before")
    @classmethod
    def _upper(cls, v):
        return v.upper() if isinstance(v, str) else v

    def scrapy_settings(self) -> dict:
        """The subset of Scrapy settings this config controls (settings.py holds the wiring)."""
        from evidence_crawler import __version__

        return {
            "USER_AGENT": self.user_agent.format(version=__version__),
            "ROBOTSTXT_OBEY": not self.ignore_robots,
            "DOWNLOAD_MAXSIZE": self.max_body_bytes,
            "DOWNLOAD_WARNSIZE": self.warn_body_bytes,
            "DOWNLOAD_TIMEOUT": self.download_timeout_s,
            "REDIRECT_MAX_TIMES": self.redirect_max_times,
            "RETRY_TIMES": self.retry_times,
            "CONCURRENT_REQUESTS": self.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": self.concurrency_per_domain,
            "AUTOTHROTTLE_ENABLED": self.autothrottle,
            "AUTOTHROTTLE_TARGET_CONCURRENCY": self.autothrottle_target_concurrency,
            "DOWNLOAD_DELAY": self.download_delay_s,
            "EVIDENCE_MAX_PARSE_BYTES": self.max_parse_bytes,
            "EVIDENCE_STORE": str(self.store),
            "EVIDENCE_OPERATOR": self.operator,
            "EVIDENCE_ALLOW_PRIVATE": self.allow_private,
            "EVIDENCE_IGNORE_ROBOTS": self.ignore_robots,
            "EVIDENCE_WARC_ROTATE_BYTES": self.warc_rotate_bytes,
            "EVIDENCE_S3_ALLOW_UNLOCKED": self.s3_allow_unlocked,
            "EVIDENCE_SCHEDULE": self.schedule,
            "EVIDENCE_CHROMIUM": self.chromium,
            "PLAYWRIGHT_MAX_CONTEXTS": self.render_max_contexts,
            "EVIDENCE_SEAL_TIMESTAMP": self.seal_timestamp,
            "EVIDENCE_TSA_URLS": list(self.tsa_urls),
            "EVIDENCE_TSA_TIMEOUT_S": self.tsa_timeout_s,
            "EVIDENCE_KEY_PATH": str(self.key_path),
            "EVIDENCE_PUBLIC_IP_URLS": list(self.public_ip_urls),
            "EVIDENCE_NTP_SERVERS": list(self.ntp_servers),
            "EVIDENCE_INTERMEDIARIES": self.intermediaries,
            "EVIDENCE_DNS_RESOLVERS": ",".join(s.label for s in self.dns_resolvers),
            "EVIDENCE_RDAP_BOOTSTRAP": self.rdap_bootstrap,
            "EVIDENCE_INTERMEDIARIES_TIMEOUT_S": self.intermediaries_timeout_s,
            **({"TWISTED_DNS_RESOLVER": CONFIGURED_RESOLVER} if self.dns_resolvers else {}),
        }

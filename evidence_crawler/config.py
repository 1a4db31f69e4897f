"""One settings model, read once (env ``EVIDENCE_*`` + CLI flags) and passed down.

Units are in the field names (``_bytes``, ``_s``). Everything that changes what gets captured is copied
into the manifest's ``settings`` so a court can see how the capture was made.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_USER_AGENT = "evidence-crawler/{version} (+evidence capture; contact: operator)"


class EvidenceConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVIDENCE_", extra="ignore", frozen=True)

    store: Path = Field(Path("./evidence-store"), description="local content-addressed store root")
    operator: str = Field("", description="who runs the capture (name, badge, e-mail); into the manifest")
    allow_private: bool = Field(False, description="allow loopback/private/link-local destinations")
    ignore_robots: bool = Field(False, description="fetch and archive robots.txt but do not obey it")
    user_agent: str = DEFAULT_USER_AGENT

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

    # WARC output
    warc_rotate_bytes: int = Field(256 * 1024 * 1024, description="start a new WARC file past this size")

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
        }

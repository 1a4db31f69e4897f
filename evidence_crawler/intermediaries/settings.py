"""Settings of the intermediaries step, with defaults and units; parsed once and passed down.

The environment names live in ``evidence_crawler/config.py`` (one parse); :meth:`from_config` builds
these settings from the parsed config, :meth:`from_env` from a mapping (tests), through the same parse.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evidence_crawler.config import IANA_BOOTSTRAP, DnsServer, EvidenceConfig, parse_resolvers

__all__ = ["IANA_BOOTSTRAP", "DnsServer", "IntermediariesSettings", "parse_resolvers"]


class IntermediariesSettings(BaseModel):
    """Everything that changes what the step looks up; copied into the manifest as is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dns_resolvers: tuple[DnsServer, ...] = Field((), description="empty: the system's resolvers")
    rdap_bootstrap: str = Field(IANA_BOOTSTRAP, description="folder or http(s) URL holding the IANA files")
    timeout_s: float = Field(60.0, gt=0, description="whole step, all lookups together")
    dns_query_timeout_s: float = Field(3.0, gt=0, description="one DNS query to one server")
    rdap_request_timeout_s: float = Field(15.0, gt=0, description="one RDAP exchange (connect to last byte)")
    rdap_max_bytes: int = Field(2 * 1024 * 1024, gt=0, description="raw RDAP response cap, headers included")
    rdap_max_redirects: int = Field(3, ge=0)
    allow_private: bool = Field(False, description="same switch as the crawl's --allow-private")
    user_agent: str = "evidence-crawler intermediaries lookup"

    @classmethod
    def from_config(cls, config: EvidenceConfig, **overrides) -> IntermediariesSettings:
        """The step's settings from the one parsed config (``EVIDENCE_*`` and the command's flags)."""
        return cls(**{"dns_resolvers": config.dns_resolvers, "rdap_bootstrap": config.rdap_bootstrap,
                      "timeout_s": config.intermediaries_timeout_s, "allow_private": config.allow_private,
                      **overrides})

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides) -> IntermediariesSettings:
        """Same as :meth:`from_config` over a mapping of ``EVIDENCE_*`` names (parsed by ``EvidenceConfig``)."""
        names = {"EVIDENCE_DNS_RESOLVERS": "dns_resolvers", "EVIDENCE_RDAP_BOOTSTRAP": "rdap_bootstrap",
                 "EVIDENCE_INTERMEDIARIES_TIMEOUT_S": "intermediaries_timeout_s",
                 "EVIDENCE_ALLOW_PRIVATE": "allow_private"}
        values = {field: env[name].strip() for name, field in names.items() if env.get(name, "").strip()}
        try:
            # every field named: the mapping, not this process's environment, says what is set
            defaults = {f: EvidenceConfig.model_fields[f].default for f in names.values()}
            config = EvidenceConfig(**{**defaults, **values})
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0])
            env_name = next((n for n, f in names.items() if f == field), field)
            raise ValueError(f"{env_name}: {first['msg'].removeprefix('Value error, ')}") from None
        return cls.from_config(config, **overrides)

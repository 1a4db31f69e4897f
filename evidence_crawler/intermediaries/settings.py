"""Settings of the intermediaries step, with defaults and units; parsed once and passed down.

Phase 2 moves these fields into ``evidence_crawler/config.py``; until then :meth:`from_env` reads the
same ``EVIDENCE_*`` names from a mapping the caller gives (never ``os.environ`` behind its back).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

IANA_BOOTSTRAP = "https://data.iana.org/rdap/"


class DnsServer(BaseModel):
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
    def from_env(cls, env: Mapping[str, str], **overrides) -> IntermediariesSettings:
        values: dict = {}
        if env.get("EVIDENCE_DNS_RESOLVERS", "").strip():
            values["dns_resolvers"] = parse_resolvers(env["EVIDENCE_DNS_RESOLVERS"])
        if env.get("EVIDENCE_RDAP_BOOTSTRAP", "").strip():
            values["rdap_bootstrap"] = env["EVIDENCE_RDAP_BOOTSTRAP"].strip()
        if env.get("EVIDENCE_INTERMEDIARIES_TIMEOUT_S", "").strip():
            try:
                values["timeout_s"] = float(env["EVIDENCE_INTERMEDIARIES_TIMEOUT_S"])
            except ValueError:
                raise ValueError(f"EVIDENCE_INTERMEDIARIES_TIMEOUT_S: {env['EVIDENCE_INTERMEDIARIES_TIMEOUT_S']!r} "
                                 "is not a number of seconds") from None
        if env.get("EVIDENCE_ALLOW_PRIVATE", "").strip().lower() in ("1", "true", "yes", "on"):
            values["allow_private"] = True
        return cls(**{**values, **overrides})

"""The environment statement: what machine, software and network produced a capture.

A court may ask whether the capture could have been influenced by a proxy, a wrong clock or a
modified tool; this records the facts needed to answer (scoop's provenance record does the same).
"""

from __future__ import annotations

import os
import platform
import socket
import sys
from importlib import metadata
from typing import Any

from evidence_crawler import __version__
from evidence_crawler.config import DnsServer
from evidence_crawler.redact import redact_env
from evidence_crawler.resolvers import statement as resolvers_statement
from evidence_crawler.timeutil import iso

DEPENDENCIES = ("scrapy", "twisted", "warcio", "blake3", "parsel", "lxml", "pydantic", "pydantic-settings",
                "price-parser", "extruct", "pyopenssl", "cryptography", "w3lib", "playwright", "pillow", "boto3")
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def dependency_versions() -> dict[str, str]:
    out = {}
    for name in DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def local_addresses() -> list[str]:
    try:
        import psutil

        addrs = {a.address for ifs in psutil.net_if_addrs().values() for a in ifs
                 if a.family in (socket.AF_INET, socket.AF_INET6)}
        return sorted(a.split("%", 1)[0] for a in addrs)
    except Exception:  # noqa: BLE001 - a missing interface list is stated, not fatal
        return []


def proxy_variables() -> dict[str, str]:
    """The proxy variables set, passwords masked (a proxy URL often carries ``user:password@``)."""
    found = {}
    for name in PROXY_VARS:
        for variant in (name, name.upper()):
            if variant in os.environ:
                found[variant] = redact_env(variant, os.environ[variant])
    return found


def environment_statement(operator: str, user_agent: str, dns: dict[str, Any],
                          dns_servers: tuple[DnsServer, ...] = ()) -> dict[str, Any]:
    uname = platform.uname()
    return {
        "tool": {"name": "evidence-crawler", "version": __version__},
        "python": sys.version.split()[0],
        "dependencies": dependency_versions(),
        "os": {"system": uname.system, "release": uname.release, "version": uname.version,
               "machine": uname.machine, "platform": platform.platform()},
        "hostname": socket.gethostname(),
        "operator": operator or os.environ.get("USER", ""),
        "operator_source": "EVIDENCE_OPERATOR" if operator else "login name (EVIDENCE_OPERATOR unset)",
        "local_ips": local_addresses(),
        "dns": dns,
        "dns_resolvers": resolvers_statement(dns_servers),  # which DNS servers the capture used
        "proxy_variables": proxy_variables(),
        "clock_utc": iso(),
        "user_agent": user_agent,
    }

"""IANA RDAP bootstrap (RFC 9224): which RDAP server answers for a TLD, an IP range or an AS number.

The four files (``dns.json``, ``ipv4.json``, ``ipv6.json``, ``asn.json``) come from a folder or an
http(s) base URL (``EVIDENCE_RDAP_BOOTSTRAP``, IANA's by default). Fetched files are kept as exchanges and
read files by sha256, so the report shows which bootstrap pointed where. A missing or broken file only
disables its kind of lookup (recorded with the reason); it never stops the capture.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from pathlib import Path

from evidence_crawler.intermediaries.budget import Deadline
from evidence_crawler.intermediaries.http import FetchLimits, Resolver, fetch
from evidence_crawler.intermediaries.records import Frozen, HttpExchange

FILES = {"domain": "dns.json", "ipv4": "ipv4.json", "ipv6": "ipv6.json", "autnum": "asn.json"}


class BootstrapFile(Frozen):
    name: str
    source: str  # path or URL it was read from
    sha256: str | None = None
    services: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()  # (entries, base URLs)
    error: str | None = None


class Bootstrap(Frozen):
    location: str
    files: tuple[BootstrapFile, ...]
    exchanges: tuple[HttpExchange, ...] = ()

    def _file(self, kind: str) -> BootstrapFile | None:
        return next((f for f in self.files if f.name == FILES[kind]), None)

    def problem(self, kind: str) -> str | None:
        f = self._file(kind)
        return f"bootstrap {FILES[kind]} not loaded" if f is None else f.error

    def bases_for_domain(self, domain: str) -> tuple[str, ...]:
        """Longest matching label suffix wins (``ru`` for ``allofmp3-demo.ru``)."""
        labels = domain.lower().rstrip(".").split(".")
        candidates = {".".join(labels[i:]): i for i in range(len(labels))}
        return self._best(kind="domain", score=lambda entry: -candidates.get(entry.lower(), 10**6))

    def bases_for_ip(self, ip: str) -> tuple[str, ...]:
        addr = ipaddress.ip_address(ip)
        kind = "ipv4" if addr.version == 4 else "ipv6"

        def score(entry: str) -> int:
            try:
                net = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                return -(10**6)
            return net.prefixlen if net.version == addr.version and addr in net else -(10**6)
        return self._best(kind, score)

    def bases_for_asn(self, asn: int) -> tuple[str, ...]:
        def score(entry: str) -> int:
            low, _, high = entry.partition("-")
            try:
                inside = int(low) <= asn <= int(high or low)
            except ValueError:
                return -(10**6)
            return -(int(high or low) - int(low)) if inside else -(10**6)
        return self._best("autnum", score)

    def _best(self, kind: str, score) -> tuple[str, ...]:
        f = self._file(kind)
        best, bases = -(10**6), ()
        for entries, urls in (f.services if f else ()):
            for entry in entries:
                s = score(entry)
                if s > best:
                    best, bases = s, urls
        # RFC 9224 section 3: prefer https when a service lists several
        return tuple(sorted(bases, key=lambda u: not u.lower().startswith("https:")))


def _parse(name: str, source: str, data: bytes) -> BootstrapFile:
    digest = hashlib.sha256(data).hexdigest()
    try:
        doc = json.loads(data)
        services = tuple((tuple(str(e) for e in entries), tuple(str(u) for u in urls))
                         for entries, urls in doc["services"])
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        return BootstrapFile(name=name, source=source, sha256=digest,
                             error=f"{source}: not an IANA bootstrap file ({type(exc).__name__}: {exc})")
    return BootstrapFile(name=name, source=source, sha256=digest, services=services)


def load_bootstrap(location: str, limits: FetchLimits, deadline: Deadline, resolve: Resolver) -> Bootstrap:
    if location.lower().startswith(("http://", "https://")):
        base = location if location.endswith("/") else location + "/"
        files, exchanges = [], []
        for name in FILES.values():
            hops = fetch(base + name, limits, deadline, resolve)
            exchanges += hops
            last = hops[-1]
            if last.outcome == "ok" and last.status == 200:
                files.append(_parse(name, last.url, last.body))
            else:
                files.append(BootstrapFile(name=name, source=base + name, error=(
                    f"{base + name}: {last.outcome}" + (f" HTTP {last.status}" if last.status else "")
                    + (f" ({last.error})" if last.error else ""))))
        return Bootstrap(location=location, files=tuple(files), exchanges=tuple(exchanges))
    folder = Path(location)
    files = []
    for name in FILES.values():
        path = folder / name
        try:
            with path.open("rb") as fh:
                data = fh.read(limits.max_bytes + 1)
        except OSError as exc:
            files.append(BootstrapFile(name=name, source=str(path), error=f"{path}: {exc.strerror or exc}"))
            continue
        if len(data) > limits.max_bytes:
            files.append(BootstrapFile(name=name, source=str(path),
                                       error=f"{path}: larger than {limits.max_bytes} bytes"))
        else:
            files.append(_parse(name, str(path), data))
    return Bootstrap(location=location, files=tuple(files))

"""The capturing machine's processor and memory, as the operating system states them.

Read from ``/proc/cpuinfo`` and ``/proc/meminfo`` (Linux), else from the platform and ``sysconf``; a value
the OS does not give stays None rather than being guessed.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

from evidence_crawler.models import Machine

CPUINFO = Path("/proc/cpuinfo")
MEMINFO = Path("/proc/meminfo")
CPU_KEYS = ("model name", "hardware", "processor", "cpu model", "cpu")  # x86 first; ARM and others after


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def cpu_model(cpuinfo: str | None = None) -> str | None:
    """The first ``model name`` line (or the platform's equivalent key) of /proc/cpuinfo."""
    fields: dict[str, str] = {}
    for line in (_read(CPUINFO) if cpuinfo is None else cpuinfo).splitlines():
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), " ".join(value.split())
        # "processor" is the CPU's index on x86 ("0"): a number is not a model
        if sep and value and key not in fields and not value.isdigit():
            fields[key] = value
    found = next((fields[k] for k in CPU_KEYS if k in fields), None)
    return found or platform.processor() or None


def memory_bytes(meminfo: str | None = None) -> int | None:
    """MemTotal of /proc/meminfo (kB there: x 1024), else physical pages x page size."""
    for line in (_read(MEMINFO) if meminfo is None else meminfo).splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if key.strip() == "MemTotal" and parts and parts[0].isdigit():
            unit = parts[1].lower() if len(parts) > 1 else ""
            return int(parts[0]) * (1024 if unit == "kb" else 1)
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def machine() -> Machine:
    return Machine(cpu_model=cpu_model(), cpu_count=os.cpu_count(), memory_bytes=memory_bytes())

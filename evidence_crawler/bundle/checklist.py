"""The report's "Conditions of the capture": a checklist read from what the capture's manifest recorded.

Each line has a label, the recorded value(s) and how the value was established. Nothing is inferred at
export: a fact the manifest does not hold (older captures, or a fact the capturing machine could not
determine) prints "not recorded" / "non enregistré", and a check that ran and failed prints its error.
The environment model is open, so newer facts (``machine``, ``tool_files``, ``browser``, ``dns_resolvers``,
``public_ip``, ``clock``, ``clean_state``, ``robots``) are read as plain dicts when present.
"""

from __future__ import annotations

from typing import Any

from evidence_crawler.bundle.strings import section, strings

Env = dict[str, Any]


def _get(env: Env, *path: str) -> Any:
    cur: Any = env
    for p in path:
        if not isinstance(cur, dict) or cur.get(p) in (None, "", [], {}):
            return None
        cur = cur[p]
    return cur


def _join(*parts: Any, sep: str = ", ") -> str | None:
    shown = [str(p) for p in parts if p not in (None, "", [], {})]
    return sep.join(shown) or None


def _operator(env: Env, w: dict[str, str]) -> list[str | None]:
    op = _join(env.get("operator"), f"({env['operator_source']})" if env.get("operator_source") else None, sep=" ")
    return [op, _join(_get(env, "organisation") or _get(env, "organization"))]


def _machine(env: Env, w: dict[str, str]) -> list[str | None]:
    mem = _get(env, "machine", "memory_bytes")
    return [_join(env.get("hostname")), _join(_get(env, "os", "platform") or _get(env, "os", "system")),
            _join(_get(env, "machine", "cpu_model"),
                  f"{_get(env, 'machine', 'cpu_count')} {w['cpus']}" if _get(env, "machine", "cpu_count") else None),
            f"{int(mem) / (1 << 30):.1f} GiB ({mem} {w['bytes']})" if mem else None]


def _software(env: Env, w: dict[str, str]) -> list[str | None]:
    tool = _join(_get(env, "tool", "name"), _get(env, "tool", "version"), sep=" ")
    files = _get(env, "tool_files")
    digest = _join(f"sha256 {files.get('sha256')}" if files.get("sha256") else None,
                   f"{files['files']} {w['files']}" if files.get("files") else None,
                   files.get("method")) if files else None
    b = _get(env, "browser")
    browser = _join(b.get("name"), b.get("version"), b.get("executable"), sep=" ") if b else None
    return [_join(tool, f"Python {env['python']}" if env.get("python") else None), digest, browser]


def _network(env: Env, w: dict[str, str]) -> list[str | None]:
    ip = _get(env, "public_ip")
    public = None
    if ip:
        public = (_join(ip.get("ip"), f"{w['via']} {ip['source_url']}" if ip.get("source_url") else None,
                        ip.get("checked_at"), sep=" ")
                  if ip.get("ip") else f"{w['not_determined']}: {ip.get('error') or w['no_reason']}")
    r = _get(env, "dns_resolvers")
    resolvers = _join(_join(*(r.get("servers") or [])),
                      f"({_join(r.get('source'), r.get('config_file'))})" if r.get("source") or r.get("config_file")
                      else None, sep=" ") if r else None
    answers = _join(*(f"{host} → {_join(*(d.get('addresses') or [])) or d.get('error') or '—'}"
                      for host, d in (env.get("dns") or {}).items()), sep="; ")
    proxies = env.get("proxy_variables")
    process_proxy = (_join(*(f"{k}={v}" for k, v in proxies.items())) or w["none"]) if proxies is not None else None
    return [_join(*(env.get("local_ips") or [])), public, resolvers, answers, process_proxy,
            _join(_get(env, "browser", "proxy"))]


def _clock(env: Env, w: dict[str, str]) -> list[str | None]:
    c = _get(env, "clock")
    system = (c or {}).get("system_utc") or env.get("clock_utc")
    if not c:
        return [system, None]
    if c.get("checked"):
        check = _join(f"{w['offset']} {c.get('offset_s')} s", f"{w['round_trip']} {c.get('round_trip_s')} s",
                      f"{w['server']} {c.get('server')}", f"stratum {c['stratum']}" if c.get("stratum") else None,
                      c.get("checked_at"))
    else:
        check = _join(w["unchecked"], c.get("error"), sep=": ")
    return [system, check]


def _clean(env: Env, w: dict[str, str]) -> list[str | None]:
    s = _get(env, "clean_state") or {}
    cookies = s.get("cookies_in")
    return [_join(s.get("http")), _join(s.get("browser")),
            None if cookies is None else (w["none"] if cookies in (0, False, [], "none") else str(cookies))]


def _period(capture: dict[str, Any], w: dict[str, str]) -> list[str | None]:
    return [capture.get("started_at"), capture.get("finished_at")]


def _robots(capture: dict[str, Any], w: dict[str, str]) -> list[str | None]:
    """``environment.robots``, else the sealed crawl settings (``ROBOTSTXT_OBEY``, ``USER_AGENT``)."""
    env, settings = capture.get("environment") or {}, capture.get("settings") or {}
    r = _get(env, "robots") or {}
    obeyed = r.get("obeyed", settings.get("ROBOTSTXT_OBEY"))
    return [None if obeyed is None else (w["yes"] if obeyed else w["no"]),
            _join(r.get("user_agent") or env.get("user_agent") or settings.get("USER_AGENT"))]


READERS = {"operator": _operator, "machine": _machine, "software": _software, "network": _network,
           "clock": _clock, "clean_state": _clean}
CAPTURE_READERS = {"period": _period, "robots": _robots}


def checklist(capture: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The groups of lines for one capture: ``[{"group", "lines": [{"label", "value", "recorded", "how"}]}]``."""
    env, w = capture.get("environment") or {}, strings(lang, "checklist_words")
    out = []
    for group, lines in section("checklist").items():
        values = CAPTURE_READERS[group](capture, w) if group in CAPTURE_READERS else READERS[group](env, w)
        out.append({"group": lines["title"][lang], "key": group, "lines": [
            {"label": spec["label"][lang], "value": value if value is not None else w["not_recorded"],
             "recorded": value is not None, "how": spec["how"][lang]}
            for spec, value in zip(lines["lines"], values, strict=True)]})
    return out

"""The clean-state statement: how a capture started with no cookie, cache, history or storage carried in.

Built from the settings and browser options actually in force when the capture ran (Scrapy's settings,
the browser's launch arguments and context options), so a setting that carried state in shows in the
sentence instead of being hidden behind a fixed claim. ``cookies_in`` is counted, not assumed: the
cookies in Scrapy's jars (and a ``Cookie`` default header) when the crawl started.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evidence_crawler.models import CleanState


def http_statement(settings: Mapping[str, Any], cookies_in: int | None) -> str:
    parts = []
    if not settings.get("COOKIES_ENABLED", True):
        parts.append("cookies disabled (COOKIES_ENABLED=False): none stored or sent")
    elif cookies_in == 0:
        parts.append("Scrapy's cookie jar started empty (0 cookies when the crawl started); cookies the site "
                     "set were kept in memory for this capture only and never saved")
    elif cookies_in:
        parts.append(f"Scrapy's cookie jar held {cookies_in} cookie(s) when the crawl started")
    else:
        parts.append("Scrapy's cookie jar is created empty for each crawl (not counted for this capture)")
    if settings.get("HTTPCACHE_ENABLED"):
        parts.append("HTTP cache ON (HTTPCACHE_ENABLED=True): answers may come from an earlier crawl")
    else:
        parts.append("no HTTP cache (HTTPCACHE_ENABLED=False): every response came from the network")
    jobdir = settings.get("JOBDIR")
    parts.append(f"JOBDIR={jobdir} keeps only the queue of requests still to fetch (for resume), no cookies or "
                 "responses" if jobdir else "no persisted crawl state (no JOBDIR)")
    return "; ".join(parts)


def browser_statement(launch_kwargs: Mapping[str, Any], context_options: Mapping[str, Any],
                      context_per_page: bool) -> str:
    args = [str(a) for a in launch_kwargs.get("args", [])]
    profile = launch_kwargs.get("user_data_dir") or next(
        (a.split("=", 1)[1] for a in args if a.startswith("--user-data-dir=")), None)
    parts = [f"browser launched with a persistent profile --user-data-dir={profile}" if profile else
             "browser launched by Playwright with no --user-data-dir given: a new empty temporary profile, "
             "deleted when the browser closes"]
    parts.append("each page rendered in a new browser context (its own cookies, storage and cache, shared with "
                 "no other page), closed after it" if context_per_page else
                 "pages rendered in a shared browser context")
    state = context_options.get("storage_state")
    parts.append(f"storage state loaded into each context: {state}" if state else
                 "no cookies or storage loaded into a context (no storage_state)")
    if context_options.get("service_workers") == "block":
        parts.append("service workers blocked")
    return "; ".join(parts)


def clean_state(settings: Mapping[str, Any], cookies_in: int | None, browser: str | None = None) -> CleanState:
    return CleanState(http=http_statement(settings, cookies_in), browser=browser, cookies_in=cookies_in)

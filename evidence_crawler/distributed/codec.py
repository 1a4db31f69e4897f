"""Requests in the shared queue as JSON (scrapy-redis's ``SCHEDULER_SERIALIZER``), not its default pickle.

Unpickling what comes out of a network service runs whatever code the sender chose; JSON does not.
scrapy-redis accepts any module-like object with ``loads``/``dumps``; this module is one.
"""

from __future__ import annotations

import base64
import json
from typing import Any


def _to_json(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return {"__b64__": base64.b64encode(obj).decode()}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _to_json(v) for k, v in obj.items() if _serialisable(v)}
        # headers: bytes keys (kept as pairs; a JSON object's keys can only be text)
        return {"__pairs__": [[_to_json(k), _to_json(v)] for k, v in obj.items() if _serialisable(v)]}
    if isinstance(obj, list | tuple):
        return [_to_json(v) for v in obj]
    return obj


def _serialisable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | bytes | dict | list | tuple)


def _from_json(obj: Any) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__b64__"}:
            return base64.b64decode(obj["__b64__"])
        if set(obj) == {"__pairs__"}:
            return {_from_json(k): _from_json(v) for k, v in obj["__pairs__"]}
        return {k: _from_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_from_json(v) for v in obj]
    return obj


def dumps(obj: dict[str, Any]) -> bytes:
    """A request dict as JSON. Meta values that are not plain data (objects set by components while a request
    was in flight, e.g. our ``PageRef``) are dropped: they are rebuilt when the request is fetched again."""
    return json.dumps(_to_json(obj), sort_keys=True, separators=(",", ":")).encode()


def loads(data: bytes) -> dict[str, Any]:
    return _from_json(json.loads(data))

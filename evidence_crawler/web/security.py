"""Who may talk to the workbench, and what a browser may do with its pages.

Bound to loopback it needs no token (as Jupyter's ``--ip=127.0.0.1`` convention, any local user can reach
the store's files anyway). Bound elsewhere, every request needs the token: ``?token=`` once (then an
HttpOnly, SameSite=Strict cookie) or ``Authorization: Bearer``. POST forms carry a CSRF token derived from
the app's secret and checked in constant time; SameSite=Strict alone does not cover an app on loopback
reached from another local origin.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

COOKIE = "evidence_ui_token"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; connect-src 'self'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
           "Referrer-Policy": "no-referrer", "Cross-Origin-Opener-Policy": "same-origin",
           "Cross-Origin-Resource-Policy": "same-origin", "Cache-Control": "no-store"}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Access:
    """The token rule of one running app (``token`` None: loopback, open) and its CSRF secret."""

    def __init__(self, token: str | None, token_name: str | None = None) -> None:
        self.token = token
        self.token_name = token_name or ("token" if token else None)
        self.secret = secrets.token_bytes(32)

    @property
    def replay_token(self) -> str | None:
        """The replay origin's own token (``web.replay``): not the app's, so a page replayed there holds
        nothing that opens the app."""
        return hmac.new(self.secret, b"replay-origin", hashlib.sha256).hexdigest() if self.token else None

    def allowed(self, request: Request, expected: str | None = None, cookie: str = COOKIE) -> bool:
        expected = self.token if expected is None else expected
        if expected is None:
            return True
        given = request.cookies.get(cookie) or request.query_params.get("token") or ""
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:]
        return hmac.compare_digest(given.encode(), expected.encode())

    def csrf(self, path: str) -> str:
        return hmac.new(self.secret, path.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, path: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf(path), given)


class SecurityMiddleware(BaseHTTPMiddleware):
    """401 without the token; security headers on every answer; the token moved from the URL to a cookie.
    ``frame_src(request)``: the one origin the pages may frame (the replay origin), when there is one."""

    cookie = COOKIE

    def __init__(self, app, access: Access, frame_src: Callable[[Request], str] | None = None) -> None:
        super().__init__(app)
        self.access = access
        self.frame_src = frame_src

    def expected(self) -> str | None:
        return self.access.token

    def headers(self, request: Request) -> dict[str, str]:
        if self.frame_src is None:
            return HEADERS
        return {**HEADERS, "Content-Security-Policy": f"{CSP}; frame-src {self.frame_src(request)}"}

    async def dispatch(self, request: Request, call_next) -> Response:
        expected = self.expected()
        if expected is not None and not self.access.allowed(request, expected, self.cookie):
            response: Response = PlainTextResponse("401: this workbench needs its token (?token=...)", 401)
        elif expected and request.query_params.get("token") and request.method == "GET":
            response = RedirectResponse(request.url.remove_query_params("token"), 303)
            response.set_cookie(self.cookie, expected, httponly=True, samesite="strict")
        else:
            response = await call_next(request)
        for name, value in self.headers(request).items():
            response.headers.setdefault(name, value)
        return response

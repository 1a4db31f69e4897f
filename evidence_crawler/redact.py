"""Secrets never enter evidence: the one redaction of URLs and environment values that are recorded or printed.

A manifest, a custody line or a bundle is kept for years and handed to the other side, so a proxy
password, a Redis ``requirepass``, an S3 endpoint's credentials or a pre-signed URL's signature must be
masked before they are written anywhere, not after. What is masked: the password of a URL's userinfo
(``user:***@``, or ``***@`` for a bare token as user name), the value of query or fragment parameters
whose name says secret (``password``, ``token``, ``sig``, ``api_key``, ``X-Amz-*``, ...), and whole values
of secret environment variables (``AWS_SECRET_ACCESS_KEY``, ...). Everything else stays byte for byte,
so a redacted URL still says which host, port and path were used.

A start URL carrying credentials is refused instead (:func:`refuse_credentials`): the page would be
fetched with them, and its recorded request line and WARC headers would hold them.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
CREDENTIALS_REFUSED = "credentials in URLs are not supported; use the profile's auth (future)"

# a parameter is secret when one of the words of its name (split on - _ . and case) is one of these
SECRET_WORDS = frozenset({"password", "passwd", "pwd", "pass", "passphrase", "token", "secret", "key", "apikey",
                          "sig", "signature", "auth", "authorization", "credential", "credentials", "jwt"})
SECRET_PREFIXES = ("x-amz-", "x-goog-")
# environment variables whose whole value is a secret (a URL-valued variable is redacted as a URL instead)
SECRET_ENV_WORDS = frozenset({"password", "passwd", "secret", "token", "key", "credentials"})
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")
_WORDS = re.compile(r"[-_.\s]+")


def secret_name(name: str) -> bool:
    """Whether a query parameter or variable called ``name`` holds a secret."""
    low = unquote(name).strip().lower()
    return low.startswith(SECRET_PREFIXES) or any(w in SECRET_WORDS for w in _WORDS.split(low))


def _mask_params(text: str) -> str:
    out = []
    for pair in text.split("&"):
        name, eq, value = pair.partition("=")
        out.append(f"{name}={MASK}" if eq and value and secret_name(name) else pair)
    return "&".join(out)


def redact_url(url: str) -> str:
    """``url`` with its userinfo password and secret parameters masked; anything unparsable is returned masked."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port, which could be a password after a colon
    except ValueError:
        return MASK if "@" in url else url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{hostport}" if colon else f"{MASK}@{hostport}"
    return urlunsplit(parts._replace(netloc=netloc, query=_mask_params(parts.query),
                                     fragment=_mask_params(parts.fragment)))


def redact_text(text: str) -> str:
    """Every URL found in free text (an error message, a log line, a no_proxy list) redacted."""
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def redact_env(name: str, value: str) -> str:
    """An environment value fit for a manifest: a secret variable is masked whole, URLs in it are redacted."""
    if value and any(w in SECRET_ENV_WORDS for w in _WORDS.split(name.lower())):
        return MASK
    return redact_text(value)


def without_credentials(url: str) -> str:
    """``url`` without its ``user:password@`` (for a client that must not see, quote or route by them)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2])) if "@" in parts.netloc else url


def has_credentials(url: str) -> bool:
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:
        return "@" in url


def refuse_credentials(url: str) -> str:
    """``url`` unchanged, or ValueError naming it (redacted) when it carries ``user:password@``."""
    if has_credentials(url):
        raise ValueError(f"{redact_url(url)}: {CREDENTIALS_REFUSED}")
    return url

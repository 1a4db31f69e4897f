"""The boto3 S3 client, built the way AWS users expect, and what a botocore failure means for the archive.

Credentials, region, profile and endpoint come from boto3's standard chain (``AWS_PROFILE``,
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``~/.aws/config``, instance roles, ``AWS_ENDPOINT_URL`` /
``AWS_ENDPOINT_URL_S3``); only timeouts, retries and the connection pool come from our config. Nothing
here logs or returns a secret.

Failures are sorted by what the caller must do about them:

- :class:`ArchiveUnavailable`: try again later (endpoint down, 5xx, throttling): the outbox keeps the object;
- :class:`ArchiveConfigError`: an operator must act (credentials, missing bucket, no Object Lock);
- :class:`ArchiveIntegrityError`: this object failed a checksum or size check: never "archived";
- :class:`WriteOnceRefused`: a delete or overwrite was asked of the write-once archive;
- any other :class:`ArchiveError`: this object failed for a reason S3 named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evidence_crawler.redact import redact_text, redact_url, without_credentials

CREDENTIAL_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
                    "TokenRefreshRequired", "AuthorizationHeaderMalformed", "InvalidClientTokenId"}
TRANSIENT_CODES = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "ServiceUnavailable",
                   "InternalError", "RequestTimeTooSkewed", "503", "500", "502", "504"}
INTEGRITY_CODES = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum"}


class ArchiveError(Exception):
    """An archive operation failed; the message is the one line the operator needs."""


class ArchiveUnavailable(ArchiveError):
    pass


class ArchiveConfigError(ArchiveError):
    pass


class ArchiveIntegrityError(ArchiveError):
    pass


class WriteOnceRefused(ArchiveError):
    pass


@dataclass(frozen=True)
class ClientSettings:
    max_attempts: int = 3
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    max_pool_connections: int = 10


def make_client(settings: ClientSettings) -> Any:
    """An S3 client from the standard chain; ``us-east-1`` when no region is configured anywhere."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()  # AWS_PROFILE and friends are read here
    region = session.region_name or "us-east-1"
    client = _client(session, region, settings, Config, None)
    # user:password@ in AWS_ENDPOINT_URL is never sent (requests are SigV4-signed), but botocore quotes it in
    # its errors and matches NO_PROXY against it (so it would go through the proxy): it is dropped
    bare = without_credentials(client.meta.endpoint_url)
    return client if bare == client.meta.endpoint_url else _client(session, region, settings, Config, bare)


def _client(session: Any, region: str, settings: ClientSettings, Config: Any, endpoint_url: str | None) -> Any:
    return session.client("s3", region_name=region, endpoint_url=endpoint_url, config=Config(
        retries={"mode": "standard", "max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout_s, read_timeout=settings.read_timeout_s,
        max_pool_connections=settings.max_pool_connections,
        # We send our own SHA-256 of every body in x-amz-checksum-sha256, a signed header that S3 checks; signing
        # the payload as well (botocore's default over plain http) would hash every byte a third time.
        request_checksum_calculation="when_required", s3={"payload_signing_enabled": False},
    ))


def endpoint_of(client: Any) -> str:
    """The endpoint as recorded (custody, outbox, output): ``AWS_ENDPOINT_URL`` may carry ``user:password@``."""
    return redact_url(client.meta.endpoint_url)


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    code = (response.get("Error") or {}).get("Code")
    return str(code) if code else ""


def classify(exc: BaseException, *, action: str, bucket: str, endpoint: str) -> ArchiveError:
    """Turn a botocore exception into the :class:`ArchiveError` that says what to do next."""
    from botocore import exceptions as bx

    if isinstance(exc, ArchiveError):
        return exc
    endpoint, text = redact_url(endpoint), redact_text(str(exc))  # botocore's messages quote the endpoint URL
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError | bx.ProfileNotFound):
        return ArchiveConfigError(f"no usable AWS credentials ({text}): set AWS_ACCESS_KEY_ID and "
                                  "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, as for the aws CLI")
    if isinstance(exc, bx.ConnectionError | bx.HTTPClientError):  # refused, reset, timed out
        return ArchiveUnavailable(f"S3 endpoint {endpoint} unreachable during {action}: {text}")
    if isinstance(exc, bx.ClientError):
        code = error_code(exc)
        message = (exc.response.get("Error") or {}).get("Message", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in CREDENTIAL_CODES:
            return ArchiveConfigError(f"S3 at {endpoint} rejected the credentials ({code}): check "
                                      "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE")
        if code == "NoSuchBucket":
            return ArchiveConfigError(f"bucket {bucket!r} does not exist at {endpoint}; create it with "
                                      f"`evidence-crawler archive init-bucket {bucket}`")
        if code in ("AccessDenied", "403", "AllAccessDisabled"):
            return ArchiveConfigError(f"S3 at {endpoint} denied {action} on bucket {bucket!r} ({code}): check "
                                      "the credentials and the IAM policy")
        if code in INTEGRITY_CODES:
            return ArchiveIntegrityError(f"S3 rejected the bytes of {action} ({code}): {message}")
        if code in TRANSIENT_CODES or status >= 500:
            return ArchiveUnavailable(f"S3 at {endpoint} failed {action} ({code or status}): {message}")
        return ArchiveError(f"S3 {action} failed ({code or status}): {message}")
    return ArchiveError(f"S3 {action} failed: {type(exc).__name__}: {text}")

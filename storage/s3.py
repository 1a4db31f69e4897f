"""S3 with Object Lock as a write-once archive of sealed objects (no Scrapy, no local store).

Keys are content-addressed, ``<prefix>/sha256/<hex>``, plus each capture's manifest under
``<prefix>/captures/<id>/manifest.json``. Every object carries its sha256, blake3 and capture id in its
metadata and, in a locked bucket, a retention (COMPLIANCE by default) and optionally a legal hold.

``put_file`` proves each upload three ways before calling it archived: our own hash of the bytes sent
(:mod:`storage.s3_upload`), the checksum S3 answered, and a HEAD of the new version (size, checksum,
retention). Retention is read back from that HEAD, not from GetObjectRetention, which not every server
implements; when a server dropped it (some do on multipart uploads) it is set again and read again.

The store never deletes and never overwrites: ``delete`` always refuses, and an existing key with other
content is refused rather than replaced. Both refusals are reported through ``on_refusal`` so the caller
can put them in the custody ledger.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, NoReturn
from urllib.parse import unquote, urlsplit

from evidence_crawler.hashing import digest_file, digest_stream
from evidence_crawler.models import Digests, EventKind
from storage.s3_client import (
    ArchiveConfigError,
    ArchiveIntegrityError,
    ClientSettings,
    WriteOnceRefused,
    classify,
    endpoint_of,
    error_code,
    make_client,
)
from storage.s3_upload import ChecksummedUploader, b64_of_hex, composite_checksum, same_checksum

log = logging.getLogger(__name__)
RETENTION_SLACK = timedelta(days=1)  # an existing object retained at least this close to ours is kept as is


@dataclass(frozen=True)
class RetentionPolicy:
    mode: str = "COMPLIANCE"
    days: int = 3650
    legal_hold: bool = False

    def retain_until(self, now: datetime | None = None) -> datetime:
        return ((now or datetime.now(UTC)) + timedelta(days=self.days)).replace(microsecond=0)


@dataclass(frozen=True)
class BucketCheck:
    bucket: str
    endpoint: str
    object_lock: bool
    versioning: str


@dataclass(frozen=True)
class ArchivedObject:
    bucket: str
    key: str
    version_id: str | None
    checksum_sha256: str  # base64 (or composite ``base64-N`` for a multipart upload)
    size: int
    retention_mode: str | None
    retain_until: str | None  # ISO 8601 UTC
    legal_hold: bool
    parts: int
    existed: bool  # already there with the same checksum: not uploaded again
    digests: Digests  # what was archived (the ArtifactStore protocol's StoredObject)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "digests"}


class S3ObjectLockStore:
    def __init__(self, client: Any, bucket: str, prefix: str = "evidence", policy: RetentionPolicy | None = None,
                 uploader: ChecksummedUploader | None = None,
                 on_refusal: Callable[[str, dict[str, Any]], None] = lambda event, data: None) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.policy = policy or RetentionPolicy()
        self.uploader = uploader or ChecksummedUploader(client)
        self.on_refusal = on_refusal
        self.endpoint = endpoint_of(client)
        self.locked: bool | None = None  # set by check_bucket()

    # --- keys ----------------------------------------------------------------------------------
    def key_for(self, sha256: str) -> str:
        return "/".join(p for p in (self.prefix, "sha256", sha256) if p)

    def manifest_key(self, capture_id: str) -> str:
        return "/".join(p for p in (self.prefix, "captures", capture_id, "manifest.json") if p)

    def _call(self, action: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(Bucket=self.bucket, **kwargs)
        except Exception as exc:
            raise classify(exc, action=action, bucket=self.bucket, endpoint=self.endpoint) from exc

    # --- bucket --------------------------------------------------------------------------------
    def check_bucket(self) -> BucketCheck:
        """Reachable, credentials accepted, bucket exists; says whether Object Lock is on.

        GetObjectLockConfiguration rather than HeadBucket: a HEAD error has no body, so a 403 could not
        tell wrong credentials from a bucket owned by someone else.
        """
        from botocore.exceptions import ClientError

        try:
            conf = self.client.get_object_lock_configuration(Bucket=self.bucket)
            locked = conf.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
        except ClientError as exc:
            if error_code(exc) != "ObjectLockConfigurationNotFoundError":
                raise classify(exc, action="GetObjectLockConfiguration", bucket=self.bucket,
                               endpoint=self.endpoint) from exc
            locked = False
        except Exception as exc:
            raise classify(exc, action="GetObjectLockConfiguration", bucket=self.bucket,
                           endpoint=self.endpoint) from exc
        versioning = self._call("GetBucketVersioning", self.client.get_bucket_versioning).get("Status", "Disabled")
        self.locked = locked
        return BucketCheck(self.bucket, self.endpoint, locked, versioning)

    def require_lock(self, allow_unlocked: bool) -> BucketCheck:
        check = self.check_bucket()
        if not check.object_lock and not allow_unlocked:
            raise ArchiveConfigError(
                f"bucket {self.bucket!r} at {self.endpoint} has no Object Lock: archived evidence there could be "
                f"deleted or overwritten. Use a bucket made by `evidence-crawler archive init-bucket NAME`, or "
                "accept it with --allow-unlocked / EVIDENCE_S3_ALLOW_UNLOCKED=1 (recorded in custody)")
        return check

    @classmethod
    def from_uri(cls, uri: str, client: Any = None, **options: Any) -> S3ObjectLockStore:
        """``s3://bucket/prefix``; without ``client``, one from boto3's standard chain with default settings.
        ``options``: as for the constructor (policy, uploader, on_refusal)."""
        parts = urlsplit(uri)
        if parts.scheme.lower() != "s3" or not parts.netloc:
            raise ValueError(f"{uri!r} is not an S3 store URI (s3://bucket/prefix)")
        return cls(client if client is not None else make_client(ClientSettings()), parts.netloc,
                   unquote(parts.path).strip("/"), **options)

    # --- the ArtifactStore protocol --------------------------------------------------------------
    def put_file(self, src: Path, digests: Digests | None = None, metadata: Mapping[str, str] | None = None, *,
                 key: str | None = None, look_first: bool = True,
                 on_upload: Callable[[str | None], None] = lambda _id: None) -> ArchivedObject:
        """Upload ``src`` write-once under ``key`` (default: its content address) and prove it arrived.

        A single PUT is conditional (``If-None-Match: *``): S3 itself refuses to replace an existing key, so
        two uploaders racing for one key cannot make two versions; we then HEAD it and either find our bytes
        (``existed``) or refuse the overwrite. ``look_first`` HEADs the key before sending anything, which
        saves the bytes when the caller expects the object to be there already; multipart uploads always
        look first.
        """
        if self.locked is None:
            self.check_bucket()
        digests = digests or digest_file(src)
        key = key or self.key_for(digests.sha256)
        try:
            size = src.stat().st_size
        except OSError as exc:
            raise ArchiveIntegrityError(f"local object {src} unreadable: {exc}") from exc
        if size != digests.size:
            raise ArchiveIntegrityError(f"local object {src} has {size} bytes, its manifest entry {digests.size}")
        multipart = digests.size > self.uploader.threshold
        if look_first or multipart:
            existing = self.head(key)
            if existing is not None:
                return self._already_there(src, key, digests, existing)
        until = self.policy.retain_until() if self.locked else None
        meta = {"sha256": digests.sha256, "blake3": digests.blake3, **(metadata or {})}
        extra: dict[str, Any] = {"Metadata": meta}
        if until is not None:
            extra.update(ObjectLockMode=self.policy.mode, ObjectLockRetainUntilDate=until)
            if self.policy.legal_hold:
                extra["ObjectLockLegalHoldStatus"] = "ON"
        if multipart:
            meta["part-size"] = str(self.uploader.part_size(digests.size))
        else:
            extra["IfNoneMatch"] = "*"
        try:
            result = self.uploader.upload(src, self.bucket, key, digests, extra, on_upload)
        except Exception as exc:
            if error_code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                existing = self.head(key)
                if existing is not None:
                    return self._already_there(src, key, digests, existing)
            raise classify(exc, action=f"upload of {key}", bucket=self.bucket, endpoint=self.endpoint) from exc
        try:
            head = self._confirm(key, result.version_id, result.checksum_sha256, digests)
            head = self._ensure_retention(key, head, until)
        except Exception as exc:
            raise classify(exc, action=f"check of {key}", bucket=self.bucket, endpoint=self.endpoint) from exc
        return self._archived(key, head, result.checksum_sha256, result.parts, digests, existed=False)

    def stat(self, sha256: str) -> Digests | None:
        head = self.head(self.key_for(sha256))
        if head is None:
            return None
        meta = head.get("Metadata", {})
        return Digests(sha256=meta.get("sha256", ""), blake3=meta.get("blake3", ""), size=head["ContentLength"])

    def open(self, sha256: str) -> BinaryIO:
        return self.open_key(self.key_for(sha256))

    # --- reading -------------------------------------------------------------------------------
    def head(self, key: str, version_id: str | None = None) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        kwargs: dict[str, Any] = {"Key": key, "ChecksumMode": "ENABLED"}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            return self.client.head_object(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchKey", "NoSuchVersion"):
                return None
            raise classify(exc, action=f"HEAD {key}", bucket=self.bucket, endpoint=self.endpoint) from exc
        except Exception as exc:
            raise classify(exc, action=f"HEAD {key}", bucket=self.bucket, endpoint=self.endpoint) from exc

    def open_key(self, key: str, version_id: str | None = None) -> BinaryIO:
        kwargs: dict[str, Any] = {"Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        return self._call(f"GET {key}", self.client.get_object, **kwargs)["Body"]

    def expected_checksum(self, src: Path, digests: Digests, head: dict[str, Any]) -> str:
        """What S3 should report for these bytes: plain SHA-256, or composite for a multipart object."""
        part_size = int(head.get("Metadata", {}).get("part-size") or 0)
        if part_size:
            return composite_checksum(src, part_size)
        return b64_of_hex(digests.sha256)

    # --- never ---------------------------------------------------------------------------------
    def delete(self, key: str, version_id: str | None = None) -> NoReturn:
        """Always refused: the archive is write-once; retention expiry is the only way out."""
        reason = "the evidence archive is write-once: objects are never deleted through evidence-crawler"
        self._refuse(EventKind.ARCHIVE_DELETE_REFUSED, key, version_id, reason)

    def _refuse(self, event: str, key: str, version_id: str | None, reason: str) -> NoReturn:
        log.warning("%s: s3://%s/%s: %s", event, self.bucket, key, reason)
        self.on_refusal(event, {"bucket": self.bucket, "key": key, "version_id": version_id, "reason": reason})
        raise WriteOnceRefused(f"refused: s3://{self.bucket}/{key}: {reason}")

    # --- proof ---------------------------------------------------------------------------------
    def _already_there(self, src: Path, key: str, digests: Digests, head: dict[str, Any]) -> ArchivedObject:
        expected = self.expected_checksum(src, digests, head)
        if head["ContentLength"] == digests.size and self._holds(key, head, expected, digests):
            head = self._ensure_retention(key, head, self.policy.retain_until() if self.locked else None)
            part_size = int(head.get("Metadata", {}).get("part-size") or 0)
            parts = math.ceil(digests.size / part_size) if part_size else 0
            return self._archived(key, head, expected, parts, digests, existed=True)
        self._refuse(EventKind.ARCHIVE_OVERWRITE_REFUSED, key, head.get("VersionId"),
                     f"the key already holds other content ({head['ContentLength']} bytes, checksum "
                     f"{head.get('ChecksumSHA256')}; ours {digests.size} bytes, {expected}); write-once: not "
                     "overwritten")

    def _holds(self, key: str, head: dict[str, Any], expected: str, digests: Digests) -> bool:
        """Does this version hold our bytes? By S3's checksum; by reading it back when it keeps none."""
        if head.get("ChecksumSHA256") is not None:
            return same_checksum(head["ChecksumSHA256"], expected)
        with self.open_key(key, head.get("VersionId")) as body:
            return digest_stream(body).sha256 == digests.sha256

    def _confirm(self, key: str, version_id: str | None, checksum: str, digests: Digests) -> dict[str, Any]:
        head = self.head(key, version_id)
        if head is None:
            raise ArchiveIntegrityError(f"{key}: HEAD after upload found no object (version {version_id})")
        if head["ContentLength"] != digests.size:
            raise ArchiveIntegrityError(f"{key}: S3 holds {head['ContentLength']} bytes, we sent {digests.size}")
        if not self._holds(key, head, checksum, digests):
            held = head.get("ChecksumSHA256") or "none (the bytes read back differ)"
            raise ArchiveIntegrityError(f"{key}: HEAD reports checksum {held}, we sent {checksum}")
        return head

    def _ensure_retention(self, key: str, head: dict[str, Any], until: datetime | None) -> dict[str, Any]:
        """Read retention and legal hold back from the HEAD; set them again where the server dropped them."""
        if until is None:
            return head
        version_id = head.get("VersionId")
        held_until = head.get("ObjectLockRetainUntilDate")
        fixed = False
        if held_until is None or held_until < until - RETENTION_SLACK:
            if held_until is None:
                log.warning("s3://%s/%s: no retention after upload (server dropped Object Lock); setting it",
                            self.bucket, key)
            mode = head.get("ObjectLockMode") or self.policy.mode
            self._call(f"PutObjectRetention {key}", self.client.put_object_retention, Key=key, VersionId=version_id,
                       Retention={"Mode": mode, "RetainUntilDate": until})
            fixed = True
        if self.policy.legal_hold and head.get("ObjectLockLegalHoldStatus") != "ON":
            self._call(f"PutObjectLegalHold {key}", self.client.put_object_legal_hold, Key=key,
                       VersionId=version_id, LegalHold={"Status": "ON"})
            fixed = True
        if not fixed:
            return head
        head = self.head(key, version_id) or {}
        held_until = head.get("ObjectLockRetainUntilDate")
        if held_until is None or held_until < until - RETENTION_SLACK:
            raise ArchiveIntegrityError(f"{key}: S3 did not keep the Object Lock retention we set (until {until})")
        if self.policy.legal_hold and head.get("ObjectLockLegalHoldStatus") != "ON":
            raise ArchiveIntegrityError(f"{key}: S3 did not keep the legal hold we set")
        return head

    def _archived(self, key: str, head: dict[str, Any], checksum: str, parts: int, digests: Digests,
                  existed: bool) -> ArchivedObject:
        until = head.get("ObjectLockRetainUntilDate")
        return ArchivedObject(
            bucket=self.bucket, key=key, version_id=head.get("VersionId"), checksum_sha256=checksum,
            size=head["ContentLength"], retention_mode=head.get("ObjectLockMode"),
            retain_until=until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if until else None,
            legal_hold=head.get("ObjectLockLegalHoldStatus") == "ON", parts=parts, existed=existed, digests=digests)


def init_bucket(client: Any, name: str) -> BucketCheck:
    """Create ``name`` with Object Lock (which turns versioning on) and confirm both. An existing bucket is
    checked, never changed (Object Lock can only be chosen at creation on most servers)."""
    from botocore.exceptions import ClientError

    endpoint = endpoint_of(client)
    store = S3ObjectLockStore(client, name)
    try:
        client.get_bucket_versioning(Bucket=name)
        exists = True
    except ClientError as exc:
        if error_code(exc) != "NoSuchBucket":
            raise classify(exc, action="GetBucketVersioning", bucket=name, endpoint=endpoint) from exc
        exists = False
    except Exception as exc:
        raise classify(exc, action="GetBucketVersioning", bucket=name, endpoint=endpoint) from exc
    if not exists:
        kwargs: dict[str, Any] = {"Bucket": name, "ObjectLockEnabledForBucket": True}
        region = client.meta.region_name
        if region and region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            client.create_bucket(**kwargs)
        except ClientError as exc:
            if error_code(exc) == "BucketAlreadyExists":
                raise ArchiveConfigError(f"bucket name {name!r} is taken by another account") from exc
            raise classify(exc, action="CreateBucket", bucket=name, endpoint=endpoint) from exc
        except Exception as exc:
            raise classify(exc, action="CreateBucket", bucket=name, endpoint=endpoint) from exc
    check = store.check_bucket()
    if not check.object_lock:
        raise ArchiveConfigError(f"bucket {name!r} already exists at {endpoint} without Object Lock (it can only be "
                                 "turned on at creation): choose another name")
    if check.versioning != "Enabled":
        store._call("PutBucketVersioning", client.put_bucket_versioning,
                    VersioningConfiguration={"Status": "Enabled"})
        check = store.check_bucket()
    return check

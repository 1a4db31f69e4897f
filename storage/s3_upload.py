"""Checksummed uploads: one PUT up to the multipart threshold, parallel parts above it.

Every byte is hashed as it is read, and the very bytes hashed are the ones sent: the whole object's blake3
must equal the one we expect (the manifest's), or nothing is completed, because the local object would be
damaged (blake3 rather than sha256 here: as strong, and a third of the CPU; the sha256 goes on the wire).
Each request carries a ``ChecksumSHA256`` (the manifest's for a single PUT, each part's own for a multipart
upload) and the server's answer is compared with ours. A server that checks nothing (emulators do not) is
therefore still caught when it answers with another checksum; the HEAD afterwards is the caller's
(:mod:`storage.s3`).

S3 has no whole-object SHA-256 for multipart uploads: its checksum is *composite*, the SHA-256 of the
concatenated part digests, written ``<base64>-<parts>``. :func:`composite_checksum` computes it from the
local file and the part size, so an archived object can be checked against local bytes later.

A multipart upload that fails is aborted. When the abort cannot reach the server either, the upload id
stays with the caller (``on_upload``) to abort on the next attempt; an incomplete upload is never an
object, so it is never counted as archived.
"""

from __future__ import annotations

import base64
import hashlib
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import blake3

from evidence_crawler.models import Digests
from storage.s3_client import ArchiveIntegrityError

MAX_PARTS = 10_000
MIB = 1024 * 1024


def b64_of_hex(hex_digest: str) -> str:
    """S3 writes checksums as base64 of the raw digest; we keep hex."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def composite_of(part_digests: list[bytes]) -> str:
    return base64.b64encode(hashlib.sha256(b"".join(part_digests)).digest()).decode() + f"-{len(part_digests)}"


def composite_checksum(path: Path, part_size: int) -> str:
    digests = []
    with open(path, "rb") as fh:
        while data := fh.read(part_size):
            digests.append(hashlib.sha256(data).digest())
    return composite_of(digests)


def same_checksum(returned: str | None, expected: str) -> bool:
    """Compare as S3 writes them; some servers drop the ``-<parts>`` suffix of a composite checksum."""
    if not returned:
        return False
    if returned == expected:
        return True
    base, _, parts = expected.partition("-")
    return bool(parts) and returned == base


@dataclass(frozen=True)
class UploadResult:
    version_id: str | None
    checksum_sha256: str  # what we computed: base64, or composite ``base64-N``
    returned_checksum: str | None  # what the server answered (None when it answered none)
    parts: int  # 0 = single PUT
    part_size: int


class ChecksummedUploader:
    def __init__(self, client: Any, threshold_bytes: int = 8 * MIB, chunk_bytes: int = 8 * MIB,
                 concurrency: int = 10) -> None:
        self.client = client
        self.threshold = threshold_bytes
        self.chunk = chunk_bytes
        self.concurrency = concurrency

    def part_size(self, size: int) -> int:
        """The configured chunk, grown (in whole MiB) when the file would need more than 10,000 parts."""
        if size <= self.chunk * MAX_PARTS:
            return self.chunk
        return math.ceil(size / MAX_PARTS / MIB) * MIB

    def upload(self, path: Path, bucket: str, key: str, expected: Digests, extra: dict[str, Any],
               on_upload: Callable[[str | None], None] = lambda _id: None) -> UploadResult:
        if expected.size > self.threshold:
            return self._multipart(path, bucket, key, expected, extra, on_upload)
        return self._single(path, bucket, key, expected, extra)

    def _single(self, path: Path, bucket: str, key: str, expected: Digests, extra: dict[str, Any]) -> UploadResult:
        data = path.read_bytes()
        _check_local(blake3.blake3(data, max_threads=1).hexdigest(), len(data), expected, path)
        checksum = b64_of_hex(expected.sha256)
        resp = self.client.put_object(Bucket=bucket, Key=key, Body=data, ContentLength=len(data),
                                      ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum, **extra)
        _check_returned(resp.get("ChecksumSHA256"), checksum, f"PUT {key}")
        return UploadResult(resp.get("VersionId"), checksum, resp.get("ChecksumSHA256"), 0, 0)

    def _multipart(self, path: Path, bucket: str, key: str, expected: Digests, extra: dict[str, Any],
                   on_upload: Callable[[str | None], None]) -> UploadResult:
        part_size = self.part_size(expected.size)
        upload_id = self.client.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256",
                                                        **extra)["UploadId"]
        on_upload(upload_id)
        try:
            parts, part_digests = self._send_parts(path, bucket, key, upload_id, part_size, expected)
            checksum = composite_of(part_digests)
            resp = self.client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                                         MultipartUpload={"Parts": parts})
        except BaseException:
            self._abort(bucket, key, upload_id, on_upload)
            raise
        on_upload(None)
        returned = resp.get("ChecksumSHA256")
        if returned is not None:  # AWS answers the composite; some servers answer nothing (HEAD decides)
            _check_returned(returned, checksum, f"CompleteMultipartUpload {key}")
        return UploadResult(resp.get("VersionId"), checksum, returned, len(parts), part_size)

    def _send_parts(self, path: Path, bucket: str, key: str, upload_id: str, part_size: int,
                    expected: Digests) -> tuple[list[dict[str, Any]], list[bytes]]:
        """Read and hash parts in order on this thread; upload them on a pool; stop at the first failure."""
        whole = blake3.blake3(max_threads=1)
        digests: list[bytes] = []
        futures: list[Future] = []
        in_flight = threading.BoundedSemaphore(self.concurrency + 2)  # bounds memory to that many parts
        failed = threading.Event()

        def done(fut: Future) -> None:
            in_flight.release()
            if not fut.cancelled() and fut.exception() is not None:
                failed.set()

        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="s3-part")
        try:
            with open(path, "rb") as fh:
                number = 0
                while not failed.is_set() and (data := fh.read(part_size)):
                    number += 1
                    whole.update(data)
                    digest = hashlib.sha256(data).digest()
                    digests.append(digest)
                    in_flight.acquire()
                    fut = pool.submit(self._part, bucket, key, upload_id, number, data, digest)
                    fut.add_done_callback(done)
                    futures.append(fut)
            parts = [f.result() for f in futures]  # the first failure propagates
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        _check_local(whole.hexdigest(), sum(p["Size"] for p in parts), expected, path)
        return [{k: v for k, v in p.items() if k != "Size"} for p in parts], digests

    def _part(self, bucket: str, key: str, upload_id: str, number: int, data: bytes,
              digest: bytes) -> dict[str, Any]:
        checksum = base64.b64encode(digest).decode()
        resp = self.client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data,
                                       ContentLength=len(data), ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum)
        _check_returned(resp.get("ChecksumSHA256"), checksum, f"UploadPart {number} of {key}")
        return {"PartNumber": number, "ETag": resp["ETag"], "ChecksumSHA256": checksum, "Size": len(data)}

    def _abort(self, bucket: str, key: str, upload_id: str, on_upload: Callable[[str | None], None]) -> None:
        try:
            self.abort(bucket, key, upload_id)
        except Exception:  # noqa: BLE001 - the server is unreachable: the caller keeps the id for later
            return
        on_upload(None)

    def abort(self, bucket: str, key: str, upload_id: str) -> None:
        """Abort an incomplete multipart upload; one the server no longer knows counts as aborted."""
        from botocore.exceptions import ClientError

        try:
            self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except ClientError as exc:
            if (exc.response.get("Error") or {}).get("Code") not in ("NoSuchUpload", "404"):
                raise


def _check_local(b3: str, size: int, expected: Digests, path: Path) -> None:
    if b3 != expected.blake3 or size != expected.size:
        raise ArchiveIntegrityError(f"local object {path} does not match its manifest entry (blake3 {b3[:16]}…, "
                                    f"{size} bytes; expected {expected.blake3[:16]}…, {expected.size}): not uploaded")


def _check_returned(returned: str | None, sent: str, what: str) -> None:
    """A missing answer is allowed here (the HEAD afterwards must have it); a different one never is."""
    if returned is not None and not same_checksum(returned, sent):
        raise ArchiveIntegrityError(f"{what}: S3 answered checksum {returned}, we sent {sent}")

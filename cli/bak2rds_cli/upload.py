"""``bak2rds upload``: refuse on this machine what the preflight would refuse, then send the
file as a parallel multipart upload whose full-object CRC32 S3 verifies before the object
exists (so a corrupted upload never starts a migration).

S3 user guide, "Checking object integrity in Amazon S3": with the full-object checksum type,
CompleteMultipartUpload states the CRC of the whole object and S3 refuses it (BadDigest) when
the parts it holds do not add up to it; CRC32 supports full-object checksums. Parts are at least
5 MiB (but the last) and at most 10,000 ("Amazon S3 multipart upload limits").
"""

from __future__ import annotations

import base64
import contextlib
import threading
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from bak2rds.backupfile import HEADER_READ_BYTES
from bak2rds.errors import Bak2RdsError
from bak2rds.models import BackupFacts
from bak2rds.preflight import check_engine_accepts, inspect_backup

MIB = 1024 * 1024
MIN_PART_SIZE = 8 * MIB
MAX_PARTS = 10_000
MAX_OBJECT_SIZE = 5 * 1000**4  # RDS restores files of at most 5 TB
STAGED_PREFIX = "staged/"
running_crc32: Callable[[bytes, int], int] = zlib.crc32  # the whole file's, part after part


class Refused(Exception):
    """Not uploaded: ``code`` is the catalogue code the migration would have failed with."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ChecksumMismatch(Exception):
    """S3 refused to assemble the object: its parts do not match the file's CRC32."""


@dataclass(frozen=True)
class LocalBackup:
    path: Path
    size: int
    facts: BackupFacts


@dataclass(frozen=True)
class Uploaded:
    bucket: str
    key: str
    version_id: str
    crc32: str  # base64, as S3 states it
    parts: int


def inspect(path: Path, engine_version: str | None = None, instance_id: str = "") -> LocalBackup:
    """The file's header facts, or Refused with the code the preflight would give."""
    if not path.name.lower().endswith(".bak"):
        raise Refused("NOT_A_BAK_FILE", f"{path.name}: only <DatabaseName>.bak starts a migration")
    size = path.stat().st_size
    if size == 0:
        raise Refused("EMPTY_BACKUP_OBJECT", f"{path} is empty")
    if size > MAX_OBJECT_SIZE:
        raise Refused("BACKUP_TOO_LARGE", f"{path} is over 5 TB: take the backup striped")
    with path.open("rb") as file:
        start = file.read(HEADER_READ_BYTES)
    try:
        facts, _ = inspect_backup(start, str(path))
        if engine_version:
            check_engine_accepts(facts, engine_version, instance_id)
    except Bak2RdsError as refused:
        raise Refused(refused.code, refused.detail) from None
    return LocalBackup(path, size, facts)


def object_key(path: Path, prefix: str, stage: bool) -> str:
    if stage:
        return STAGED_PREFIX + path.name
    folder = prefix.strip("/")
    return f"{folder}/{path.name}" if folder else path.name


def part_size_for(size: int) -> int:
    """The smallest whole-MiB part size from 8 MiB up that keeps within 10,000 parts."""
    needed = -(-size // MAX_PARTS)
    return max(MIN_PART_SIZE, -(-needed // MIB) * MIB)


def crc32_base64(crc: int) -> str:
    return base64.b64encode(crc.to_bytes(4, "big")).decode()


def upload_file(
    s3: Any,
    path: Path,
    bucket: str,
    key: str,
    metadata: Mapping[str, str],
    on_bytes: Callable[[int], None] = lambda sent: None,
    workers: int = 8,
) -> Uploaded:
    """Parts are read in order (the CRC32 of the whole file is computed on the way, one read
    of the file) and sent by ``workers`` threads; at most twice that many are held in memory."""
    created = s3.create_multipart_upload(
        Bucket=bucket,
        Key=key,
        Metadata=dict(metadata),
        ChecksumAlgorithm="CRC32",
        ChecksumType="FULL_OBJECT",
    )
    upload_id = created["UploadId"]
    in_flight = threading.BoundedSemaphore(2 * workers)
    failed = threading.Event()  # a part failed: stop reading the rest of the file

    def send(number: int, data: bytes) -> dict[str, Any]:
        try:
            sent = s3.upload_part(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
                ChecksumAlgorithm="CRC32",
            )
            on_bytes(len(data))
            return {"PartNumber": number, "ETag": sent["ETag"]}
        except BaseException:
            failed.set()
            raise
        finally:
            in_flight.release()

    try:
        crc, futures = 0, list[Future[dict[str, Any]]]()
        size = part_size_for(path.stat().st_size)
        with ThreadPoolExecutor(max_workers=workers) as pool, path.open("rb") as file:
            while not failed.is_set() and (data := file.read(size)):
                crc = running_crc32(data, crc)
                in_flight.acquire()
                futures.append(pool.submit(send, len(futures) + 1, data))
            parts = [future.result() for future in futures]
        checksum = crc32_base64(crc)
        done = s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            ChecksumCRC32=checksum,
            ChecksumType="FULL_OBJECT",
        )
    except ClientError as error:
        _abort(s3, bucket, key, upload_id)
        if error.response.get("Error", {}).get("Code") in {"BadDigest", "InvalidPart"}:
            raise ChecksumMismatch(
                f"S3 refused {path.name}: what it received does not match the file's CRC32 "
                "(the file changed while it was read, or the network corrupted a part). "
                "Nothing was created; upload it again."
            ) from None
        raise
    except BaseException:
        _abort(s3, bucket, key, upload_id)
        raise
    return Uploaded(bucket, key, str(done.get("VersionId") or ""), checksum, len(parts))


def _abort(s3: Any, bucket: str, key: str, upload_id: str) -> None:
    """No half-uploaded parts left behind (they are billed until aborted)."""
    with contextlib.suppress(ClientError):  # the caller reports the original error
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)

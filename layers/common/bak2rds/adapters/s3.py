"""The staging bucket: what is known about the uploaded objects. bak2rds writes nothing there
but its cutover reports (``reports/``); it never changes or deletes a backup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from bak2rds.adapters.aws import aws_call, error_code
from bak2rds.errors import Bak2RdsError, InvalidBackupObject

_MISSING = frozenset({"404", "NoSuchKey", "NoSuchVersion", "NotFound"})


@dataclass(frozen=True)
class ListedObject:
    key: str
    size: int
    last_modified: datetime | None = None
    storage_class: str = "STANDARD"


@dataclass(frozen=True)
class ObjectFacts:
    key: str
    version_id: str
    size: int
    etag: str
    metadata: dict[str, str]


def _gone(bucket: str, key: str, version_id: str) -> Callable[[ClientError], Bak2RdsError | None]:
    def mapped(error: ClientError) -> Bak2RdsError | None:
        if error_code(error) not in _MISSING:
            return None
        return InvalidBackupObject(
            f"s3://{bucket}/{key} (version {version_id or '-'}) was deleted while being read",
            code="BACKUP_OBJECT_MISSING",
        )

    return mapped


class StagingBucket:
    def __init__(self, s3_client: Any) -> None:
        self._s3 = s3_client

    def head(self, bucket: str, key: str, version_id: str) -> ObjectFacts | None:
        """Facts about one object version, or None when that key/version does not exist."""
        arguments = {"Bucket": bucket, "Key": key}
        if version_id:
            arguments["VersionId"] = version_id
        try:
            with aws_call("S3 HeadObject"):
                response = self._s3.head_object(**arguments)
        except ClientError as error:
            if error_code(error) in _MISSING:
                return None
            raise
        return ObjectFacts(
            key=key,
            version_id=str(response.get("VersionId") or version_id),
            size=int(response.get("ContentLength", 0)),
            etag=str(response.get("ETag", "")).strip('"'),
            metadata={k.lower(): v for k, v in response.get("Metadata", {}).items()},
        )

    def read_start(self, bucket: str, key: str, version_id: str, length: int) -> bytes:
        """The first ``length`` bytes of one object version: one ranged GET, whatever its size."""
        arguments = {"Bucket": bucket, "Key": key, "Range": f"bytes=0-{length - 1}"}
        if version_id:
            arguments["VersionId"] = version_id
        with aws_call("S3 GetObject", permanent=_gone(bucket, key, version_id)):
            response = self._s3.get_object(**arguments)
            body = response["Body"]
            try:
                # A misbehaving range would stream the whole object; never read past length.
                return bytes(body.read(length))
            finally:
                body.close()

    def list_objects(
        self, bucket: str, prefix: str, *, recursive: bool, limit: int
    ) -> tuple[list[ListedObject], bool]:
        """Current objects whose key starts with ``prefix`` (only those directly in that
        "folder" unless ``recursive``), at most ``limit``; and whether more were left off."""
        arguments = {"Bucket": bucket, "Prefix": prefix}
        if not recursive:
            arguments["Delimiter"] = "/"
        found: list[ListedObject] = []
        with aws_call("S3 ListObjectsV2"):
            for page in self._s3.get_paginator("list_objects_v2").paginate(**arguments):
                for entry in page.get("Contents", []):
                    if len(found) == limit:
                        return found, True
                    found.append(
                        ListedObject(
                            str(entry["Key"]),
                            int(entry.get("Size", 0)),
                            entry.get("LastModified"),
                            str(entry.get("StorageClass") or "STANDARD"),
                        )
                    )
        return found, False

    def put(self, bucket: str, key: str, body: str, content_type: str) -> None:
        """Write one report object (under ``reports/``: IAM allows nothing else)."""
        with aws_call("S3 PutObject"):
            self._s3.put_object(
                Bucket=bucket, Key=key, Body=body.encode(), ContentType=content_type
            )

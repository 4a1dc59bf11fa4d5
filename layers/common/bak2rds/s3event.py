"""The S3 "Object Created" event EventBridge delivers, reduced to what bak2rds needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from bak2rds.errors import InvalidBackupObject


@dataclass(frozen=True)
class UploadedObject:
    bucket: str
    key: str  # as it appears in the event; see candidate_keys()
    version_id: str  # "" when the bucket is not versioned
    size: int
    etag: str
    sequencer: str

    @property
    def identity(self) -> str:
        """What makes this upload unique: the version id, or the sequencer without one."""
        return self.version_id or self.sequencer

    def candidate_keys(self) -> list[str]:
        """S3 URL-encodes keys in its notifications ("a b.bak" arrives as "a+b.bak"); the
        decoded key comes first, the raw one second in case the event carried it verbatim.
        A HEAD of the exact version tells which one is real."""
        decoded = unquote_plus(self.key)
        return [decoded] if decoded == self.key else [decoded, self.key]


def parse_object_created(event: dict[str, Any]) -> UploadedObject:
    """Read an EventBridge ``Object Created`` event from S3; anything else is rejected."""
    if event.get("source") != "aws.s3" or event.get("detail-type") != "Object Created":
        raise InvalidBackupObject(
            "the input is not an S3 'Object Created' event from EventBridge",
            code="INVALID_EVENT",
        )
    detail = event.get("detail")
    bucket = detail.get("bucket") if isinstance(detail, dict) else None
    obj = detail.get("object") if isinstance(detail, dict) else None
    if not isinstance(bucket, dict) or not isinstance(obj, dict):
        raise InvalidBackupObject("the event has no bucket or object", code="INVALID_EVENT")
    name, key, size = bucket.get("name"), obj.get("key"), obj.get("size", 0)
    if not isinstance(name, str) or not name or not isinstance(key, str) or not key:
        raise InvalidBackupObject("the event names no bucket or key", code="INVALID_EVENT")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidBackupObject(f"the event has an invalid size {size!r}", code="INVALID_EVENT")
    return UploadedObject(
        bucket=name,
        key=key,
        version_id=str(obj.get("version-id") or ""),
        size=size,
        etag=str(obj.get("etag") or ""),
        sequencer=str(obj.get("sequencer") or ""),
    )

"""Read Backup Object: from the S3 event to a validated migration. No SQL runs before this.

The checks run cheapest first: the key (no call), the object's size and version (HEAD),
the database name, then the backup's own header (one ranged GET of at most 1 MiB).
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from bak2rds.adapters.s3 import ObjectFacts
from bak2rds.backupfile import HEADER_READ_BYTES
from bak2rds.errors import InvalidBackupObject, InvalidDatabaseName
from bak2rds.models import Migration
from bak2rds.naming import database_name_from_key, validate_database_name
from bak2rds.preflight import inspect_backup
from bak2rds.s3event import parse_object_created

MAX_RESTORE_FILE_BYTES = 5 * 1024**4  # RDS restores at most 5 TB from one file
DATABASE_NAME_METADATA = "database-name"  # x-amz-meta-database-name
SOURCE_DATABASE_METADATA = "source-database"  # the database DMS reads on the source server


class BucketReader(Protocol):
    """What this step reads of the staging bucket (``adapters.s3.StagingBucket`` in AWS)."""

    def head(self, bucket: str, key: str, version_id: str) -> ObjectFacts | None: ...
    def read_start(self, bucket: str, key: str, version_id: str, length: int) -> bytes: ...


def run(event: dict[str, Any], bucket: BucketReader, partition: str) -> Migration:
    uploaded = parse_object_created(event)
    for key in uploaded.candidate_keys():
        database_name_from_key(key)  # reject folders and other suffixes before any call
        facts = bucket.head(uploaded.bucket, key, uploaded.version_id)
        if facts is not None:
            break
    else:
        raise InvalidBackupObject(
            f"s3://{uploaded.bucket}/{uploaded.key} (version {uploaded.version_id or '-'}) "
            "no longer exists",
            code="BACKUP_OBJECT_MISSING",
        )
    if facts.size == 0:
        raise InvalidBackupObject(
            f"s3://{uploaded.bucket}/{facts.key} is empty", code="EMPTY_BACKUP_OBJECT"
        )
    if facts.size > MAX_RESTORE_FILE_BYTES:
        raise InvalidBackupObject(
            f"s3://{uploaded.bucket}/{facts.key} has {facts.size} bytes, more than 5 TB",
            code="BACKUP_TOO_LARGE",
        )
    if facts.version_id:
        # rds_restore_database takes no version: it restores whatever is newest.
        newest = bucket.head(uploaded.bucket, facts.key, "")
        if newest is not None and newest.version_id != facts.version_id:
            raise InvalidBackupObject(
                f"s3://{uploaded.bucket}/{facts.key} has a newer version {newest.version_id}",
                code="BACKUP_OBJECT_SUPERSEDED",
            )
    override = facts.metadata.get(DATABASE_NAME_METADATA)
    database = validate_database_name(
        override if override is not None else database_name_from_key(facts.key)
    )
    where = f"s3://{uploaded.bucket}/{facts.key}"
    first_bytes = bucket.read_start(
        uploaded.bucket, facts.key, facts.version_id, min(facts.size, HEADER_READ_BYTES)
    )
    backup = inspect_backup(first_bytes, where)
    source_override = facts.metadata.get(SOURCE_DATABASE_METADATA)
    source_from: Literal["header", "metadata", "database name"]
    if source_override is not None:
        source_database, source_from = _source_database(source_override, where), "metadata"
    elif "source_database" in backup:
        source_database, source_from = backup["source_database"], "header"
    else:  # compressed: Derive Start LSN compares it with msdb once restored
        source_database, source_from = database, "database name"
    return {
        "database_name": database,
        "database_name_from": "metadata" if override is not None else "key",
        "bucket": uploaded.bucket,
        "key": facts.key,
        "version_id": facts.version_id,
        "size_bytes": facts.size,
        "etag": facts.etag,
        "s3_arn": f"arn:{partition}:s3:::{uploaded.bucket}/{facts.key}",
        "backup": backup,
        "source_database": source_database,
        "source_database_from": source_from,
    }


def _source_database(name: str, where: str) -> str:
    """A source database name from metadata: any name SQL Server takes (sysname), nothing
    that cannot be one (empty, too long, control characters)."""
    if not name or len(name) > 128 or any(ord(ch) < 32 for ch in name):
        raise InvalidDatabaseName(
            f"{where}: metadata {SOURCE_DATABASE_METADATA}={name[:140]!r} is not a SQL Server "
            "database name (1 to 128 characters, no control characters)"
        )
    return name

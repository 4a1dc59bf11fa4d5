"""Read Backup Object: from the S3 event to a validated migration. No SQL runs before this.

The checks run cheapest first: the key (no call), the object's size and version (HEAD),
the database name, then the backup's own header (one ranged GET of at most 1 MiB). A striped
or differential backup then needs its other files (bak2rds.backupset): every stripe, and a
differential's base, found by their headers before anything is restored.
"""

from __future__ import annotations

from typing import Any, Literal

from bak2rds.adapters.s3 import ObjectFacts
from bak2rds.backupfile import HEADER_READ_BYTES, BackupHeader
from bak2rds.backupset import (
    MAX_RESTORE_FILE_BYTES,
    BackupFinder,
    BucketReader,
    FoundBackup,
    StripeSet,
    folder_of,
)
from bak2rds.errors import InvalidBackupObject, InvalidDatabaseName, StripeSetIncomplete
from bak2rds.models import BackupFacts, Migration, PlannedRestore
from bak2rds.naming import (
    database_name_from_key,
    is_waiting_for_stripes,
    validate_database_name,
)
from bak2rds.preflight import facts_of, inspect_backup
from bak2rds.s3event import UploadedObject, parse_object_created

DATABASE_NAME_METADATA = "database-name"  # x-amz-meta-database-name
SOURCE_DATABASE_METADATA = "source-database"  # the database DMS reads on the source server

__all__ = ["BucketReader", "run"]


def run(
    event: dict[str, Any], bucket: BucketReader, partition: str, execution_name: str = ""
) -> Migration:
    uploaded = parse_object_created(event)
    facts = find_uploaded_object(uploaded, bucket)
    where = f"s3://{uploaded.bucket}/{facts.key}"
    _check_size(facts.size, where)
    if facts.version_id:
        # rds_restore_database takes no version: it restores whatever is newest.
        newest = bucket.head(uploaded.bucket, facts.key, "")
        if newest is not None and newest.version_id != facts.version_id:
            raise InvalidBackupObject(
                f"{where} has a newer version {newest.version_id}",
                code="BACKUP_OBJECT_SUPERSEDED",
            )
    override = facts.metadata.get(DATABASE_NAME_METADATA)
    if override is not None:
        validate_database_name(override)  # a bad override is refused before any GET
    first_bytes = bucket.read_start(
        uploaded.bucket, facts.key, facts.version_id, min(facts.size, HEADER_READ_BYTES)
    )
    backup, header = inspect_backup(first_bytes, where)
    if header is None or (header.backup_type == "FULL" and header.family_count == 1):
        restores = [
            _restore(
                "FULL",
                f"arn:{partition}:s3:::{uploaded.bucket}/{facts.key}",
                [facts.key],
                facts.size,
                False,
                backup,
            )
        ]
        database_from: Literal["key", "metadata", "header"] = "key"
        database = database_name_from_key(facts.key)
    else:
        finder = BackupFinder(bucket, uploaded.bucket)
        found = FoundBackup(facts.key, facts.size, header)
        uploaded_files = _every_stripe(finder, found, execution_name)
        restores = [_planned(finder, uploaded_files, partition, with_norecovery=False)]
        if header.backup_type == "DIFFERENTIAL":
            base = finder.base_of(found)
            restores.insert(0, _planned(finder, base, partition, with_norecovery=True))
        override = _agreed_override(bucket, uploaded.bucket, facts, uploaded_files)
        database_from, database = "header", header.database_name
    if override is not None:
        database_from, database = "metadata", override
    database = validate_database_name(database)
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
        "database_name_from": database_from,
        "bucket": uploaded.bucket,
        "key": facts.key,
        "version_id": facts.version_id,
        "size_bytes": sum(restore["size_bytes"] for restore in restores),
        "etag": facts.etag,
        "s3_arn": restores[-1]["s3_arn"],
        "backup": restores[-1]["backup"],
        "restores": restores,
        "source_database": source_database,
        "source_database_from": source_from,
    }


def find_uploaded_object(uploaded: UploadedObject, bucket: BucketReader) -> ObjectFacts:
    """The uploaded object version, under the key S3 really has (see candidate_keys)."""
    for key in uploaded.candidate_keys():
        database_name_from_key(key)  # reject folders and other suffixes before any call
        facts = bucket.head(uploaded.bucket, key, uploaded.version_id)
        if facts is not None:
            return facts
    raise InvalidBackupObject(
        f"s3://{uploaded.bucket}/{uploaded.key} (version {uploaded.version_id or '-'}) "
        "no longer exists",
        code="BACKUP_OBJECT_MISSING",
    )


def _check_size(size: int, where: str) -> None:
    if size == 0:
        raise InvalidBackupObject(f"{where} is empty", code="EMPTY_BACKUP_OBJECT")
    if size > MAX_RESTORE_FILE_BYTES:
        raise InvalidBackupObject(
            f"{where} has {size} bytes, more than 5 TB", code="BACKUP_TOO_LARGE"
        )


def _every_stripe(finder: BackupFinder, found: FoundBackup, execution_name: str) -> StripeSet:
    """The uploaded file's whole backup set, or end this execution quietly: stripes are
    missing, or this is the execution that waits for them (bak2rds.naming)."""
    files = finder.stripes_of(found)
    header, folder = found.header, f"s3://{finder.bucket}/{folder_of(found.key)}"
    described = (
        f"s3://{finder.bucket}/{found.key} is stripe {header.family_sequence_number} of "
        f"{header.family_count} of a {header.backup_type.lower()} backup of "
        f"{header.database_name!r}"
    )
    if files.missing:
        missing = ", ".join(str(n) for n in files.missing)
        raise StripeSetIncomplete(
            f"waiting for stripe {files.missing[0]} of {files.family_count}: {described}, and "
            f"stripe(s) {missing} are not in {folder} yet. Upload them there; the upload of "
            "the last one starts the migration"
        )
    if is_waiting_for_stripes(execution_name):
        raise StripeSetIncomplete(
            f"{described}; all {files.family_count} stripes are in {folder} now, so the "
            "migration runs in the execution the last stripe's upload started"
        )
    return files


def _planned(
    finder: BackupFinder, files: StripeSet, partition: str, with_norecovery: bool
) -> PlannedRestore:
    for found in files.files:
        _check_size(found.size, f"s3://{finder.bucket}/{found.key}")
    header: BackupHeader = files.header
    backup: BackupFacts = facts_of(header)
    return _restore(
        "DIFFERENTIAL" if header.backup_type == "DIFFERENTIAL" else "FULL",
        finder.restore_arn(files, partition),
        files.keys,
        files.size,
        with_norecovery,
        backup,
    )


def _restore(
    restore_type: Literal["FULL", "DIFFERENTIAL"],
    s3_arn: str,
    keys: list[str],
    size: int,
    with_norecovery: bool,
    backup: BackupFacts,
) -> PlannedRestore:
    return {
        "restore_type": restore_type,
        "s3_arn": s3_arn,
        "keys": keys,
        "size_bytes": size,
        "with_norecovery": with_norecovery,
        "backup": backup,
    }


def _agreed_override(
    bucket: BucketReader, bucket_name: str, uploaded: ObjectFacts, files: StripeSet
) -> str | None:
    """The ``database-name`` metadata of a striped set: on any of its files, and the same
    on every file that has it."""
    names: dict[str, str] = {}
    for key in files.keys:
        facts = uploaded if key == uploaded.key else bucket.head(bucket_name, key, "")
        name = facts.metadata.get(DATABASE_NAME_METADATA) if facts is not None else None
        if name is not None:
            names[key] = name
    if len(set(names.values())) > 1:
        shown = ", ".join(f"{key}={name!r}" for key, name in names.items())
        raise InvalidDatabaseName(
            f"the stripes' {DATABASE_NAME_METADATA} metadata disagree ({shown}); give every "
            "stripe the same name, or only one of them"
        )
    return next(iter(names.values()), None)


def _source_database(name: str, where: str) -> str:
    """A source database name from metadata: any name SQL Server takes (sysname), nothing
    that cannot be one (empty, too long, control characters)."""
    if not name or len(name) > 128 or any(ord(ch) < 32 for ch in name):
        raise InvalidDatabaseName(
            f"{where}: metadata {SOURCE_DATABASE_METADATA}={name[:140]!r} is not a SQL Server "
            "database name (1 to 128 characters, no control characters)"
        )
    return name

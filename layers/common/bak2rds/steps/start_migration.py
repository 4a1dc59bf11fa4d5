"""Start Migration: one execution per uploaded object version, named so people can read it.

Three exceptions to "one per version", each so that a duplicate maps to the same name:
* a key under ``staged/`` starts nothing: it is a base a differential will find;
* every stripe of a striped set maps to one name, derived from the folder, the media set and
  the backup set, once the set is complete: the last stripe's event starts it and the others'
  (and a stripe uploaded again) are duplicates. The same set migrates again only from
  another folder;
* while stripes are missing, every stripe's event maps to the set's one ``-waiting`` name:
  that execution says what is missing (one e-mail per set) and ends without restoring.
Anything that is not a readable striped backup is named as one object version; Read Backup
Object decides whether it is usable.
"""

from __future__ import annotations

from typing import Any

from bak2rds.adapters.stepfunctions import StateMachine
from bak2rds.backupfile import HEADER_READ_BYTES, NotASqlServerBackup, read_backup_header
from bak2rds.backupset import BackupFinder, BucketReader, FoundBackup, folder_of, is_staged
from bak2rds.errors import AwsAccessDenied, InvalidBackupObject, UnusableBackup
from bak2rds.models import StartedMigration
from bak2rds.naming import execution_name, object_fingerprint, stripe_set_execution_name
from bak2rds.observability import logger
from bak2rds.s3event import UploadedObject, parse_object_created
from bak2rds.steps.read_backup_object import find_uploaded_object


def run(
    event: dict[str, Any], state_machine: StateMachine, bucket: BucketReader
) -> StartedMigration:
    uploaded = parse_object_created(event)
    if any(is_staged(key) for key in uploaded.candidate_keys()):
        return {"execution_name": "", "execution_arn": "", "duplicate": False, "staged": True}
    name = _striped_set_name(uploaded, bucket) or execution_name(
        uploaded.key, object_fingerprint(uploaded.bucket, uploaded.key, uploaded.identity)
    )
    # The execution gets the event as it came: Read Backup Object validates it.
    arn, duplicate = state_machine.start_once(name, event)
    return {"execution_name": name, "execution_arn": arn, "duplicate": duplicate, "staged": False}


def _striped_set_name(uploaded: UploadedObject, bucket: BucketReader) -> str | None:
    """The set's name for a stripe; None for anything else, and where S3 refuses access or
    the object is gone (the execution then says so). A transient S3 error raises: Lambda
    tries the event again."""
    try:
        facts = find_uploaded_object(uploaded, bucket)
        if facts.size == 0:
            return None
        start = bucket.read_start(
            uploaded.bucket, facts.key, facts.version_id, min(facts.size, HEADER_READ_BYTES)
        )
        header = read_backup_header(start)
    except (InvalidBackupObject, NotASqlServerBackup):
        return None
    except AwsAccessDenied as denied:
        logger.warning("Header not readable: named as one object", extra={"error": str(denied)})
        return None
    if header.family_count == 1:
        return None
    try:
        files = BackupFinder(bucket, uploaded.bucket).stripes_of(
            FoundBackup(facts.key, facts.size, header)
        )
        complete = not files.missing
    except UnusableBackup:  # Read Backup Object says why, once for the whole set
        complete = True
    identity = f"{header.media_set_id}\n{header.backup_set_id}" + ("" if complete else "\nwaiting")
    fingerprint = object_fingerprint(uploaded.bucket, folder_of(facts.key), identity)
    return stripe_set_execution_name(header.database_name, fingerprint, complete=complete)

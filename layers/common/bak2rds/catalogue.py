"""The error catalogue: every stable code a user can meet, its cause and what to do.

Data only. The exception classes that carry these codes are in ``bak2rds.errors``; the README's
error table is generated from here (``make catalogue``; tests/unit/test_errors.py fails when
they differ).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    cause: str
    action: str


_ENTRIES = (
    # The object that was dropped
    CatalogueEntry(
        "INVALID_EVENT",
        "The start event does not describe an S3 object (bucket, key) in the staging bucket.",
        "Start migrations by uploading a .bak; do not start the state machine by hand.",
    ),
    CatalogueEntry(
        "NOT_A_BAK_FILE",
        "The object key does not end in .bak, or names a folder.",
        "Upload a full native backup named <DatabaseName>.bak.",
    ),
    CatalogueEntry(
        "INVALID_DATABASE_NAME",
        "The database name taken from the key (or the database-name metadata) is not one "
        "SQL Server on RDS accepts.",
        "Rename the object to <DatabaseName>.bak using letters, digits and _ @ # $ - . only, "
        "at most 128 characters, not a reserved word, or set the database-name metadata.",
    ),
    CatalogueEntry(
        "EMPTY_BACKUP_OBJECT",
        "The uploaded object is empty.",
        "Upload the backup again and check the copy finished.",
    ),
    CatalogueEntry(
        "BACKUP_OBJECT_MISSING",
        "The uploaded object version no longer exists in the bucket.",
        "Upload the backup again; bak2rds never deletes uploads, so check lifecycle rules.",
    ),
    CatalogueEntry(
        "BACKUP_OBJECT_SUPERSEDED",
        "A newer version of the object was uploaded; RDS restores the newest version of a "
        "key, so this migration stops and the newer upload's migration carries on.",
        "Nothing: follow the migration of the newer upload.",
    ),
    CatalogueEntry(
        "BACKUP_TOO_LARGE",
        "The file is larger than 5 TB, the most RDS restores from one file.",
        "Take it striped: BACKUP DATABASE ... TO DISK = 'db_1.bak', DISK = 'db_2.bak', ... "
        "(up to 10 files of at most 5 TB each), then drop every file into one folder.",
    ),
    # What the backup's own header says (read before anything runs on the target)
    CatalogueEntry(
        "NOT_A_SQL_SERVER_BACKUP",
        "The object is not a SQL Server native backup (the message says what it looks like).",
        "Upload the .bak written by BACKUP DATABASE ... TO DISK or TO URL, not an export, "
        "archive or script.",
    ),
    CatalogueEntry(
        "UNSUPPORTED_BACKUP_TYPE",
        "The backup is a transaction log backup; bak2rds restores a full backup, or a full "
        "and a differential, and DMS replays the log from there.",
        "Upload a full backup, or park the full under staged/ and upload a differential; "
        "keep the log backups on the source, where DMS reads the log.",
    ),
    CatalogueEntry(
        "PASSWORD_PROTECTED_BACKUP",
        "The backup was taken WITH PASSWORD or MEDIAPASSWORD, which RDS cannot restore.",
        "Take the backup again without a password (encrypt it with S3 or KMS instead).",
    ),
    CatalogueEntry(
        "TOO_MANY_STRIPES",
        "The backup is striped over more than 10 files; RDS restores from at most 10.",
        "Take the backup again over at most 10 files (each at most 5 TB).",
    ),
    CatalogueEntry(
        "STRIPE_SET_AMBIGUOUS",
        "RDS restores a striped backup from '<the stripes' common prefix>*', and that prefix "
        "also matches other objects (or the stripes have no prefix in common).",
        "Put the stripes alone in a folder of their own, named with a common prefix "
        "(Sales_1.bak ... Sales_4.bak), and upload them again.",
    ),
    CatalogueEntry(
        "STRIPES_MISSING",
        "Not every stripe of the striped backup is in the bucket yet; nothing was restored.",
        "Upload the missing stripes into the same folder: the migration starts when the last "
        "one arrives.",
    ),
    CatalogueEntry(
        "BASE_BACKUP_MISSING",
        "The differential's base (the full backup whose checkpoint LSN and backup set it "
        "names) is not under staged/ nor in the differential's folder; nothing was restored.",
        "Upload that full backup (every stripe of it) under staged/, where it starts "
        "nothing, then upload the differential again. A copy-only full is never a base.",
    ),
    CatalogueEntry(
        "BACKUP_TOO_OLD",
        "The backup was taken by a SQL Server version older than the RDS engine can restore.",
        "Restore it on an intermediate SQL Server version first, back it up there, and "
        "upload that backup.",
    ),
    CatalogueEntry(
        "BACKUP_LSN_MISMATCH",
        "msdb's record of the restored backup does not match the header of the uploaded "
        "file, so the CDC start point cannot be trusted.",
        "Check that no one restored another backup over the database; drop it yourself "
        "and upload the backup again.",
    ),
    # The target RDS instance
    CatalogueEntry(
        "TARGET_NOT_FOUND",
        "The configured RDS instance does not exist in this account and region.",
        "Check the RdsInstanceIdentifier parameter of the stack.",
    ),
    CatalogueEntry(
        "TARGET_NOT_SQLSERVER",
        "The configured RDS instance is not RDS for SQL Server.",
        "Point RdsInstanceIdentifier at an RDS for SQL Server instance.",
    ),
    CatalogueEntry(
        "TARGET_NOT_AVAILABLE",
        "The RDS instance is not in the available state.",
        "Wait until the instance is available (no modification or maintenance running), "
        "then upload the backup again.",
    ),
    CatalogueEntry(
        "DATABASE_EXISTS",
        "A database with this name already exists on the RDS instance; bak2rds never "
        "replaces a database.",
        "Drop or rename the existing database yourself if it is not needed, or upload the "
        "backup under another name.",
    ),
    CatalogueEntry(
        "RESTORE_ALREADY_RUNNING",
        "Another restore task for this database is already queued or running.",
        "Wait for that task to finish (msdb.dbo.rds_task_status) before uploading again.",
    ),
    CatalogueEntry(
        "SQL_LOGIN_FAILED",
        "SQL Server refused the login with the master-user secret.",
        "Check the secret named by RdsMasterUserSecretArn holds the current master user "
        "name and password.",
    ),
    CatalogueEntry(
        "SQL_PERMISSION_DENIED",
        "The master user lacks a permission the restore procedures need.",
        "Use the RDS master user, not a restricted login.",
    ),
    CatalogueEntry(
        "SECRET_UNREADABLE",
        "The master-user secret could not be read, or is not JSON with username and password.",
        "Check RdsMasterUserSecretArn and that the functions may read it (and its KMS key).",
    ),
    # The restore task (texts from msdb.dbo.rds_task_status task_info)
    CatalogueEntry(
        "RESTORE_OPTION_MISSING",
        "The instance's option group lacks SQLSERVER_BACKUP_RESTORE, so the RDS restore "
        "procedures are missing.",
        "Add the SQLSERVER_BACKUP_RESTORE option with the stack's RdsRestoreRoleArn to the "
        "instance's option group.",
    ),
    CatalogueEntry(
        "RESTORE_ACCESS_DENIED",
        "RDS could not read the backup from S3 (access denied).",
        "Give the IAM role of the SQLSERVER_BACKUP_RESTORE option s3:GetObject and "
        "s3:ListBucket on the staging bucket (the stack's RdsRestoreRoleArn has them).",
    ),
    CatalogueEntry(
        "RESTORE_KMS_KEY",
        "RDS could not use the KMS key of the backup (missing, disabled or not allowed).",
        "Check BackupKmsKeyArn and that the option's IAM role may use kms:Decrypt on it.",
    ),
    CatalogueEntry(
        "RESTORE_BUCKET_REGION",
        "The staging bucket is in another region than the RDS instance.",
        "Use a staging bucket in the instance's region.",
    ),
    CatalogueEntry(
        "RESTORE_TOO_MANY_FILES",
        "The backup is split into more than 10 files, the most RDS restores.",
        "Take the backup again into at most 10 files.",
    ),
    CatalogueEntry(
        "RESTORE_NO_SPACE",
        "The RDS instance does not have enough free storage for the database.",
        "Increase the instance's allocated storage, then upload the backup again.",
    ),
    CatalogueEntry(
        "RESTORE_BACKUP_TOO_NEW",
        "The backup was taken by a newer SQL Server version than the RDS engine.",
        "Upgrade the RDS engine version or take the backup from a matching version.",
    ),
    CatalogueEntry(
        "RESTORE_BACKUP_UNREADABLE",
        "SQL Server could not read the file as a valid backup set.",
        "Check the file is a complete native full backup (not compressed by a third-party "
        "tool, not truncated) and upload it again.",
    ),
    CatalogueEntry(
        "RESTORE_FAILED",
        "The RDS restore task ended in ERROR.",
        "Read task_info in the message; fix the cause and upload the backup again.",
    ),
    CatalogueEntry(
        "RESTORE_CANCELLED",
        "The RDS restore task was cancelled.",
        "If that was not intended, upload the backup again.",
    ),
    CatalogueEntry(
        "RESTORE_HISTORY_MISSING",
        "msdb has no restore history for the database just restored, so the CDC start "
        "LSN cannot be derived.",
        "Check msdb.dbo.restorehistory on the instance; open an issue with the task id.",
    ),
    CatalogueEntry(
        "TARGET_DATABASE_MISSING",
        "The restored database cannot be opened on the RDS instance any more (dropped, "
        "renamed or taken offline while the migration ran).",
        "Find out who changed it (the instance's SQL Server error log). To migrate again, "
        "drop what is left of it and upload the backup again.",
    ),
    CatalogueEntry(
        "KEYLESS_TABLES",
        "Tables in the CDC's scope have neither a primary key nor a unique index: DMS cannot "
        "match a replayed change to its row, so replayed inserts would duplicate rows and "
        "their LOB columns are not replicated. Nothing was changed on the restored copy and "
        "no DMS task was started.",
        "Add a primary key to each table on the source (before the backup) and migrate "
        "again, or set KeylessTables to exclude: they are then left out of CDC and stay as "
        "they were in the backup. The restored copy is kept: drop it before migrating again.",
    ),
    # CDC with DMS
    CatalogueEntry(
        "DMS_ENDPOINT_MISMATCH",
        "The database DMS reads on the source is not the one the restored backup was taken "
        "of (msdb's restore history names another).",
        "Upload the backup again with metadata source-database set to the database the "
        "backup was taken of; the restored copy is kept, drop it first.",
    ),
    CatalogueEntry(
        "DMS_SOURCE_UNREACHABLE",
        "DMS's connection test from the replication instance to the source SQL Server failed.",
        "Read DMS's message. Check the route and security groups from the replication "
        "instance to the server and port in the source secret, the login and password in it, "
        "that the database exists on that server (the backup's own database, or the object's "
        "metadata source-database; a compressed backup without it uses the database name), "
        "and the SSL mode (require needs the server to accept "
        "encryption). The restore, if it started, goes on: the RDS copy is kept.",
    ),
    CatalogueEntry(
        "DMS_TARGET_UNREACHABLE",
        "DMS's connection test from the replication instance to the restored database on "
        "RDS failed.",
        "Read DMS's message. Check the instance's security group admits the replication "
        "instance, that the target secret's host and port are the instance's endpoint and its "
        "login can open the restored database, and the SSL mode.",
    ),
    CatalogueEntry(
        "DMS_REQUEST_REJECTED",
        "DMS rejected a request: to create this migration's endpoints or CDC task, to start "
        "the task, or to delete them after the cutover; or a resource with this migration's "
        "name was not made by it.",
        "Read the DMS message; check the replication instance is available, the table "
        "mappings, and that nothing else uses the bak2rds-<execution> names.",
    ),
    CatalogueEntry(
        "DMS_TASK_FAILED",
        "The DMS CDC task failed.",
        "Read the stop reason and the task's CloudWatch log; check the source prerequisites "
        "in the README (FULL recovery; an MS-Replication publication on every replicated "
        "table, as MS-CDC alone is not enough for a native start point; log backups kept).",
    ),
    CatalogueEntry(
        "DMS_ASSESSMENT_FAILED",
        "DMS's premigration assessment of the CDC task failed checks on the source (CDC "
        "permissions, recovery model, backups, MS-Replication, unsupported objects).",
        "Read each failed check's result in the staging bucket under assessments/ (the "
        "message names the folder), fix the source, and migrate again; the restored copy is "
        "kept, drop it first. PremigrationAssessment = off skips the assessment (at your risk).",
    ),
    CatalogueEntry(
        "DMS_TABLE_SUSPENDED",
        'The DMS task runs, but DMS stopped replicating some tables (table state "Table '
        'error"): their changes no longer reach the RDS copy.',
        "Read the task's CloudWatch log for the tables named; fix the cause on the target "
        "(a dropped or altered table, permissions) and reload or migrate them again. The "
        "other tables were replicating; the task is left as it is.",
    ),
    CatalogueEntry(
        "DMS_START_POSITION_UNAVAILABLE",
        "DMS cannot read the source's log from the CDC start LSN: the log was truncated or "
        "its log backups are gone, encrypted, striped or not on disk.",
        "Take a new full backup and migrate again; keep the log (and native, unencrypted, "
        "unstriped log backups on disk) on the source from that backup until CDC has caught "
        "up. The restored copy is kept: drop it first.",
    ),
    CatalogueEntry(
        "DMS_TASK_STOPPED",
        "The DMS CDC task stopped before it caught up.",
        "If someone stopped it on purpose, resume it in the DMS console; bak2rds does not "
        "restart a task it did not stop.",
    ),
    # An execution that ended without a failure e-mail of its own (Alert sends one)
    CatalogueEntry(
        "EXECUTION_ABORTED",
        "Someone stopped the migration's execution (StopExecution or the console); it did "
        "nothing more, and undid nothing.",
        "What it had started goes on: a restore task on RDS runs to its end, the DMS task "
        "bak2rds-<execution> keeps running (and costing) until you stop and delete it with "
        "its two endpoints, and triggers and foreign keys Prepare Target switched off stay "
        "off (the README's query lists them). To start over, drop the restored database and "
        "upload the backup again.",
    ),
    CatalogueEntry(
        "EXECUTION_TIMED_OUT",
        "The migration's execution ran past the time limit of a Step Functions standard "
        "workflow (one year) and was ended by Step Functions.",
        "As for EXECUTION_ABORTED: stop and delete the DMS task bak2rds-<execution> and its "
        "endpoints if they remain, then migrate again.",
    ),
    # Cutover approval and the cutover itself
    CatalogueEntry(
        "APPROVAL_EXPIRED",
        "Nobody approved or rejected the cutover before the approval links expired "
        "(ApprovalTimeoutSeconds); the DMS task is left running and keeps the RDS copy "
        "caught up.",
        "Cut over by hand (stop writes to the source, wait until CDCLatencySource and "
        "CDCLatencyTarget are near 0, stop the DMS task bak2rds-<execution>), or stop the DMS "
        "task to give up; nothing was dropped.",
    ),
    CatalogueEntry(
        "APPROVAL_KEY_UNREADABLE",
        "The approval-link signing key could not be read from Secrets Manager, or is too short.",
        "Check the stack's ApprovalSigningKey secret holds its generated value and redeploy "
        "the stack unchanged. The DMS task keeps running: cut over by hand, or stop it.",
    ),
    CatalogueEntry(
        "CUTOVER_NOT_DRAINED",
        "After the cutover was approved, CDC latency did not fall to the cutover threshold "
        "(CutoverMaxLatencySeconds) within CutoverDrainTimeoutMinutes: changes are still "
        "arriving at the source. The DMS task is still running.",
        "Stop every write to the source database, wait until CDCLatencySource and "
        "CDCLatencyTarget are near 0, then stop the DMS task bak2rds-<execution> yourself.",
    ),
    CatalogueEntry(
        "DMS_STOP_FAILED",
        "DMS did not stop the CDC task at the end of the migration.",
        "Stop the task bak2rds-<execution> in the DMS console; the RDS database is kept.",
    ),
    # Anything
    CatalogueEntry(
        "AWS_ACCESS_DENIED",
        "A bak2rds function was denied an AWS API call.",
        "Redeploy the stack unchanged; if the error remains, open an issue with the message.",
    ),
    CatalogueEntry(
        "CONFIGURATION_INVALID",
        "A stack parameter is missing or invalid.",
        "Fix the parameter named in the message and redeploy.",
    ),
    CatalogueEntry(
        "DEPENDENCY_UNAVAILABLE",
        "A dependency (SQL Server, S3, RDS, DMS, CloudWatch, SNS) stayed unavailable "
        "through every retry.",
        "Check the service and the network path, then upload the backup again.",
    ),
    CatalogueEntry(
        "STEP_TIMED_OUT",
        "A step of the state machine timed out.",
        "Check the function's logs for the execution; upload the backup again.",
    ),
    CatalogueEntry(
        "INTERNAL_ERROR",
        "bak2rds met an error it does not know.",
        "Open an issue with the execution's error and cause.",
    ),
)

CATALOGUE: dict[str, CatalogueEntry] = {entry.code: entry for entry in _ENTRIES}


def markdown_table() -> str:
    """The README's error table: one row per code, in catalogue order."""
    rows = ["| Code | Cause | What to do |", "|---|---|---|"]
    rows += [f"| `{e.code}` | {e.cause} | {e.action} |" for e in _ENTRIES]
    return "\n".join(rows) + "\n"

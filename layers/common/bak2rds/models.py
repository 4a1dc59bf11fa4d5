"""The execution state, described once: what each state adds and what each handler is given.

The state machine's input is the S3 event; ``Read Backup Object`` replaces it with
``{"migration": ...}`` and every later Task adds its result under one key (its ``ResultPath``):
``target``, ``restore``, ``start_lsn``, ``target_prep``, ``cdc``, ``approval``, ``final_sync``,
``cdc_stop``, ``target_restore``, and
on the failure path ``failure``. ``MigrationState`` is that whole document; the ``*Payload``
types are the ``Parameters`` each Task passes its function (tests/unit/test_models.py checks
both against the ASL and every sample in ``events/``).

TypedDicts cost nothing at import (the handlers' cold start) and are the JSON Step Functions
passes, so a handler returns them as they are. (No ``from __future__ import annotations``
here: TypedDict reads ``NotRequired`` from evaluated annotations only.)
"""

from typing import Any, Literal, NotRequired, TypedDict, final

# --------------------------------------------------------------- what each state adds


class BackupFacts(TypedDict):
    """What the backup's own header says (``bak2rds.preflight.inspect_backup``).

    A compressed backup's header is not read: then only ``header_read`` (False) and
    ``compressed`` (True) are present.
    """

    header_read: bool
    compressed: bool
    backup_type: NotRequired[str]
    source_database: NotRequired[str]
    source_server: NotRequired[str]
    sql_version: NotRequired[str]  # "15.0"
    sql_build: NotRequired[str]  # "15.0.2000"
    first_lsn: NotRequired[str | None]  # DMS form, 00000014:000000f3:0001
    checkpoint_lsn: NotRequired[str | None]
    last_lsn: NotRequired[str | None]
    database_backup_lsn: NotRequired[str | None]
    backup_set_id: NotRequired[str]
    family_count: NotRequired[int]  # files the backup is striped over; 1 when it is not


class PlannedRestore(TypedDict):
    """One ``rds_restore_database`` call of the migration, in order."""

    restore_type: Literal["FULL", "DIFFERENTIAL"]
    s3_arn: str  # the object, or "<prefix>*" for every file of a striped set
    keys: list[str]
    size_bytes: int
    with_norecovery: bool  # a full that a differential follows stays RESTORING
    backup: BackupFacts


class Migration(TypedDict):
    """Read Backup Object: the uploaded object, the database it becomes, what RDS restores.

    ``key``/``version_id``/``etag`` are the object whose upload started the migration;
    ``s3_arn`` and ``backup`` are the last restore's (the backup CDC starts from), and
    ``size_bytes`` is every restored file's. ``restores`` is one full, or a full restored
    NORECOVERY then a differential (bak2rds.backupset).
    """

    database_name: str
    database_name_from: Literal["key", "metadata", "header"]
    bucket: str
    key: str
    version_id: str | None
    size_bytes: int
    etag: str
    s3_arn: str
    backup: BackupFacts
    restores: list[PlannedRestore]
    # The database DMS reads on the source server: the header's, or x-amz-meta-source-database,
    # or (a compressed backup without that metadata) the target's name.
    source_database: str
    source_database_from: Literal["header", "metadata", "database name"]


class Target(TypedDict):
    """Check Target: the RDS for SQL Server instance the backup is restored into."""

    instance_id: str
    host: str
    port: int
    engine: str
    engine_version: str
    free_storage_bytes: int


class Restore(TypedDict):
    """Start Restore, then each Check Restore: the RDS restore task."""

    task_id: int
    lifecycle: str
    percent_complete: int
    reused_existing_task: bool
    started_at: str
    wait_seconds: int
    elapsed_seconds: NotRequired[int]
    succeeded: NotRequired[bool]
    # RDS runs two backup/restore tasks at a time; later ones wait in CREATED, queued.
    queued: NotRequired[bool]
    tasks_ahead: NotRequired[int]  # tasks running on the instance while this one waits
    step: NotRequired[int]  # which of migration.restores the task restores (0: the first)
    steps: NotRequired[int]  # how many there are: 1, or 2 for a full + differential


class BackupLsns(TypedDict):
    first_lsn: str
    checkpoint_lsn: str
    last_lsn: str


class StartLsn(TypedDict):
    """Derive Start LSN: where DMS starts reading the source's log."""

    strategy: str
    numeric: str  # msdb's numeric(25,0) form, as text
    dms: str  # DMS's form, 00000014:000000f3:0001
    backup: BackupLsns
    source_database: str
    backup_finished_at: str | None


class ExcludedTable(TypedDict):
    schema: str
    table: str


class TargetPrep(TypedDict):
    """Prepare Target: what bak2rds switched off on the restored copy, and what CDC leaves
    out. The objects themselves carry the record (bak2rds.adapters.restored_database)."""

    prepared_at: str
    triggers_off: int
    foreign_keys_off: int
    keyless_policy: Literal["fail", "exclude"]
    excluded_tables: list[ExcludedTable]  # keyless tables, with KeylessTables = exclude


class FailedCheck(TypedDict):
    foreign_key: str  # [FK_Orders_Customers] on [dbo].[Orders]
    reason: str


class TargetRestore(TypedDict):
    """Restore Triggers And Keys, each look: what is switched back on as it was restored."""

    started_at: str
    triggers_on: int
    foreign_keys_on: int
    failed_checks: list[FailedCheck]  # the first few, left NOCHECK
    failed_count: int
    done: bool


class UnmappedUser(TypedDict):
    user: str
    windows: bool
    fix: list[str]  # the statements a DBA runs (bak2rds creates no login)


class Logins(TypedDict):
    """Check Logins: the restored database's users that no login of the instance maps to."""

    checked_at: str
    count: int
    unmapped_users: list[UnmappedUser]  # the first few


class DmsResources(TypedDict):
    """Create DMS Endpoints: this migration's endpoints, made during the restore."""

    replication_instance_arn: str
    source_endpoint_arn: str
    source_endpoint_id: str
    source_database: str
    target_endpoint_arn: str
    target_endpoint_id: str
    target_database: str


class AssessmentNote(TypedDict):
    name: str  # an individual assessment, or "assessment run" for the run itself
    status: str  # DMS's: skipped, error, warning, error-provisioning, ...


class Assessment(TypedDict):
    """Assess CDC Task: DMS's premigration assessment of the task, run during the restore."""

    enabled: bool
    status: str  # the run's (or "off", "waiting for the task")
    started_at: str
    done: bool
    wait_seconds: int
    run_arn: NotRequired[str]
    included: NotRequired[list[str]]
    notes: NotRequired[list[AssessmentNote]]  # not passed, not failed: told in the e-mail
    results: NotRequired[str]  # s3://bucket/assessments/<execution>/


class ConnectionCheck(TypedDict):
    """Test Source Connection / Test Target Connection: one endpoint's connection test."""

    role: Literal["source", "target"]
    endpoint_id: str
    status: str  # DMS's: testing, successful (failed raises)
    started_at: str
    successful: bool
    wait_seconds: int


class DmsCleanup(TypedDict):
    """Remove DMS Resources: this migration's task and endpoints, deleted after the cutover."""

    started_at: str
    task_gone: bool
    endpoints_deleted: list[str]
    done: bool
    wait_seconds: int


class IdentityBehind(TypedDict):
    """An identity column whose next value could collide with a row DMS applied."""

    table: str  # [schema].[table]
    column: str
    current: str | None  # IDENT_CURRENT before (None: never generated)
    highest: str  # MAX (MIN for a negative increment) of the column
    reseeded: bool  # set to ``highest`` (parameter ReseedIdentities)
    fix: str  # the DBCC CHECKIDENT a DBA runs when bak2rds did not


class SequenceState(TypedDict):
    sequence: str  # [schema].[name]
    current_value: str | None


class Identities(TypedDict):
    """Check Identities, after the drain: identity columns behind their rows, and sequences."""

    checked_at: str
    columns: int  # identity columns in the database
    checked: int  # of them, compared with their rows (all unless the time ran out)
    behind: list[IdentityBehind]  # at most 50
    behind_count: int
    reseed: bool
    sequences: list[SequenceState]  # at most 50
    sequence_count: int
    compare_query: str  # run on the source, to compare its sequences with these


class AppliedException(TypedDict):
    # No STATEMENT: it carries the application's row values, which a report must not spread
    table: str  # [schema].[table]
    error_time: str
    error: str  # the first 500 characters


class AppliedExceptions(TypedDict):
    """Read Apply Exceptions: DMS's awsdms_apply_exceptions rows of this task on RDS."""

    checked_at: str
    table_found: bool
    count: int
    recent: list[AppliedException]  # the latest 20


class TableValidation(TypedDict):
    """One table of the CDC task, from DescribeTableStatistics."""

    table: str  # [schema].[table]
    changes: int  # inserts + updates + deletes DMS performed on it
    state: str  # ValidationState: "Validated", "Pending records", "Mismatched records", ...
    failed: int  # ValidationFailedRecords: source and target disagree
    pending: int  # ValidationPendingRecords
    suspended: int  # ValidationSuspendedRecords: could not be validated


class Validation(TypedDict):
    """DMS data validation of the CDC task's tables (bak2rds.validation)."""

    enabled: bool
    measured_at: str
    tables: list[TableValidation]  # at most 50: failed, suspended, pending records first
    table_count: int
    failed_records: int
    pending_records: int
    suspended_records: int
    unfinished_tables: int  # tables whose validation has not finished


class Cdc(TypedDict):
    """Create CDC Task, Start CDC Task, then each Check CDC: the DMS task and its latency."""

    task_arn: str
    task_id: str
    replication_instance_id: str
    status: str
    started: NotRequired[bool]
    preparing_since: NotRequired[str]
    wait_seconds: NotRequired[int]
    checked_at: NotRequired[str]
    latency_source_seconds: NotRequired[float | None]
    latency_target_seconds: NotRequired[float | None]
    latency_seconds: NotRequired[float | None]
    good_checks: NotRequired[int]
    ready: NotRequired[bool]
    tables: NotRequired[int]  # tables the running task replicates (DescribeTableStatistics)
    running_since: NotRequired[str]  # the first check that found the task running
    validation: NotRequired[Validation]  # the check that found CDC caught up


class ApprovalRequest(TypedDict):
    """Set Approval Timeout (a Pass state): the approval task's timeout."""

    timeout_seconds: int


class DecidedBy(TypedDict):
    """Who decided the cutover and when, as the approval API saw them."""

    at: str
    source_ip: str
    user_agent: str
    approval_id: str


@final  # so that "decided" in state["approval"] tells it from a CaughtError
class Approval(TypedDict):
    """Request Cutover Approval's result (approve) or Record Rejection's (reject)."""

    decision: Literal["approved", "rejected"]
    decided: DecidedBy
    cdc_latency_seconds: NotRequired[float | None]
    validation: NotRequired[Validation]  # DMS validation as Approve read it


class FinalSync(TypedDict):
    """Check Final Sync: after approval, has CDC drained?"""

    started_at: str
    checked_at: str
    status: str
    latency_seconds: float | None
    good_checks: int
    drained: bool
    wait_seconds: int
    validation: NotRequired[Validation]  # as the drain ended


class CdcStop(TypedDict):
    """Stop CDC Task: the DMS task on its way to stopped."""

    task_arn: str
    task_id: str
    status: str
    stopped: bool
    requested_at: str | None
    wait_seconds: int


class ReportWritten(TypedDict):
    """Write Cutover Report: where the report is (bak2rds.report)."""

    bucket: str
    json_key: str
    html_key: str
    written_at: str


@final
class CaughtError(TypedDict):
    """What a Catch puts in the state (``ResultPath: $.failure``)."""

    Error: str
    Cause: str


class Notice(TypedDict):
    """Notify's answer on the failure and expiry paths: what the Fail state reports."""

    message_id: str
    code: str
    cause: str


class MigrationState(TypedDict):
    """The whole execution state, from Read Backup Object on."""

    migration: Migration
    target: NotRequired[Target]
    restore: NotRequired[Restore]
    dms: NotRequired[DmsResources]
    source_connection: NotRequired[ConnectionCheck]
    assessment: NotRequired[Assessment]
    target_connection: NotRequired[ConnectionCheck]
    start_lsn: NotRequired[StartLsn]
    target_prep: NotRequired[TargetPrep]
    cdc: NotRequired[Cdc]
    logins: NotRequired[Logins]
    approval_request: NotRequired[ApprovalRequest]
    # The decision; on the expiry path, the Catch's error (ResultPath $.approval) instead.
    approval: NotRequired[Approval | CaughtError]
    final_sync: NotRequired[FinalSync]
    cdc_stop: NotRequired[CdcStop]
    target_restore: NotRequired[TargetRestore]
    target_restore_failure: NotRequired[CaughtError]  # the cutover stands; the e-mail says so
    identities: NotRequired[Identities]
    identities_failure: NotRequired[CaughtError]  # the cutover stands; the e-mail says so
    apply_exceptions: NotRequired[AppliedExceptions]
    apply_exceptions_failure: NotRequired[CaughtError]  # the report says so
    dms_cleanup: NotRequired[DmsCleanup]
    dms_cleanup_failure: NotRequired[CaughtError]  # the cutover stands; the e-mail says so
    report: NotRequired[ReportWritten]
    report_failure: NotRequired[CaughtError]  # the cutover stands; the e-mail says so
    failure: NotRequired[CaughtError]
    failure_notice: NotRequired[Notice]
    expiry_notice: NotRequired[Notice]


# ----------------------------------------------------------- the cutover report


class ReportExecution(TypedDict):
    arn: str
    console: str


class ReportDecision(TypedDict):
    decision: str  # approved, rejected
    at: str | None
    source_ip: str | None
    user_agent: str | None
    cdc_latency_seconds: float | None


class ReportBackup(TypedDict):
    bucket: str
    key: str  # the object whose upload started the migration
    version_id: str | None
    etag: str | None
    size_bytes: int
    header: BackupFacts
    restores: list[PlannedRestore]


class ReportDurations(TypedDict):
    restore_seconds: int | None
    catch_up_seconds: int | None  # the DMS task running until CDC was found caught up
    final_sync_seconds: int | None  # Approve until CDC had drained


class ReportDms(TypedDict):
    task_id: str | None
    task_arn: str | None
    final_latency_seconds: float | None
    stopped: str | None
    cleanup: DmsCleanup | None
    validation: Validation | None
    apply_exceptions: AppliedExceptions | None


class ReportTarget(TypedDict):
    prepared: TargetPrep | None
    triggers_and_keys: TargetRestore | None
    triggers_and_keys_failure: CaughtError | None
    logins: Logins | None
    identities: Identities | None
    identities_failure: CaughtError | None


class CutoverReport(TypedDict):
    """The JSON report of one cutover or rejection (bak2rds.report)."""

    report_version: int
    written_at: str
    database: str
    execution: ReportExecution
    decision: ReportDecision
    backup: ReportBackup
    source_database: str
    start_lsn: StartLsn | None
    durations: ReportDurations
    dms: ReportDms
    target: ReportTarget


# ----------------------------------------------------------- what each function is given


class ReadBackupObjectPayload(TypedDict):
    execution_id: str
    event: dict[str, Any]  # the EventBridge "Object Created" event, checked by the step


class CheckTargetPayload(TypedDict):
    execution_id: str
    migration: Migration


class StartRestorePayload(TypedDict):
    execution_id: str
    migration: Migration
    target: Target
    execution_started_at: str


class CheckRestorePayload(TypedDict):
    execution_id: str
    migration: Migration
    target: Target
    restore: Restore
    execution_started_at: str


class DeriveStartLsnPayload(TypedDict):
    execution_id: str
    migration: Migration
    target: Target


class PrepareTargetPayload(TypedDict):
    execution_id: str
    execution_name: str  # whose marks the switched-off objects carry
    migration: Migration
    target: Target


class RestoreTriggersAndKeysPayload(TypedDict):
    """The whole state: "target_restore" is absent on the first look."""

    execution_id: str
    execution_name: str
    state: MigrationState


class CheckLoginsPayload(TypedDict):
    execution_id: str
    migration: Migration
    target: Target


class CreateDmsEndpointsPayload(TypedDict):
    execution_id: str
    execution_name: str
    migration: Migration


class ConnectionTestPayload(TypedDict):
    """Reads its own earlier answer, absent on the first run, from the whole state."""

    execution_id: str
    role: Literal["source", "target"]
    state: MigrationState


class CreateCdcTaskPayload(TypedDict):
    execution_id: str
    execution_name: str
    migration: Migration
    dms: DmsResources


class AssessCdcTaskPayload(TypedDict):
    """Reads its own earlier answer, absent on the first look, from the whole state."""

    execution_id: str
    execution_name: str
    state: MigrationState


class StartCdcTaskPayload(TypedDict):
    execution_id: str
    migration: Migration
    start_lsn: StartLsn
    target_prep: TargetPrep
    cdc: Cdc


class CheckCdcPayload(TypedDict):
    execution_id: str
    migration: Migration
    cdc: Cdc


class RequestCutoverApprovalPayload(TypedDict):
    execution_id: str
    task_token: str
    entered_at: str
    state: MigrationState


class WholeStatePayload(TypedDict):
    """Check Final Sync and Stop CDC Task read keys that are absent on their first run."""

    execution_id: str
    state: MigrationState


class CheckIdentitiesPayload(TypedDict):
    execution_id: str
    migration: Migration
    target: Target
    decision: str  # approved or rejected: only an approved cutover is reseeded


class ReadApplyExceptionsPayload(TypedDict):
    execution_id: str
    migration: Migration
    target: Target
    cdc: Cdc


class WriteCutoverReportPayload(TypedDict):
    execution_id: str
    execution_name: str  # the report's file name
    state: MigrationState


class RemoveDmsResourcesPayload(TypedDict):
    """The whole state, as for Stop CDC Task: "dms_cleanup" is absent on the first look."""

    execution_id: str
    execution_name: str  # what the resources are tagged with
    state: MigrationState


class NotifyPayload(TypedDict):
    execution_id: str
    event: str  # RESTORE_STARTED, ..., FAILED, APPROVAL_EXPIRED
    # The state so far. Only on the failure path can it be something else: when Read Backup
    # Object fails there is no migration yet, and the state is the S3 event itself.
    state: MigrationState | dict[str, Any]
    failure: NotRequired[CaughtError]


# ---------------------------------------------------------------- functions' own answers


class StartedMigration(TypedDict):
    """Start Migration (EventBridge's target): the execution for this object version."""

    execution_name: str  # "" when nothing was started
    execution_arn: str
    duplicate: bool
    staged: bool  # a key under staged/: a base a differential will find, never started


class Alert(TypedDict):
    """Alert (EventBridge's target): whether an event was e-mailed, and why not."""

    alerted: bool
    code: str  # the catalogue code e-mailed; "" when ignored
    reason: str  # why the event was ignored; "" when e-mailed
    message_id: str
    execution_arn: str  # the migration it is about; "" when ignored


class ApprovalRequested(TypedDict):
    """Request Cutover Approval's own result (the state waits for the API, not for this)."""

    approval_id: str
    expires_at: str
    message_id: str


class Milestone(TypedDict):
    event: str
    message_id: str


class ApprovalSummary(TypedDict):
    """What the approval e-mail and page show, kept with the approval record.

    ``schema`` is the version of this shape: records live for days in DynamoDB while a new
    version of the stack may be deployed, and a reader must know what it reads.
    """

    schema: int
    database: str
    source: str
    restore_seconds: int | None
    start_lsn: str | None
    lsn_strategy: str | None
    latency_seconds: float | None
    cdc_task_arn: str
    cdc_task_id: str
    replication_instance_id: str
    # Added without a new schema: readers of schema 1 records show what is there.
    triggers_off: NotRequired[int]
    foreign_keys_off: NotRequired[int]
    excluded_tables: NotRequired[list[str]]  # [schema].[table]
    unmapped_users: NotRequired[list[UnmappedUser]]
    unmapped_user_count: NotRequired[int]
    validation: NotRequired[Validation]  # as CDC was found caught up; the API reads it again
    validation_must_finish: NotRequired[bool]


APPROVAL_SUMMARY_SCHEMA = 1

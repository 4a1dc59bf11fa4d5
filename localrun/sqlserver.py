"""A simulated RDS for SQL Server endpoint, reached through ``pymssql.connect``.

There is no SQL Server on the machines bak2rds is built on, so this stands in for one. It
speaks only the statements bak2rds sends (anything else is a syntax error, as a typo would
be), takes values only as parameters, and answers with the result-set shapes the RDS
documentation gives for ``msdb.dbo.rds_restore_database`` and ``msdb.dbo.rds_task_status``:

* a restore task is CREATED, then IN_PROGRESS with ``% complete`` rising with time, then
  SUCCESS, ERROR (with ``task_info``) or CANCELLED; at most two tasks run at once, the rest
  wait in CREATED;
* a successful restore creates the database and writes ``msdb.dbo.restorehistory`` and
  ``msdb.dbo.backupset`` rows with the LSNs and type of the backup that was restored;
* ``@with_norecovery = 1`` leaves the database RESTORING (connections to it fail, error 927),
  and ``@type = 'DIFFERENTIAL'`` is refused unless the database is RESTORING or a NORECOVERY
  task for it is pending, and fails unless the differential's base is the full restored last
  (SQL Server's error 3136); "You can't submit a restore task for a database that already has
  a pending restore task with RECOVERY" (RDS user guide, "Using native backup and restore");
* ``prefix*`` restores every object whose key starts with the prefix: more than 10 fail with
  RDS's documented message, a set that lacks a stripe or mixes backups fails as SQL Server
  does (3132 and the like); ``task_type`` names the kind of restore (RESTORE_DB_NORECOVERY,
  RESTORE_DB_DIFFERENTIAL, ...);
* restoring over an existing database (names compared without case) raises RDS's error;
* logins are checked, connections must ask for encryption and autocommit; a connection to
  a database that is not there fails as SQL Server's login does (error 4060);
* in a restored database, its tables, triggers and foreign keys (``localrun.sqlcatalog``,
  from ``BackupInS3.tables``) answer the catalogue queries and take bak2rds's statements.

What it does not model: the two-minute refresh lag of ``rds_task_status``, storage, and
any SQL beyond bak2rds's own statements. SQL Server's error texts are SQL Server's; where
RDS documents no text for a refusal, the simulator's says what RDS's rule is. Time comes
from an injected clock.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pymssql import exceptions as pymssql_errors

from bak2rds.backupfile import BackupHeader
from bak2rds.lsn import Lsn
from localrun.sqlcatalog import (
    CatalogueSession,
    DatabaseUser,
    Sequence_,
    Table,
    order_entry_sequences,
    order_entry_tables,
    order_entry_users,
)

Row = tuple[Any, ...]
TASK_COLUMNS = (
    "task_id",
    "task_type",
    "database_name",
    "% complete",
    "duration(mins)",
    "lifecycle",
    "task_info",
    "last_updated",
    "created_at",
    "S3_object_arn",
    "overwrite_s3_backup_file",
    "KMS_master_key_arn",
    "filepath",
    "overwrite_file",
)
MAX_RUNNING_TASKS = 2
MAX_RESTORE_FILES = 10
SYSTEM_DATABASES = ("master", "model", "msdb", "tempdb", "rdsadmin")


@dataclass(frozen=True)
class BackupInS3:
    """What the simulated instance finds when it reads a backup file from S3 (the facts of
    its header: ``from_header`` reads them off an uploaded object)."""

    database_name: str
    first_lsn: int
    checkpoint_lsn: int
    last_lsn: int
    restore_duration: timedelta = timedelta(minutes=10)
    fails_with: str | None = None  # task_info of a restore that ends in ERROR
    finished_at: datetime | None = None
    tables: list[Table] | None = None  # what the database holds (default: order_entry_tables)
    users: list[DatabaseUser] | None = None  # its principals (default: order_entry_users)
    sequences: list[Sequence_] | None = None  # default: order_entry_sequences
    backup_type: str = "FULL"  # FULL or DIFFERENTIAL
    database_backup_lsn: int | None = None  # a differential's base: the full's checkpoint
    backup_set_id: uuid.UUID | None = None
    database_backup_id: uuid.UUID | None = None  # a differential's base: the full's set
    media_set_id: uuid.UUID | None = None
    family_count: int = 1
    family_sequence_number: int = 1

    @classmethod
    def from_header(cls, header: BackupHeader, **overrides: Any) -> BackupInS3:
        def numeric(lsn: Lsn | None) -> int:
            return 0 if lsn is None else lsn.to_numeric()

        facts: dict[str, Any] = {
            "database_name": header.database_name,
            "first_lsn": numeric(header.first_lsn),
            "checkpoint_lsn": numeric(header.checkpoint_lsn),
            "last_lsn": numeric(header.last_lsn),
            "backup_type": header.backup_type,
            "database_backup_lsn": (
                None
                if header.database_backup_lsn is None
                else header.database_backup_lsn.to_numeric()
            ),
            "backup_set_id": header.backup_set_id,
            "database_backup_id": header.database_backup_id,
            "media_set_id": header.media_set_id,
            "family_count": header.family_count,
            "family_sequence_number": header.family_sequence_number,
        }
        return cls(**{**facts, **overrides})


def unreadable_file(s3_arn: str) -> BackupInS3:
    """An object RDS finds that is no SQL Server backup: its restore fails (error 3241)."""
    return BackupInS3(
        "",
        0,
        0,
        0,
        fails_with=(
            f"The media family on device '{s3_arn}' is incorrectly formed. SQL Server cannot "
            "process this media family. RESTORE DATABASE is terminating abnormally."
        ),
    )


@dataclass
class RestoreTaskRecord:
    task_id: int
    database_name: str
    s3_arn: str
    kms_key_arn: str | None
    created_at: datetime
    files: list[BackupInS3]  # what the ARN (or its prefix*) names in S3
    restore_type: str = "FULL"
    with_norecovery: bool = False
    lifecycle: str = "CREATED"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    task_info: str = ""
    percent: int = 0

    @property
    def task_type(self) -> str:
        kind = "RESTORE_DB" + ("_DIFFERENTIAL" if self.restore_type == "DIFFERENTIAL" else "")
        return kind + ("_NORECOVERY" if self.with_norecovery else "")

    @property
    def backup(self) -> BackupInS3 | None:
        return self.files[0] if self.files else None


@dataclass
class SimulatedRdsSqlServer:
    clock: Callable[[], datetime]
    username: str = "admin"
    password: str = "simulated-password"  # noqa: S105 - the simulator's own login
    utc_offset_minutes: int = 0
    backups: dict[str, BackupInS3] = field(default_factory=dict)
    databases: set[str] = field(default_factory=lambda: set(SYSTEM_DATABASES))
    restoring: set[str] = field(default_factory=set)  # lower-case names left NORECOVERY
    tasks: list[RestoreTaskRecord] = field(default_factory=list)
    restore_history: list[dict[str, Any]] = field(default_factory=list)
    catalogues: dict[str, list[Table]] = field(default_factory=dict)  # lower-case name
    principals: dict[str, list[DatabaseUser]] = field(default_factory=dict)  # lower-case name
    sequences: dict[str, list[Sequence_]] = field(default_factory=dict)  # lower-case name
    # dbo.awsdms_apply_exceptions of a database: rows DMS wrote (a test adds them); the table
    # is there once the database is restored ("always created on database targets")
    apply_exceptions: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    # sys.server_principals: the instance's logins by name and SID (the master user's)
    logins: dict[str, bytes] = field(default_factory=lambda: {"admin": bytes.fromhex("0a0b")})
    executed: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    # The S3 ARNs of the objects under a prefix now (the runtime lists its bucket in moto)
    objects_under: Callable[[str], list[str]] | None = None
    # Errors to raise instead of connecting / executing, consumed one per call. pymssql's
    # shapes: connect raises OperationalError((number, message)), execute raises
    # OperationalError(number, message).
    connect_failures: list[Exception] = field(default_factory=list)
    execute_failures: list[Exception] = field(default_factory=list)
    _advanced_to: datetime | None = None

    # ------------------------------------------------------------------ pymssql entry
    def connect(self, **kwargs: Any) -> SimulatedConnection:
        if self.connect_failures:
            raise self.connect_failures.pop(0)
        if kwargs.get("encryption") != "require":
            raise pymssql_errors.OperationalError(
                (20002, b"Adaptive Server connection failed (RDS requires an encrypted login)")
            )
        if kwargs.get("user") != self.username or kwargs.get("password") != self.password:
            user = str(kwargs.get("user"))
            raise pymssql_errors.OperationalError(
                (18456, f"Login failed for user '{user}'.".encode())
            )
        database = str(kwargs.get("database") or "master")
        self._advance()
        if not self._database_exists(database):
            raise pymssql_errors.OperationalError(
                (
                    4060,
                    f'Cannot open database "{database}" requested by the login. '
                    "The login failed.".encode(),
                )
            )
        if database.lower() in self.restoring:
            raise pymssql_errors.OperationalError(
                (
                    927,
                    f"Database '{database}' cannot be opened. It is in the middle of a "
                    "restore.".encode(),
                )
            )
        return SimulatedConnection(self, bool(kwargs.get("autocommit")), database)

    # ------------------------------------------------------------------ test controls
    def add_backup(self, s3_arn: str, backup: BackupInS3) -> None:
        self.backups[s3_arn] = backup

    def cancel(self, task_id: int) -> None:
        task = self._task(task_id)
        if task and task.lifecycle in {"CREATED", "IN_PROGRESS"}:
            task.lifecycle, task.finished_at = "CANCELLED", self.clock()
            task.task_info = "Task was cancelled by rds_cancel_task."

    def restores_started(self) -> int:
        return len(self.tasks)

    # ------------------------------------------------------------------ statements
    def tables(self, database: str) -> list[Table]:
        """The restored database's tables as they are now (tests change and read them)."""
        return self.catalogues[database.lower()]

    def execute(
        self, sql: str, params: Sequence[Any], autocommit: bool, database: str = "master"
    ) -> tuple[list[str], list[Row]]:
        self.executed.append((sql, tuple(params)))
        if self.execute_failures:
            raise self.execute_failures.pop(0)
        self._advance()
        text = " ".join(sql.split())
        if database.lower() in self.catalogues:
            answer = self._in_database(database, text, params)
            if answer is not None:
                return answer
        for pattern, handler in self._statements():
            match = re.fullmatch(pattern, text, re.IGNORECASE)
            if match:
                expected = text.count("%s") + text.count("%d")
                if expected != len(params):
                    raise pymssql_errors.ProgrammingError(
                        8144, b"Procedure or function has too many arguments specified."
                    )
                if text.upper().startswith("EXEC MSDB.DBO.RDS_") and not autocommit:
                    raise pymssql_errors.OperationalError(
                        50000, b"This procedure cannot be run inside a user transaction."
                    )
                return handler(*params)
        raise pymssql_errors.ProgrammingError(102, f"Incorrect syntax near '{text[:40]}'.".encode())

    def _in_database(
        self, database: str, text: str, params: Sequence[Any]
    ) -> tuple[list[str], list[Row]] | None:
        session = CatalogueSession(
            self.catalogues[database.lower()],
            database,
            self.principals.get(database.lower()),
            frozenset(self.logins.values()),
            self.sequences.get(database.lower()),
            self.apply_exceptions.get(database.lower()),
        )
        for pattern, name in session.query_handlers():
            if re.fullmatch(pattern, text, re.IGNORECASE):
                if text.count("%s") != len(params):
                    raise pymssql_errors.ProgrammingError(
                        8144, b"Procedure or function has too many arguments specified."
                    )
                answer: tuple[list[str], list[Row]] = getattr(session, name)(*params)
                return answer
        if text.count("%s") != len(params):
            raise pymssql_errors.ProgrammingError(
                8144, b"Procedure or function has too many arguments specified."
            )
        return session.run_batch(text, params)

    def _statements(self) -> list[tuple[str, Callable[..., tuple[list[str], list[Row]]]]]:
        return [
            (
                r"EXEC msdb\.dbo\.rds_restore_database @restore_db_name = %s, "
                r"@s3_arn_to_restore_from = %s, @type = %s, @with_norecovery = %d"
                r"(, @kms_master_key_arn = %s)?",
                self._restore_database,
            ),
            (r"EXEC msdb\.dbo\.rds_task_status @task_id = %d", self._status_by_id),
            (r"EXEC msdb\.dbo\.rds_task_status @db_name = %s", self._status_by_database),
            (r"EXEC msdb\.dbo\.rds_task_status", self._status_of_all),
            (r"SELECT COUNT\(\*\) FROM sys\.databases WHERE name = %s", self._count_databases),
            (r"SELECT DATEDIFF\(MINUTE, GETUTCDATE\(\), GETDATE\(\)\)", self._utc_offset),
            (
                r"SELECT TOP \(%d\) bs\.first_lsn, .* FROM msdb\.dbo\.restorehistory AS rh .*",
                self._latest_restores,
            ),
        ]

    def _restore_database(
        self,
        database: str,
        s3_arn: str,
        restore_type: str,
        with_norecovery: int,
        kms_key_arn: str | None = None,
    ) -> tuple[list[str], list[Row]]:
        if not s3_arn:
            raise pymssql_errors.OperationalError(50000, b"S3 ARN prefix cannot be empty.")
        if restore_type not in {"FULL", "DIFFERENTIAL"}:
            raise pymssql_errors.OperationalError(50000, b"Valid types are DIFFERENTIAL and FULL.")
        pending = [
            t
            for t in self.tasks
            if t.database_name.lower() == database.lower()
            and t.lifecycle in {"CREATED", "IN_PROGRESS"}
        ]
        if restore_type == "FULL" and self._database_exists(database):
            raise pymssql_errors.OperationalError(
                50000,
                f"Database '{database}' already exists. Two databases that differ only by "
                "case or accent are not allowed. Choose a different database name.".encode(),
            )
        if restore_type == "DIFFERENTIAL":
            if any(not t.with_norecovery for t in pending):
                raise pymssql_errors.OperationalError(
                    50000,
                    f"Database '{database}' already has a pending restore task with "
                    "RECOVERY.".encode(),
                )
            if database.lower() not in self.restoring and not pending:
                raise pymssql_errors.OperationalError(
                    50000,
                    f"For differential restores, database '{database}' must be in the "
                    "RESTORING state or a task must already exist that restores with "
                    "NORECOVERY.".encode(),
                )
        task = RestoreTaskRecord(
            task_id=len(self.tasks) + 1,
            database_name=database,
            s3_arn=s3_arn,
            kms_key_arn=kms_key_arn,
            created_at=self.clock(),
            files=self._files_of(s3_arn),
            restore_type=restore_type,
            with_norecovery=bool(with_norecovery),
        )
        self.tasks.append(task)
        self._advance()
        return list(TASK_COLUMNS), [self._task_row(task)]

    def _files_of(self, s3_arn: str) -> list[BackupInS3]:
        """A file, or for ``prefix*`` every object whose key starts with the prefix, as the
        bucket holds them now (``objects_under``; without it, what was registered). An
        object that is not a backup bak2rds registered is a file SQL Server cannot read."""
        prefix = s3_arn[:-1] if s3_arn.endswith("*") else s3_arn
        arns = (
            self.objects_under(prefix)
            if self.objects_under is not None
            else [arn for arn in self.backups if arn.startswith(prefix)]
        )
        if not s3_arn.endswith("*"):
            arns = [arn for arn in arns if arn == s3_arn]
        return [self.backups.get(arn) or unreadable_file(arn) for arn in sorted(arns)]

    def _status_by_id(self, task_id: int) -> tuple[list[str], list[Row]]:
        task = self._task(int(task_id))
        return list(TASK_COLUMNS), [self._task_row(task)] if task else []

    def _status_by_database(self, database: str) -> tuple[list[str], list[Row]]:
        rows = [
            self._task_row(t) for t in self.tasks if t.database_name.lower() == database.lower()
        ]
        return list(TASK_COLUMNS), rows

    def _status_of_all(self) -> tuple[list[str], list[Row]]:
        return list(TASK_COLUMNS), [self._task_row(t) for t in self.tasks]

    def _count_databases(self, database: str) -> tuple[list[str], list[Row]]:
        return [""], [(1 if self._database_exists(database) else 0,)]

    def _utc_offset(self) -> tuple[list[str], list[Row]]:
        return [""], [(self.utc_offset_minutes,)]

    def _latest_restores(self, count: int, database: str) -> tuple[list[str], list[Row]]:
        columns = [
            "first_lsn",
            "checkpoint_lsn",
            "last_lsn",
            "database_backup_lsn",
            "database_name",
            "type",
            "backup_finish_date",
            "restore_date",
        ]
        rows = [h for h in self.restore_history if h["destination_database_name"] == database]
        rows.sort(key=lambda h: (h["restore_date"], h["restore_history_id"]), reverse=True)
        return columns, [tuple(h[c] for c in columns) for h in rows[: int(count)]]

    # ------------------------------------------------------------------ task lifecycle
    def _advance(self) -> None:
        """Bring every task to the clock's time: queued tasks start when one of the two
        slots frees, running tasks progress and finish at their exact end time."""
        now = self.clock()
        moment = self._advanced_to or now
        while True:
            for task in self.tasks:
                running = sum(t.lifecycle == "IN_PROGRESS" for t in self.tasks)
                if task.lifecycle == "CREATED" and running < MAX_RUNNING_TASKS:
                    task.lifecycle, task.started_at = "IN_PROGRESS", max(moment, task.created_at)
            ends = [(self._end_of(t), t) for t in self.tasks if t.lifecycle == "IN_PROGRESS"]
            due = sorted((end, t.task_id, t) for end, t in ends if end <= now)
            if not due:
                break
            moment, _, task = due[0]
            self._finish(task, moment)
        for task in self.tasks:
            if task.lifecycle == "IN_PROGRESS" and task.started_at is not None:
                share = (now - task.started_at) / self._duration(task)
                task.percent = max(0, min(99, int(share * 100)))
        self._advanced_to = now

    def _duration(self, task: RestoreTaskRecord) -> timedelta:
        return task.backup.restore_duration if task.backup else timedelta(seconds=30)

    def _end_of(self, task: RestoreTaskRecord) -> datetime:
        assert task.started_at is not None
        return task.started_at + self._duration(task)

    def _finish(self, task: RestoreTaskRecord, moment: datetime) -> None:
        task.finished_at = moment
        refusal = self._refusal(task)
        if refusal is not None:
            task.lifecycle, task.task_info = "ERROR", refusal
            return
        backup = task.files[0]
        task.lifecycle, task.percent = "SUCCESS", 100
        task.task_info = "Task execution has finished successfully."
        name = task.database_name.lower()
        self.databases.add(task.database_name)
        if task.with_norecovery:
            self.restoring.add(name)
        else:
            self.restoring.discard(name)
        if task.restore_type == "FULL":
            tables = backup.tables if backup.tables is not None else order_entry_tables()
            self.catalogues[name] = copy.deepcopy(tables)
            users = backup.users if backup.users is not None else order_entry_users()
            self.principals[name] = copy.deepcopy(users)
            sequences = (
                backup.sequences if backup.sequences is not None else order_entry_sequences()
            )
            self.sequences[name] = copy.deepcopy(sequences)
            self.apply_exceptions.setdefault(name, [])
        self.restore_history.append(
            {
                "restore_history_id": len(self.restore_history) + 1,
                "destination_database_name": task.database_name,
                "restore_date": self._local(moment),
                "first_lsn": Decimal(backup.first_lsn),
                "checkpoint_lsn": Decimal(backup.checkpoint_lsn),
                "last_lsn": Decimal(backup.last_lsn),
                "database_backup_lsn": Decimal(backup.database_backup_lsn or 0),
                "database_name": backup.database_name,
                "type": "I" if backup.backup_type == "DIFFERENTIAL" else "D",
                "backup_finish_date": backup.finished_at,
                "backup_set_id": backup.backup_set_id,
            }
        )

    def _refusal(self, task: RestoreTaskRecord) -> str | None:
        """Why the restore ends in ERROR (its task_info), or None when it succeeds."""
        files = task.files
        if not files:
            return "Access Denied"
        if len(files) > MAX_RESTORE_FILES:
            return (  # RDS user guide, "Troubleshooting" of native backup and restore
                f"The Restore task is unable to restore from more than {MAX_RESTORE_FILES} "
                "backup file(s). Please reduce the number of files matched and try again."
            )
        failing = next((f.fails_with for f in files if f.fails_with), None)
        if failing:
            return failing
        first = files[0]
        if any(
            (f.media_set_id, f.backup_set_id) != (first.media_set_id, first.backup_set_id)
            for f in files
        ):
            return (
                "The volume on device is not part of a multiple family media set. BACKUP "
                "WITH FORMAT can be used to form a new media set. RESTORE DATABASE is "
                "terminating abnormally."
            )
        present = {f.family_sequence_number for f in files}
        if len(files) != first.family_count or present != set(range(1, first.family_count + 1)):
            return (
                f"The media set has {first.family_count} media families but only {len(files)} "
                "are provided. All members must be provided. RESTORE DATABASE is terminating "
                "abnormally."
            )
        if task.restore_type == "FULL" and self._database_exists(task.database_name):
            return (  # another task created it meanwhile
                f"Database '{task.database_name}' already exists. Choose a different database name."
            )
        if task.restore_type == "FULL" and first.backup_type != "FULL":
            return (
                "The log or differential backup cannot be restored because no files are "
                "ready to rollforward. RESTORE DATABASE is terminating abnormally."
            )
        if task.restore_type == "DIFFERENTIAL":
            base = self._latest_history(task.database_name)
            if first.backup_type != "DIFFERENTIAL" or not (
                base is not None
                and base["type"] == "D"
                and first.database_backup_lsn == int(base["checkpoint_lsn"])
                and first.database_backup_id == base["backup_set_id"]
            ):
                return (
                    "This differential backup cannot be restored because the database has "
                    "not been restored to the correct earlier state. RESTORE DATABASE is "
                    "terminating abnormally."
                )
        return None

    def _latest_history(self, database: str) -> dict[str, Any] | None:
        rows = [h for h in self.restore_history if h["destination_database_name"] == database]
        return max(rows, key=lambda h: h["restore_history_id"], default=None)

    def _task(self, task_id: int) -> RestoreTaskRecord | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)

    def _task_row(self, task: RestoreTaskRecord) -> Row:
        end = task.finished_at or self.clock()
        minutes = int((end - task.started_at).total_seconds() // 60) if task.started_at else 0
        return (
            task.task_id,
            task.task_type,
            task.database_name,
            task.percent,
            minutes,
            task.lifecycle,
            task.task_info,
            self._local(end),
            self._local(task.created_at),
            task.s3_arn,
            0,
            task.kms_key_arn,
            None,
            0,
        )

    def _local(self, moment: datetime) -> datetime:
        """RDS reports times in the instance's time zone, as naive datetimes."""
        return (moment + timedelta(minutes=self.utc_offset_minutes)).replace(tzinfo=None)

    def database_exists(self, database: str) -> bool:
        """For the other simulators (DMS's target connection test): is it there now?"""
        self._advance()
        return self._database_exists(database)

    def _database_exists(self, database: str) -> bool:
        return database.lower() in {name.lower() for name in self.databases}


class SimulatedConnection:
    def __init__(self, server: SimulatedRdsSqlServer, autocommit: bool, database: str) -> None:
        self._server = server
        self._autocommit = autocommit
        self._database = database
        self.closed = False

    def cursor(self) -> SimulatedCursor:
        if self.closed:
            raise pymssql_errors.InterfaceError("Connection is closed.")
        return SimulatedCursor(self._server, self._autocommit, self._database)

    def close(self) -> None:
        self.closed = True


class SimulatedCursor:
    def __init__(self, server: SimulatedRdsSqlServer, autocommit: bool, database: str) -> None:
        self._server = server
        self._autocommit = autocommit
        self._database = database
        self._rows: list[Row] = []
        self.description: list[tuple[Any, ...]] | None = None

    def execute(self, operation: str, params: Any = ()) -> None:
        values = params if isinstance(params, tuple) else (params,)
        columns, self._rows = self._server.execute(
            operation, values, self._autocommit, self._database
        )
        # pymssql: no result set (DDL) leaves description None, and fetchall then raises
        self.description = (
            [(name, None, None, None, None, None, None) for name in columns] if columns else None
        )

    def fetchall(self) -> list[Row]:
        if self.description is None:
            raise pymssql_errors.OperationalError(
                "Statement not executed or executed statement has no resultset"
            )
        rows, self._rows = self._rows, []
        return rows

    def close(self) -> None:
        self._rows = []

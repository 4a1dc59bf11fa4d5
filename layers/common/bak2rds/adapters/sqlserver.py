"""The RDS for SQL Server endpoint: the msdb procedures and queries bak2rds runs.

Every value travels as a pymssql parameter; no SQL text is ever built from input. RDS
procedures refuse to run inside a transaction, so connections are in autocommit mode, and
they are encrypted (``encryption="require"``) with login and query timeouts. pymssql errors
are translated into the project's error classes here, and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from bak2rds.errors import (
    Bak2RdsError,
    DatabaseAlreadyExists,
    RestoreAlreadyRunning,
    RestoreTaskFailed,
    SqlAccessDenied,
    TargetNotReady,
    TransientDependencyError,
    for_code,
)

# @type and @with_norecovery as the RDS user guide gives them ("Using native backup and
# restore"); both are stated for every restore, though FULL and 0 are the defaults.
START_RESTORE = (
    "EXEC msdb.dbo.rds_restore_database @restore_db_name = %s, @s3_arn_to_restore_from = %s, "
    "@type = %s, @with_norecovery = %d"
)
START_RESTORE_WITH_KMS = START_RESTORE + ", @kms_master_key_arn = %s"
TASK_STATUS_BY_ID = "EXEC msdb.dbo.rds_task_status @task_id = %d"
TASK_STATUS_BY_DATABASE = "EXEC msdb.dbo.rds_task_status @db_name = %s"
TASK_STATUS_ALL = "EXEC msdb.dbo.rds_task_status"
DATABASE_EXISTS = "SELECT COUNT(*) FROM sys.databases WHERE name = %s"
# Minutes the instance's clock is ahead of UTC (RDS for SQL Server has a time zone option,
# and rds_task_status reports times in it).
SERVER_UTC_OFFSET = "SELECT DATEDIFF(MINUTE, GETUTCDATE(), GETDATE())"
LATEST_RESTORED_BACKUPS = """
SELECT TOP (%d) bs.first_lsn, bs.checkpoint_lsn, bs.last_lsn, bs.database_backup_lsn,
       bs.database_name, bs.type, bs.backup_finish_date, rh.restore_date
FROM msdb.dbo.restorehistory AS rh
JOIN msdb.dbo.backupset AS bs ON bs.backup_set_id = rh.backup_set_id
WHERE rh.destination_database_name = %s
ORDER BY rh.restore_date DESC, rh.restore_history_id DESC
""".strip()

# pymssql/FreeTDS message numbers worth another try: the network or the server was busy.
_TRANSIENT_NUMBERS = frozenset(
    {
        1205,  # chosen as deadlock victim
        20002,  # connection failed / closed
        20003,  # timed out
        20004,  # read from the server failed
        20006,  # write to the server failed
        20009,  # unable to connect: server unavailable
        20047,  # connection dead
        17809,  # the maximum number of user connections is reached: the server throttles
        40613,  # database not currently available
    }
)
_LOGIN_FAILED = frozenset({18456, 18452, 18486, 18487, 18488})
_PERMISSION_DENIED = frozenset({229, 230, 262, 297, 300, 15247})
_UNKNOWN_PROCEDURE = 2812
_CANNOT_OPEN_DATABASE = 4060


class Cursor(Protocol):
    @property
    def description(self) -> Sequence[Sequence[Any]] | None: ...  # read-only, as in pymssql

    def execute(self, operation: str, params: Any = ...) -> None: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...
    def close(self) -> None: ...


class Connection(Protocol):
    def cursor(self) -> Cursor: ...
    def close(self) -> None: ...


Connect = Callable[..., Connection]


@dataclass(frozen=True)
class Endpoint:
    """The RDS instance's address, from DescribeDBInstances (Check Target)."""

    host: str
    port: int


@dataclass(frozen=True)
class Credentials:
    """The master user from Secrets Manager; the password never shows in a repr or a log."""

    username: str
    password: str

    def __repr__(self) -> str:  # never let a password reach a log line
        return f"Credentials(username={self.username!r}, password=<hidden>)"


@dataclass(frozen=True)
class RestoreTask:
    """One row of ``msdb.dbo.rds_task_status``."""

    task_id: int
    task_type: str
    database_name: str
    lifecycle: str
    percent_complete: int
    s3_object_arn: str
    task_info: str
    created_at: datetime | None
    last_updated: datetime | None

    @property
    def finished(self) -> bool:
        return self.lifecycle in {"SUCCESS", "ERROR", "CANCELLED"}


@dataclass(frozen=True)
class RestoredBackup:
    """The backup set msdb recorded for the most recent restore of a database."""

    first_lsn: Decimal
    checkpoint_lsn: Decimal
    last_lsn: Decimal
    database_backup_lsn: Decimal | None
    source_database: str
    backup_type: str
    backup_finish_date: datetime | None
    restore_date: datetime | None


class SqlServer:
    def __init__(
        self,
        connect: Connect,
        endpoint: Endpoint,
        credentials: Callable[[bool], Credentials],
        login_timeout_seconds: int,
        query_timeout_seconds: int,
    ) -> None:
        self._connect = connect
        self._endpoint = endpoint
        self._credentials = credentials
        self._login_timeout = login_timeout_seconds
        self._query_timeout = query_timeout_seconds

    def start_restore(
        self,
        database: str,
        s3_arn: str,
        kms_key_arn: str | None,
        restore_type: str = "FULL",
        with_norecovery: bool = False,
    ) -> RestoreTask:
        arguments: tuple[Any, ...] = (database, s3_arn, restore_type, int(with_norecovery))
        if kms_key_arn:
            rows = self._query(START_RESTORE_WITH_KMS, (*arguments, kms_key_arn))
        else:
            rows = self._query(START_RESTORE, arguments)
        if not rows:
            raise RestoreTaskFailed(
                f"rds_restore_database returned no task for {database!r}", code="RESTORE_FAILED"
            )
        return _restore_task(rows[0])

    def restore_task(self, task_id: int) -> RestoreTask | None:
        rows = self._query(TASK_STATUS_BY_ID, (task_id,))
        return _restore_task(rows[0]) if rows else None

    def restore_tasks_for(self, database: str) -> list[RestoreTask]:
        return [_restore_task(row) for row in self._query(TASK_STATUS_BY_DATABASE, (database,))]

    def tasks_in_progress(self) -> int:
        """Backup and restore tasks of any database that RDS is running now."""
        rows = self._query(TASK_STATUS_ALL, ())
        return sum(1 for row in rows if row.get("lifecycle") == "IN_PROGRESS")

    def database_exists(self, database: str) -> bool:
        rows = self._query(DATABASE_EXISTS, (database,))
        return bool(rows and next(iter(rows[0].values())))

    def utc_offset_minutes(self) -> int:
        rows = self._query(SERVER_UTC_OFFSET, ())
        return int(next(iter(rows[0].values()))) if rows else 0

    def latest_restored_backups(self, database: str, count: int) -> list[RestoredBackup]:
        """The backup sets of the database's ``count`` most recent restores, newest first."""
        return [
            RestoredBackup(
                first_lsn=Decimal(row["first_lsn"]),
                checkpoint_lsn=Decimal(row["checkpoint_lsn"]),
                last_lsn=Decimal(row["last_lsn"]),
                database_backup_lsn=(
                    None
                    if row["database_backup_lsn"] is None
                    else Decimal(row["database_backup_lsn"])
                ),
                source_database=str(row["database_name"]),
                backup_type=str(row["type"]),
                backup_finish_date=row["backup_finish_date"],
                restore_date=row["restore_date"],
            )
            for row in self._query(LATEST_RESTORED_BACKUPS, (count, database))
        ]

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self.session() as session:
            return session.run(sql, params)

    @contextmanager
    def session(self, database: str = "master") -> Iterator[Session]:
        """One connection to ``database`` for several statements (a restored database's
        catalogue and the statements that follow from it)."""
        with self._connection(database) as connection:
            yield Session(connection)

    @contextmanager
    def _connection(self, database: str) -> Iterator[Connection]:
        try:
            connection = self._open(self._credentials(False), database)
        except SqlAccessDenied as denied:
            if denied.code != "SQL_LOGIN_FAILED":
                raise
            # The secret may have been rotated since it was cached: read it again, once.
            connection = self._open(self._credentials(True), database)
        try:
            yield connection
        finally:
            connection.close()

    def _open(self, credentials: Credentials, database: str) -> Connection:
        try:
            return self._connect(
                server=self._endpoint.host,
                port=str(self._endpoint.port),
                user=credentials.username,
                password=credentials.password,
                database=database,
                login_timeout=self._login_timeout,
                timeout=self._query_timeout,
                autocommit=True,
                encryption="require",
                appname="bak2rds",
            )
        except Exception as error:
            raise translate_sql_error(error) from error


class Session:
    """Statements on one open connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Run one statement (or batch) and return its first result set as dicts by column."""
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, params)
            if cursor.description is None:  # DDL: pymssql's fetchall would raise
                return []
            columns = [str(column[0]) for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        except Exception as error:
            raise translate_sql_error(error) from error
        finally:
            cursor.close()


def _restore_task(row: dict[str, Any]) -> RestoreTask:
    return RestoreTask(
        task_id=int(row["task_id"]),
        task_type=str(row.get("task_type") or ""),
        database_name=str(row.get("database_name") or ""),
        lifecycle=str(row.get("lifecycle") or "").upper(),
        percent_complete=int(row.get("% complete") or 0),
        s3_object_arn=str(row.get("S3_object_arn") or ""),
        task_info=str(row.get("task_info") or ""),
        created_at=row.get("created_at"),
        last_updated=row.get("last_updated"),
    )


def number_and_message(error: BaseException) -> tuple[int | None, str]:
    """pymssql puts ``(number, b"message")`` in args, one level deeper on connect."""
    args: Sequence[Any] = error.args
    while len(args) == 1 and isinstance(args[0], tuple):
        args = args[0]
    number = next((arg for arg in args if isinstance(arg, int)), None)
    text = next((arg for arg in args if isinstance(arg, (bytes, str))), str(error))
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    # FreeTDS appends its own "DB-Lib error message ..." trailer: keep SQL Server's words.
    return number, message.split("DB-Lib error message")[0].strip() or message.strip()


def translate_sql_error(error: BaseException) -> Bak2RdsError:
    if isinstance(error, Bak2RdsError):
        return error
    number, message = number_and_message(error)
    if number in _TRANSIENT_NUMBERS or "timed out" in message.lower():
        return TransientDependencyError(f"SQL Server: {message} ({number})")
    if number in _LOGIN_FAILED:
        return SqlAccessDenied(message, code="SQL_LOGIN_FAILED")
    if number in _PERMISSION_DENIED:
        return SqlAccessDenied(message, code="SQL_PERMISSION_DENIED")
    if number == _CANNOT_OPEN_DATABASE:
        return TargetNotReady(message, code="TARGET_DATABASE_MISSING")
    if number == _UNKNOWN_PROCEDURE and "rds_" in message:
        return TargetNotReady(message, code="RESTORE_OPTION_MISSING")
    code = classify_restore_message(message)
    if code == "DATABASE_EXISTS":
        return DatabaseAlreadyExists(message)
    if code == "RESTORE_ALREADY_RUNNING":
        return RestoreAlreadyRunning(message)
    return for_code(code, f"SQL Server error {number}: {message}")


# Texts RDS and SQL Server use for restore failures, in task_info or raised by the procedure.
_RESTORE_MESSAGES = (
    (r"already exists", "DATABASE_EXISTS"),
    (r"already (a|an) (pending|active|running)|task .*in progress", "RESTORE_ALREADY_RUNNING"),
    (r"backup/restore option|option is not enabled", "RESTORE_OPTION_MISSING"),
    (r"\bkms\b|key .*(disabled|not found|does not exist)", "RESTORE_KMS_KEY"),
    (r"access denied|accessdenied|not authorized to perform", "RESTORE_ACCESS_DENIED"),
    (r"same region", "RESTORE_BUCKET_REGION"),
    (r"more than 10 (backup )?file", "RESTORE_TOO_MANY_FILES"),
    (
        r"(not enough|insufficient)( free)?( disk| storage)? space|disk is full|out of space",
        "RESTORE_NO_SPACE",
    ),
    (r"running version .*incompatible|is incompatible with this server", "RESTORE_BACKUP_TOO_NEW"),
    (
        r"media family .*incorrectly formed|not a valid microsoft tape format"
        r"|terminating abnormally|is not a valid backup",
        "RESTORE_BACKUP_UNREADABLE",
    ),
)


def classify_restore_message(message: str) -> str:
    """Catalogue code for a restore failure text (task_info or a procedure error)."""
    for pattern, code in _RESTORE_MESSAGES:
        if re.search(pattern, message, re.IGNORECASE):
            return code
    return "RESTORE_FAILED"

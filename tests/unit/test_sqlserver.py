"""The SQL adapter against the simulated RDS SQL endpoint."""

import dataclasses
import uuid
from datetime import timedelta
from typing import Any

import pytest
from pymssql import exceptions as pymssql_errors

from bak2rds.adapters.sqlserver import (
    Credentials,
    Endpoint,
    RestoreTask,
    SqlServer,
    classify_restore_message,
    translate_sql_error,
)
from bak2rds.errors import (
    DatabaseAlreadyExists,
    RestoreTaskFailed,
    SqlAccessDenied,
    TargetNotReady,
    TransientDependencyError,
)
from localrun import samples
from localrun.clock import ManualClock
from localrun.sqlserver import SimulatedRdsSqlServer

ARN = "arn:aws:s3:::staging/Northwind.bak"
BACKUP = samples.backup_in_s3()
SET = uuid.UUID(int=7)


def test_a_restore_is_started_with_parameters_and_its_task_id_captured(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer
) -> None:
    sql_sim.add_backup(ARN, BACKUP)
    task = sql.start_restore("Northwind", ARN, None)
    assert (task.task_id, task.database_name, task.s3_object_arn) == (1, "Northwind", ARN)
    statement, params = sql_sim.executed[-1]
    assert "Northwind" not in statement  # values travel as parameters only
    assert params == ("Northwind", ARN, "FULL", 0)


def test_kms_key_is_passed_when_configured(sql: SqlServer, sql_sim: SimulatedRdsSqlServer) -> None:
    sql.start_restore("Northwind", ARN, "arn:aws:kms:us-east-1:123456789012:key/k")
    assert sql_sim.executed[-1][1][-1] == "arn:aws:kms:us-east-1:123456789012:key/k"
    assert sql_sim.tasks[0].kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/k"


def test_task_status_follows_the_documented_lifecycle(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    sql_sim.add_backup(ARN, BACKUP)
    task_id = sql.start_restore("Northwind", ARN, None).task_id
    clock.advance(300)
    halfway = sql.restore_task(task_id)
    assert halfway is not None
    assert (halfway.lifecycle, halfway.percent_complete) == ("IN_PROGRESS", 50)
    clock.advance(300)
    done = sql.restore_task(task_id)
    assert done is not None and done.lifecycle == "SUCCESS"
    assert sql.database_exists("Northwind") and sql.database_exists("NORTHWIND")
    (backup,) = sql.latest_restored_backups("Northwind", 1)
    assert backup.first_lsn == BACKUP.first_lsn


STRIPE = samples.backup_in_s3("Sales")
STRIPES = {
    f"arn:aws:s3:::staging/in/Sales_{n}.bak": dataclasses.replace(
        STRIPE, family_count=2, family_sequence_number=n, media_set_id=SET, backup_set_id=SET
    )
    for n in (1, 2)
}


def _restored_from(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock, s3_arn: str, **kind: Any
) -> RestoreTask:
    task_id = sql.start_restore("Sales", s3_arn, None, **kind).task_id
    clock.advance(3600)
    task = sql.restore_task(task_id)
    assert task is not None
    return task


def test_a_striped_set_is_restored_from_its_prefix_with_every_stripe(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    sql_sim.backups.update(STRIPES)
    task = _restored_from(sql, sql_sim, clock, "arn:aws:s3:::staging/in/Sales_*")
    assert (task.lifecycle, task.task_type) == ("SUCCESS", "RESTORE_DB")


@pytest.mark.parametrize(
    ("present", "says"),
    [
        (1, "The media set has 2 media families but only 1 are provided"),
        (3, "is incorrectly formed"),  # an object under the prefix that is no backup
        (12, "unable to restore from more than 10 backup file(s)"),
    ],
)
def test_a_prefix_that_does_not_match_exactly_the_set_fails_the_restore(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock, present: int, says: str
) -> None:
    sql_sim.backups.update(STRIPES)
    arns = sorted(STRIPES)[:present] + [
        f"arn:aws:s3:::staging/in/Sales_x{n}.txt" for n in range(present - 2)
    ]
    sql_sim.objects_under = lambda prefix: [a for a in arns if a.startswith(prefix)]
    task = _restored_from(sql, sql_sim, clock, "arn:aws:s3:::staging/in/Sales_*")
    assert task.lifecycle == "ERROR"
    assert says in task.task_info


def test_a_differential_goes_only_onto_its_own_full_left_restoring(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    full = dataclasses.replace(STRIPE, backup_set_id=SET, checkpoint_lsn=STRIPE.checkpoint_lsn)
    diff = dataclasses.replace(
        STRIPE,
        backup_type="DIFFERENTIAL",
        database_backup_lsn=full.checkpoint_lsn,
        database_backup_id=SET,
        first_lsn=STRIPE.last_lsn,
        checkpoint_lsn=STRIPE.last_lsn,
        last_lsn=STRIPE.last_lsn + 100,
    )
    other = dataclasses.replace(diff, database_backup_id=uuid.uuid4())
    sql_sim.backups.update({"arn:f": full, "arn:d": diff, "arn:o": other})
    with pytest.raises(RestoreTaskFailed, match="must be in the RESTORING state"):  # no full yet
        sql.start_restore("Sales", "arn:d", None, restore_type="DIFFERENTIAL")

    _restored_from(sql, sql_sim, clock, "arn:f", with_norecovery=True)
    assert "sales" in sql_sim.restoring
    wrong = _restored_from(sql, sql_sim, clock, "arn:o", restore_type="DIFFERENTIAL")
    assert "has not been restored to the correct earlier state" in wrong.task_info
    right = _restored_from(sql, sql_sim, clock, "arn:d", restore_type="DIFFERENTIAL")

    assert (right.lifecycle, right.task_type) == ("SUCCESS", "RESTORE_DB_DIFFERENTIAL")
    assert "sales" not in sql_sim.restoring
    newest, base = sql.latest_restored_backups("Sales", 2)
    assert (newest.backup_type, base.backup_type) == ("I", "D")


def test_restoring_over_an_existing_database_is_refused(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer
) -> None:
    sql_sim.databases.add("Northwind")
    with pytest.raises(DatabaseAlreadyExists, match="already exists"):
        sql.start_restore("northwind", ARN, None)


def test_a_rotated_password_is_read_again_once() -> None:
    clock = ManualClock()
    sim = SimulatedRdsSqlServer(clock=clock.now)
    asked: list[bool] = []

    def credentials(refresh: bool) -> Credentials:
        asked.append(refresh)
        return Credentials(sim.username, sim.password if refresh else "stale")

    sql = SqlServer(sim.connect, Endpoint("h", 1433), credentials, 5, 5)
    assert sql.database_exists("master")
    assert asked == [False, True]


def test_a_wrong_password_stays_a_login_failure(sql_sim: SimulatedRdsSqlServer) -> None:
    sql = SqlServer(sql_sim.connect, Endpoint("h", 1433), lambda _: Credentials("admin", "x"), 5, 5)
    with pytest.raises(SqlAccessDenied) as caught:
        sql.database_exists("master")
    assert caught.value.code == "SQL_LOGIN_FAILED"
    assert "x" not in str(caught.value).replace("admin", "")  # no password in the message


def test_connection_failures_are_transient(sql: SqlServer, sql_sim: SimulatedRdsSqlServer) -> None:
    sql_sim.connect_failures.append(
        pymssql_errors.OperationalError(
            (20009, b"DB-Lib error message 20009, severity 9:\nUnable to connect: TDS server")
        )
    )
    with pytest.raises(TransientDependencyError, match="Unable to connect"):
        sql.database_exists("master")


def test_unknown_statements_are_syntax_errors_in_the_simulator(
    sql_sim: SimulatedRdsSqlServer,
) -> None:
    cursor = sql_sim.connect(
        user="admin", password=sql_sim.password, encryption="require", autocommit=True
    ).cursor()
    with pytest.raises(pymssql_errors.ProgrammingError):
        cursor.execute("DROP DATABASE Northwind")
    with pytest.raises(pymssql_errors.OperationalError, match="transaction"):
        sql_sim.connect(
            user="admin", password=sql_sim.password, encryption="require"
        ).cursor().execute("EXEC msdb.dbo.rds_task_status @task_id = %d", (1,))


@pytest.mark.parametrize(
    ("number", "message", "kind", "code"),
    [
        (
            2812,
            b"Could not find stored procedure 'msdb.dbo.rds_restore_database'.",
            TargetNotReady,
            "RESTORE_OPTION_MISSING",
        ),
        (229, b"The EXECUTE permission was denied", SqlAccessDenied, "SQL_PERMISSION_DENIED"),
        (1205, b"Transaction was deadlocked", TransientDependencyError, "DEPENDENCY_UNAVAILABLE"),
        (
            50000,
            b"Database 'X' already exists. Two databases that differ only by case",
            DatabaseAlreadyExists,
            "DATABASE_EXISTS",
        ),
    ],
)
def test_sql_errors_map_to_catalogued_errors(
    number: int, message: bytes, kind: type, code: str
) -> None:
    error = translate_sql_error(pymssql_errors.OperationalError(number, message))
    assert isinstance(error, kind)
    assert error.code == code


@pytest.mark.parametrize(
    ("task_info", "code"),
    [
        ("Access Denied", "RESTORE_ACCESS_DENIED"),
        ("Key arn:aws:kms:us-east-1:1:key/x does not exist", "RESTORE_KMS_KEY"),
        (
            "User arn:x is not authorized to perform kms:Decrypt on resource arn:y",
            "RESTORE_KMS_KEY",
        ),
        (
            "Please specify a bucket that is in the same region as RDS instance",
            "RESTORE_BUCKET_REGION",
        ),
        (
            "The Restore task is unable to restore from more than 10 backup file(s).",
            "RESTORE_TOO_MANY_FILES",
        ),
        ("There is insufficient free space on disk volume 'D:\\'", "RESTORE_NO_SPACE"),
        (
            "The database was backed up on a server running version 16.00.1000. "
            "That version is incompatible with this server",
            "RESTORE_BACKUP_TOO_NEW",
        ),
        ("The media family on device is incorrectly formed.", "RESTORE_BACKUP_UNREADABLE"),
        (
            "Database backup/restore option is not enabled yet or is in the process of "
            "being enabled.",
            "RESTORE_OPTION_MISSING",
        ),
        ("Something nobody has seen before", "RESTORE_FAILED"),
    ],
)
def test_documented_task_info_texts_are_classified(task_info: str, code: str) -> None:
    assert classify_restore_message(task_info) == code


def test_times_are_read_in_the_instance_time_zone(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    sql_sim.utc_offset_minutes = -300
    sql.start_restore("Northwind", ARN, None)
    task = sql.restore_tasks_for("Northwind")[0]
    assert task.created_at == (clock.now() - timedelta(minutes=300)).replace(tzinfo=None)
    assert sql.utc_offset_minutes() == -300

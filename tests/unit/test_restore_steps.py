"""Start Restore, Check Restore and Derive Start LSN against the simulated RDS endpoint."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bak2rds.adapters.sqlserver import SqlServer
from bak2rds.errors import (
    DatabaseAlreadyExists,
    RestoreAlreadyRunning,
    RestoreHistoryMissing,
    RestoreTaskCancelled,
    TargetNotReady,
)
from bak2rds.lsn import Lsn
from bak2rds.models import Migration, Restore
from bak2rds.steps import check_restore, derive_start_lsn, start_restore
from localrun import samples
from localrun.clock import ManualClock
from localrun.sqlserver import BackupInS3, SimulatedRdsSqlServer
from tests import states

ARN = "arn:aws:s3:::staging/in/Northwind.bak"
BACKUP = samples.backup_in_s3(restore_duration=timedelta(hours=1))
MIGRATION: Migration = {
    **states.MIGRATION,
    "s3_arn": ARN,
    "restores": [{**states.MIGRATION["restores"][0], "s3_arn": ARN}],
}
# When the execution began (only a chain's second restore looks at it)
EXECUTION_STARTED = datetime(2026, 1, 1, tzinfo=UTC)


def _start(sql: SqlServer, clock: ManualClock, started_at: Any = None) -> Restore:
    execution_started = started_at or clock.now()
    return start_restore.run(MIGRATION, sql, None, execution_started, clock.now())


def test_start_restore_starts_one_task(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    sql_sim.add_backup(ARN, BACKUP)
    restore = _start(sql, clock)
    assert restore["task_id"] == 1
    assert restore["reused_existing_task"] is False
    assert sql_sim.restores_started() == 1


def test_a_retried_start_reuses_the_running_task(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    # Given a Lambda that died right after rds_restore_database returned
    sql_sim.add_backup(ARN, BACKUP)
    first = _start(sql, clock)
    clock.advance(90)
    # When Step Functions retries the step
    again = _start(sql, clock, started_at=clock.now() - timedelta(seconds=95))
    # Then the same task is reported and no second restore exists
    assert again["task_id"] == first["task_id"]
    assert again["reused_existing_task"] is True
    assert sql_sim.restores_started() == 1


def test_a_retry_after_a_quick_restore_finished_reuses_the_finished_task(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    sql_sim.add_backup(
        ARN, BackupInS3("Northwind", 1, 1, 1, restore_duration=timedelta(seconds=20))
    )
    execution_started = clock.now()
    _start(sql, clock, started_at=execution_started)
    clock.advance(60)  # the restore finished, the database now exists
    again = _start(sql, clock, started_at=execution_started)
    assert again["reused_existing_task"] is True
    assert sql_sim.restores_started() == 1


def test_reuse_respects_the_instance_time_zone(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    sql_sim.utc_offset_minutes = -300  # an instance set to US Eastern time
    sql_sim.add_backup(
        ARN, BackupInS3("Northwind", 1, 1, 1, restore_duration=timedelta(seconds=20))
    )
    execution_started = clock.now()
    _start(sql, clock, started_at=execution_started)
    clock.advance(60)
    again = _start(sql, clock, started_at=execution_started)
    assert again["reused_existing_task"] is True
    assert sql_sim.restores_started() == 1


def test_an_older_finished_restore_of_the_same_file_is_not_taken_for_this_one(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    # Given yesterday's restore of the same key, since dropped by the DBA
    sql_sim.add_backup(
        ARN, BackupInS3("Northwind", 1, 1, 1, restore_duration=timedelta(seconds=20))
    )
    _start(sql, clock)
    clock.advance(86400)
    assert sql.restore_task(1) is not None  # the instance finishes the restore
    sql_sim.databases.discard("Northwind")
    # When a new upload of the same key starts a new migration
    restore = _start(sql, clock)
    # Then a new restore is started
    assert restore["reused_existing_task"] is False
    assert sql_sim.restores_started() == 2


def test_an_existing_database_is_never_restored_over(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    sql_sim.databases.add("Northwind")
    with pytest.raises(DatabaseAlreadyExists):
        _start(sql, clock)
    assert sql_sim.restores_started() == 0


def test_a_running_restore_of_another_file_stops_the_migration(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    sql_sim.add_backup("arn:aws:s3:::staging/old/Northwind.bak", BACKUP)
    sql.start_restore("Northwind", "arn:aws:s3:::staging/old/Northwind.bak", None)
    with pytest.raises(RestoreAlreadyRunning, match=r"old/Northwind\.bak"):
        _start(sql, clock)
    assert sql_sim.restores_started() == 1


def test_check_restore_reports_progress_and_a_backed_off_wait(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    sql_sim.add_backup(ARN, BACKUP)
    restore = _start(sql, clock)
    clock.advance(1800)
    checked = check_restore.run(restore, MIGRATION, sql, None, EXECUTION_STARTED, clock.now())
    assert (checked["lifecycle"], checked["percent_complete"]) == ("IN_PROGRESS", 50)
    assert checked["succeeded"] is False
    assert 90 <= checked["wait_seconds"] <= 3600
    clock.advance(1800)
    done = check_restore.run(checked, MIGRATION, sql, None, EXECUTION_STARTED, clock.now())
    assert done["succeeded"] is True
    assert done["elapsed_seconds"] == 3600


def test_check_restore_fails_with_the_code_of_task_info(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    sql_sim.add_backup(
        ARN,
        BackupInS3("Northwind", 1, 1, 1, fails_with="There is insufficient free space on disk"),
    )
    restore = _start(sql, clock)
    clock.advance(3600)
    with pytest.raises(TargetNotReady) as caught:  # RDS found the target too small
        check_restore.run(restore, MIGRATION, sql, None, EXECUTION_STARTED, clock.now())
    assert caught.value.code == "RESTORE_NO_SPACE"
    assert "insufficient free space" in str(caught.value)


def test_check_restore_fails_on_cancel(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    sql_sim.add_backup(ARN, BACKUP)
    restore = _start(sql, clock)
    sql_sim.cancel(restore["task_id"])
    with pytest.raises(RestoreTaskCancelled):
        check_restore.run(restore, MIGRATION, sql, None, EXECUTION_STARTED, clock.now())


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("first_lsn", BACKUP.first_lsn),
        ("checkpoint_lsn", BACKUP.checkpoint_lsn),
        ("last_lsn", BACKUP.last_lsn),
    ],
)
def test_start_lsn_comes_from_the_restored_backup(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock, strategy: str, expected: int
) -> None:
    sql_sim.add_backup(ARN, BACKUP)
    _start(sql, clock)
    clock.advance(3600)
    start = derive_start_lsn.run(MIGRATION, sql, strategy)
    assert start["numeric"] == str(expected)
    assert start["dms"] == Lsn.from_numeric(expected).to_dms()
    assert start["source_database"] == "Northwind"
    assert start["backup"]["first_lsn"] == "00000014:000000f3:0001"


def test_no_restore_history_is_a_clear_error(sql: SqlServer) -> None:
    with pytest.raises(RestoreHistoryMissing):
        derive_start_lsn.run(MIGRATION, sql, "first_lsn")

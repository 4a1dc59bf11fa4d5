"""Read Apply Exceptions on the simulated instance: this task's rows, or none at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bak2rds.adapters.apply_exceptions import ApplyExceptions
from bak2rds.adapters.sqlserver import START_RESTORE, SqlServer
from bak2rds.steps import read_apply_exceptions
from localrun.clock import ManualClock
from localrun.samples import backup_in_s3
from localrun.sqlserver import SimulatedRdsSqlServer

S3_ARN = "arn:aws:s3:::b/Sales.bak"
TASK_ARN = "arn:aws:dms:us-east-1:123456789012:task:ABCDEFGHIJKLMNOP"
NOW = datetime(2026, 12, 2, tzinfo=UTC)


def restored(sql_sim: SimulatedRdsSqlServer, clock: ManualClock) -> None:
    sql_sim.add_backup(S3_ARN, backup_in_s3("Sales"))
    sql_sim.execute(START_RESTORE, ("Sales", S3_ARN, "FULL", 0), autocommit=True)
    clock.advance(timedelta(hours=1).total_seconds())
    assert sql_sim.database_exists("Sales")  # the simulator catches up with the clock


def row(task: str, time: str) -> dict[str, str]:
    return {
        "TASK_NAME": task,
        "TABLE_OWNER": "dbo",
        "TABLE_NAME": "Orders",
        "ERROR_TIME": time,
        "STATEMENT": "UPDATE [dbo].[Orders] SET ...",
        "ERROR": "0 rows affected",
    }


def test_only_this_tasks_exceptions_are_read_newest_first(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    restored(sql_sim, clock)
    sql_sim.apply_exceptions["sales"] += [
        row("ABCDEFGHIJKLMNOP", "2026-12-01T10:00:00"),
        row("ABCDEFGHIJKLMNOP", "2026-12-01T11:00:00"),
        row("SOMEONEELSESTASK", "2026-12-01T12:00:00"),
    ]

    found = read_apply_exceptions.run(ApplyExceptions(sql, "Sales"), TASK_ARN, NOW)

    assert (found["table_found"], found["count"]) == (True, 2)
    assert [e["error_time"] for e in found["recent"]] == [
        "2026-12-01T11:00:00",
        "2026-12-01T10:00:00",
    ]
    assert found["recent"][0]["table"] == "[dbo].[Orders]"


def test_no_exceptions_table_means_none_recorded(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    restored(sql_sim, clock)
    del sql_sim.apply_exceptions["sales"]  # DMS never created it (under dbo or dmslogs)

    found = read_apply_exceptions.run(ApplyExceptions(sql, "Sales"), TASK_ARN, NOW)

    assert (found["table_found"], found["count"], found["recent"]) == (False, 0, [])

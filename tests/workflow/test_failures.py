"""Migrations that cannot finish stop with a catalogue code and one failure message.

The Fail state takes its Error and Cause from the Notify Failure result (ErrorPath/
CausePath), so the execution's error is the code a person looks up in the README.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from localrun import samples
from localrun.runtime import LocalRuntime
from localrun.sqlserver import BackupInS3, SimulatedRdsSqlServer

pytestmark = pytest.mark.workflow

KEY = "incoming/Northwind.bak"
ACCESS_DENIED = (
    "[2026-11-21 08:40:00.000] Task execution has started.\n"
    "[2026-11-21 08:40:01.000] Aborted the task because of a task failure or an overlap "
    "with your preferred backup window for RDS automated backup.\n"
    "[2026-11-21 08:40:01.000] Task has been aborted\n"
    "[2026-11-21 08:40:01.000] Error making request with Error Code Forbidden and Http "
    "Status Code Forbidden. No further retries will be attempted. Error Message: Access Denied"
)


def backup(fails_with: str | None = None) -> BackupInS3:
    return samples.backup_in_s3(
        restore_duration=timedelta(hours=1),
        fails_with=fails_with,
    )


def failure_notice(runtime: LocalRuntime) -> str:
    """The one failure message, after the milestones reached before it."""
    failures = [n for n in runtime.notifications() if n.attributes.get("event") == "FAILED"]
    assert len(failures) == 1
    return failures[0].message


def started_execution(runtime: LocalRuntime, fails_with: str | None = None) -> str:
    return runtime.start_migration(KEY, backup(fails_with))


@pytest.mark.parametrize(
    ("task_info", "code"),
    [
        (ACCESS_DENIED, "RESTORE_ACCESS_DENIED"),
        (
            "There is insufficient free space on disk volume 'D:\\' to create the database.",
            "RESTORE_NO_SPACE",
        ),
        (
            "The database was backed up on a server running version 16.00.4135. That version "
            "is incompatible with this server, which is running version 15.00.4415.",
            "RESTORE_BACKUP_TOO_NEW",
        ),
    ],
)
def test_a_restore_ending_in_error_fails_with_its_code_and_task_info(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer, task_info: str, code: str
) -> None:
    started_execution(runtime, fails_with=task_info)

    (execution,) = runtime.run_until_done()

    assert (execution.status, execution.error) == ("FAILED", code)
    assert execution.state_names[-2:] == ["Notify Failure", "Migration Failed"]
    assert execution.cause is not None and "What to do:" in execution.cause
    assert [n.subject for n in runtime.notifications()] == [
        "[bak2rds] Northwind: restore started",
        f"[bak2rds] Northwind: FAILED {code}",
    ]
    notice = failure_notice(runtime)
    assert f"Error: {code}" in notice
    assert task_info.splitlines()[-1] in notice  # RDS's own words reach the DBA
    assert "Northwind" not in sql_sim.databases
    # DMS was prepared during the restore; nothing was started, and what was made is kept
    assert all(task.start_requested_at is None for task in runtime.dms.tasks.values())
    assert "DMS resources of this migration are kept" in notice
    assert "RDS goes on with it" not in notice  # the restore task itself ended


def test_a_cancelled_restore_fails_with_restore_cancelled(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    started_execution(runtime)
    began = runtime.now
    # When a DBA cancels the restore 20 minutes in (msdb.dbo.rds_cancel_task)
    runtime.run_until(lambda: runtime.now >= began + timedelta(minutes=20))
    (task,) = sql_sim.tasks
    assert task.lifecycle == "IN_PROGRESS"
    sql_sim.cancel(task.task_id)

    (execution,) = runtime.run_until_done()

    assert (execution.status, execution.error) == ("FAILED", "RESTORE_CANCELLED")
    assert [n.subject for n in runtime.notifications()] == [
        "[bak2rds] Northwind: restore started",
        "[bak2rds] Northwind: FAILED RESTORE_CANCELLED",
    ]
    assert "was cancelled" in failure_notice(runtime)
    assert all(task.start_requested_at is None for task in runtime.dms.tasks.values())


def test_a_dms_task_failing_while_catching_up_fails_with_dms_task_failed(
    runtime: LocalRuntime,
) -> None:
    arn = started_execution(runtime)
    # When the DMS task fails after CDC has been checked twice (still catching up)
    runtime.run_until(lambda: runtime.execution(arn).visits("Check CDC") >= 2)
    (task,) = runtime.dms.tasks.values()
    assert runtime.dms.status(task.arn) == "running"
    runtime.dms.fail(
        task.arn, "Last Error Cannot read the transaction log. Stop Reason FATAL_ERROR"
    )

    (execution,) = runtime.run_until_done()

    assert (execution.status, execution.error) == ("FAILED", "DMS_TASK_FAILED")
    assert execution.visits("Notify Ready For Cutover") == 0
    headlines = [n.subject.removeprefix("[bak2rds] Northwind: ") for n in runtime.notifications()]
    assert [headline.split(" in ")[0] for headline in headlines] == [
        "restore started",
        "restore finished",
        "CDC started at 00000014:000000f3:0001",
        # DMS's own event, e-mailed at once by Alert (tests/workflow/test_alerts.py)
        f"[bak2rds] {execution.name}: DMS task {runtime.dms.task(task.arn).identifier} failed",
        "FAILED DMS_TASK_FAILED",
    ]
    assert "Cannot read the transaction log" in failure_notice(runtime)

"""A backup dropped into the staging bucket becomes a caught-up copy on RDS.

Every test starts from the EventBridge event the upload produces, runs the real state
machine to its end in simulated time, and judges the execution, its history, the DMS task
and the SNS messages.
"""

from __future__ import annotations

import re
from datetime import timedelta

import boto3
import pytest
from pymssql import exceptions as pymssql_errors

from localrun import samples
from localrun.runtime import LocalRuntime
from localrun.sqlserver import SimulatedRdsSqlServer
from tests.workflow.conftest import StartRuntime

pytestmark = pytest.mark.workflow

KEY = "incoming/Northwind.bak"
# docs/design.md's example: numeric 20000000024300001 is DMS's 00000014:000000f3:0001.
BACKUP = samples.backup_in_s3(restore_duration=timedelta(hours=6))
UNREACHABLE = pymssql_errors.OperationalError(
    (
        20009,
        b"DB-Lib error message 20009, severity 9:\nUnable to connect: Adaptive Server is "
        b"unavailable or does not exist (bak2rds-target.example)\n",
    )
)
MILESTONES = (  # subjects as messages.py writes them; the restore took six hours
    r"\[bak2rds\] Northwind: restore started",
    r"\[bak2rds\] Northwind: restore finished in 6h \d+m",
    r"\[bak2rds\] Northwind: CDC started at 00000014:000000f3:0001",
    r"\[bak2rds\] Northwind: ready for cutover, approve or reject",
)


def assert_milestones_published(runtime: LocalRuntime) -> None:
    subjects = [n.subject for n in runtime.notifications()]
    assert len(subjects) == len(MILESTONES), subjects
    for subject, pattern in zip(subjects, MILESTONES, strict=True):
        assert re.fullmatch(pattern, subject), subject


def test_an_upload_is_restored_and_caught_up_by_cdc_from_the_backups_first_lsn(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    # Given a six-hour restore of Northwind
    upload = runtime.upload(KEY, BACKUP)

    # When S3's event for the upload reaches the rule's target
    (started,) = runtime.deliver(upload.event)
    (execution,) = runtime.run_until_done()

    # Then the execution is caught up and waits for the cutover approval
    assert execution.arn == started["execution_arn"] and not started["duplicate"]
    assert execution.waiting_for_approval and runtime.waiting_for_approval == 1
    assert execution.state_names[:5] == [
        "Read Backup Object",
        "Check Target",
        "Start Restore",
        "Notify Restore Started",
        "Restore And Prepare CDC",
    ]
    assert execution.state_names[-2:] == ["Set Approval Timeout", "Request Cutover Approval"]
    assert_milestones_published(runtime)

    # and one restore of that object ran, once
    (task,) = sql_sim.tasks
    assert (task.database_name, task.s3_arn, task.lifecycle) == (
        "Northwind",
        upload.s3_arn,
        "SUCCESS",
    )

    # and the start LSN was read from msdb's record of that restore
    (restored,) = sql_sim.restore_history
    assert restored["first_lsn"] == BACKUP.first_lsn
    assert any("msdb.dbo.restorehistory" in statement for statement, _ in sql_sim.executed)
    assert execution.data["start_lsn"]["strategy"] == "first_lsn"

    # and the DMS task is CDC-only, onto the restored tables, started at the backup's first_lsn
    cdc = runtime.dms.task(execution.data["cdc"]["task_arn"])
    assert (cdc.start_type, cdc.cdc_start_position) == (
        "start-replication",
        "00000014:000000f3:0001",
    )
    (described,) = boto3.client("dms").describe_replication_tasks(
        Filters=[{"Name": "replication-task-arn", "Values": [cdc.arn]}]
    )["ReplicationTasks"]
    assert described["MigrationType"] == "cdc"
    assert described["Status"] == "running"
    assert '"TargetTablePrepMode": "DO_NOTHING"' in described["ReplicationTaskSettings"]


def test_six_hours_of_restore_cost_few_checks_and_are_seen_finished_promptly(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    runtime.start_migration(KEY, BACKUP)
    (execution,) = runtime.run_until_done()

    (task,) = sql_sim.tasks
    assert task.finished_at is not None
    seen_finished = next(
        s.entered_at for s in execution.states if s.name == "Notify Restore Finished"
    )
    # Polling backs off (docs/design.md "Polling that costs little") yet notices the end
    # within 5 % of the time the restore took.
    assert timedelta(0) <= seen_finished - task.finished_at <= timedelta(hours=6) * 0.05
    assert execution.visits("Check Restore") <= 30
    assert execution.simulated_duration > timedelta(hours=6)
    assert len(execution.history) < 1000  # far below the 25,000-event limit


def test_a_transient_sql_connection_failure_is_retried_and_the_migration_goes_on(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    # Given the instance refuses the first two connections (Start Restore's first attempts)
    sql_sim.connect_failures.extend([UNREACHABLE, UNREACHABLE])

    runtime.start_migration(KEY, BACKUP)
    (execution,) = runtime.run_until_done()

    assert execution.waiting_for_approval
    assert [error for error, _ in execution.lambda_failures()] == ["TransientDependencyError"] * 2
    assert execution.visits("Start Restore") == 1  # retried inside the state
    assert execution.retries == 2
    assert runtime.lambdas.count("StartRestoreFunction") == 3
    assert sql_sim.restores_started() == 1
    assert_milestones_published(runtime)


def test_the_same_object_event_delivered_again_starts_no_second_execution_or_restore(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    upload = runtime.upload(KEY, BACKUP)
    first = runtime.deliver(upload.event)
    # EventBridge redelivers the same event while the migration runs ...
    redelivered = runtime.deliver(upload.event)
    # ... and S3 sends a second event (another id) for the same object version.
    again = runtime.object_created_event(KEY, upload.size, upload.etag, upload.version_id)
    second_event = runtime.deliver(again)
    runtime.run_until_done()
    # A redelivery after the migration finished.
    late = runtime.deliver(upload.event)

    responses = [*first, *redelivered, *second_event, *late]
    assert len({r["execution_arn"] for r in responses}) == 1
    # Every delivery after the first is recognised as a duplicate, running or finished.
    assert [r["duplicate"] for r in responses] == [False, True, True, True]
    assert len(runtime.executions()) == 1
    assert sql_sim.restores_started() == 1
    assert_milestones_published(runtime)


def test_the_start_lsn_strategy_parameter_reaches_the_dms_task(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime(parameters={"StartLsnStrategy": "checkpoint_lsn"})

    runtime.start_migration(KEY, BACKUP)
    (execution,) = runtime.run_until_done()

    assert execution.waiting_for_approval
    task = runtime.dms.task(execution.data["cdc"]["task_arn"])
    assert task.cdc_start_position == "00000014:000000f5:0001"  # 20000000024500001


def test_a_newer_upload_of_the_same_key_does_not_adopt_the_restore_under_way(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    # Given a restore of Northwind.bak under way for 30 minutes
    first = runtime.start_migration(KEY, BACKUP)
    began = runtime.now
    runtime.run_until(lambda: runtime.now >= began + timedelta(minutes=30))

    # When the DBA uploads Northwind.bak again (a new version of the key)
    second = runtime.start_migration(KEY, BACKUP)
    executions = {execution.arn: execution for execution in runtime.run_until_done()}

    # Then the restore under way stays the first migration's; the second one stops
    assert executions[first].waiting_for_approval
    assert (executions[second].status, executions[second].error) == (
        "FAILED",
        "RESTORE_ALREADY_RUNNING",
    )
    assert sql_sim.restores_started() == 1
    assert len(runtime.dms.tasks) == 1  # one CDC task applies changes to Northwind, not two

"""Any backup migrates, side by side with others: DMS endpoints and a task made per migration,
prepared while the restore runs, tested, and removed after the cutover."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from unittest import mock

import boto3
import pytest

from bak2rds.adapters.dms import Dms
from bak2rds.naming import dms_endpoint_identifier
from localrun import samples
from localrun.lambdas import crash_once_after
from localrun.results import ExecutionResult
from localrun.runtime import LocalRuntime
from localrun.sqlserver import BackupInS3, SimulatedRdsSqlServer
from tests.workflow.conftest import ended_in_failure
from tests.workflow.test_approval import press

pytestmark = pytest.mark.workflow

# Three databases of different sizes, each with its own LSNs (numeric msdb form).
FLEET = {
    "Northwind": samples.backup_in_s3("Northwind", timedelta(hours=2)),
    "Sales": BackupInS3(
        "Sales", 31000000010000007, 31000000010100001, 31000000011000001, timedelta(hours=3)
    ),
    "Pubs": BackupInS3(
        "Pubs", 42000000020000001, 42000000020100001, 42000000021000001, timedelta(hours=1)
    ),
}


def endpoint(arn: str) -> dict[str, Any]:
    (found,) = boto3.client("dms").describe_endpoints(
        Filters=[{"Name": "endpoint-arn", "Values": [arn]}]
    )["Endpoints"]
    return dict(found)


def by_database(executions: list[ExecutionResult]) -> dict[str, ExecutionResult]:
    return {e.data["migration"]["database_name"]: e for e in executions}


def test_three_databases_dropped_at_once_each_migrate_with_their_own_dms_resources(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    # Given one stack with no per-database setting, three backups dropped together
    for name, backup in FLEET.items():
        runtime.deliver(runtime.upload(f"incoming/{name}.bak", backup).event)

    executions = by_database(runtime.run_until_done())

    # Then each reaches the cutover approval, with one restore each
    assert sorted(executions) == sorted(FLEET)
    assert all(e.waiting_for_approval for e in executions.values())
    assert sorted(task.database_name for task in sql_sim.tasks) == sorted(FLEET)
    # and its own task, reading that database on the source and writing it on RDS
    dms = boto3.client("dms")
    for name, execution in executions.items():
        task_arn = execution.data["cdc"]["task_arn"]
        (task,) = dms.describe_replication_tasks(
            Filters=[{"Name": "replication-task-arn", "Values": [task_arn]}]
        )["ReplicationTasks"]
        source, target = endpoint(task["SourceEndpointArn"]), endpoint(task["TargetEndpointArn"])
        assert (source["EndpointType"].lower(), source["DatabaseName"]) == ("source", name)
        assert (target["EndpointType"].lower(), target["DatabaseName"]) == ("target", name)
        assert runtime.dms.task(task_arn).status_history[-1][1] == "running"
    # RDS ran two restores at once: the third to reach it was reported queued, not failed
    third = next(task.database_name for task in sql_sim.tasks if task.task_id == 3)
    started = {
        n.attributes["database"]: n
        for n in runtime.notifications()
        if n.attributes.get("event") == "RESTORE_STARTED"
    }
    assert started[third].subject == f"[bak2rds] {third}: restore queued behind 2 RDS tasks"
    assert "Queued, not failed" in started[third].message
    assert "2 are running" in started[third].message
    assert sum("Queued" in n.message for n in started.values()) == 1
    assert not any(n.attributes.get("event") == "FAILED" for n in runtime.notifications())

    # When the cutover of one of them is approved
    email = next(e for e in runtime.approval_emails() if "[bak2rds] Sales:" in e.subject)
    assert press(runtime, email.approve_link, "approve").status == 200
    runtime.dms.stop_source_writes(executions["Sales"].data["cdc"]["task_arn"])
    done = by_database(runtime.run_until_done())

    # Then only its task and endpoints are deleted; the others replicate on
    assert done["Sales"].status == "SUCCEEDED"
    sales = done["Sales"].data
    assert runtime.dms.deleted_tasks == [sales["cdc"]["task_id"]]
    assert runtime.dms_connections.deleted_endpoints == [
        sales["dms"]["source_endpoint_id"],
        sales["dms"]["target_endpoint_id"],
    ]
    for name in ("Northwind", "Pubs"):
        assert done[name].waiting_for_approval
        assert runtime.dms.status(done[name].data["cdc"]["task_arn"]) == "running"
    complete = runtime.notifications()[-1]
    assert complete.subject == "[bak2rds] Sales: cutover complete"
    assert "were deleted (only this migration's)" in complete.message
    assert "Sales" in sql_sim.databases  # the database is never touched by the cleanup


def test_dms_is_ready_when_the_restore_ends_so_cdc_starts_within_a_minute(
    runtime: LocalRuntime,
) -> None:
    runtime.start_migration("incoming/Northwind.bak", FLEET["Northwind"])
    (execution,) = runtime.run_until_done()

    history = execution.history
    restored = next(
        e["timestamp"]
        for e in history
        if e["type"] == "TaskStateExited"
        and e["stateExitedEventDetails"]["name"] == "Check Restore"
        and '"succeeded":true' in e["stateExitedEventDetails"]["output"].replace(" ", "")
    )
    (task,) = runtime.dms.tasks.values()
    assert task.created_at < restored  # the task was made during the restore
    assert task.start_requested_at is not None
    assert task.start_requested_at - restored <= timedelta(seconds=60)


def refuse_endpoint(runtime: LocalRuntime, role: str, message: str) -> str:
    """Upload Northwind and make DMS's test of its ``role`` endpoint fail; the execution."""
    (started,) = runtime.deliver(runtime.upload("incoming/Northwind.bak", FLEET["Northwind"]).event)
    runtime.dms_connections.refuse(
        dms_endpoint_identifier(started["execution_name"], role), message
    )
    return str(started["execution_name"])


def test_a_source_dms_cannot_reach_stops_the_migration_early_and_says_the_restore_goes_on(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    name = refuse_endpoint(runtime, "source", "Login failed for user 'dms_reader'.")

    execution, message = ended_in_failure(runtime, "DMS_SOURCE_UNREACHABLE")

    # It failed within minutes of a two-hour restore, with DMS's own words and what to check
    assert execution.stopped_at is not None
    assert execution.stopped_at - execution.started_at < timedelta(minutes=5)
    assert "Login failed for user 'dms_reader'." in message
    assert "security groups" in message and "SSL" in message
    # the restore RDS is running goes on, and the e-mail says so and how to stop it
    assert "RDS goes on with it" in message and "rds_cancel_task @task_id = 1" in message
    assert runtime.dms.tasks == {}  # no task between endpoints that cannot connect
    assert dms_endpoint_identifier(name, "source") in message  # kept, and how to remove them
    runtime.clock.advance(timedelta(hours=3).total_seconds())
    assert sql_sim.database_exists("Northwind") and sql_sim.tasks[0].lifecycle == "SUCCESS"


def test_a_target_dms_cannot_reach_fails_after_the_restore_and_keeps_the_database(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    refuse_endpoint(runtime, "target", "TCP Provider: Error code 0x102")

    _, message = ended_in_failure(runtime, "DMS_TARGET_UNREACHABLE")

    assert "TCP Provider: Error code 0x102" in message
    assert "Northwind" in sql_sim.databases
    assert "may not have finished" not in message  # the restore had finished
    ((task),) = runtime.dms.tasks.values()
    assert task.start_requested_at is None  # CDC never started


def test_the_target_is_tested_only_once_its_database_exists(runtime: LocalRuntime) -> None:
    """DMS cannot open a database that is still being restored: a test during the restore
    would fail, so the workflow tests the target after it (the simulator refuses the same)."""
    runtime.start_migration("incoming/Northwind.bak", FLEET["Northwind"])
    (execution,) = runtime.run_until_done()

    assert execution.waiting_for_approval
    assert runtime.lambdas.count("DmsConnectionTestFunction") >= 2
    tested = [
        e["timestamp"]
        for e in execution.history
        if e["type"] == "TaskStateEntered"
        and e["stateEnteredEventDetails"]["name"] == "Test Target Connection"
    ]
    finished = runtime.sql.tasks[0].finished_at
    assert finished is not None and min(tested) >= finished


def test_a_task_dms_refuses_to_create_stops_the_migration_during_the_restore(
    runtime: LocalRuntime,
) -> None:
    runtime.dms.refuse_task_creation("Invalid table mappings: no selection rule")
    runtime.start_migration("incoming/Northwind.bak", FLEET["Northwind"])

    execution, message = ended_in_failure(runtime, "DMS_REQUEST_REJECTED")

    assert "Invalid table mappings: no selection rule" in message
    assert "RDS goes on with it" in message
    assert execution.stopped_at is not None
    assert execution.stopped_at - execution.started_at < timedelta(minutes=5)


def test_a_crash_right_after_create_endpoint_reuses_the_endpoint_on_retry(
    runtime: LocalRuntime,
) -> None:
    with mock.patch.object(
        Dms,
        "create_endpoint",
        crash_once_after(Dms.create_endpoint, "killed right after CreateEndpoint returned"),
    ):
        runtime.start_migration("incoming/Northwind.bak", FLEET["Northwind"])
        (execution,) = runtime.run_until_done()

    assert [error for error, _ in execution.lambda_failures()] == ["Lambda.Unknown"]
    assert runtime.lambdas.count("CreateDmsEndpointsFunction") == 2
    assert execution.waiting_for_approval
    endpoints = boto3.client("dms").describe_endpoints()["Endpoints"]
    assert sorted(e["EndpointIdentifier"] for e in endpoints) == sorted(
        dms_endpoint_identifier(execution.name, role) for role in ("source", "target")
    )


def test_no_dms_credential_reaches_the_state_the_logs_or_the_emails(
    runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    """The endpoints hold only secret ARNs; the passwords stay in Secrets Manager."""
    secrets = boto3.client("secretsmanager")
    passwords = {
        json.loads(secrets.get_secret_value(SecretId=runtime.parameter(name))["SecretString"])[
            "password"
        ]
        for name in ("DmsSourceSecretArn", "DmsTargetSecretArn")
    }
    runtime.start_migration("incoming/Northwind.bak", FLEET["Pubs"])
    (execution,) = runtime.run_until_done()

    assert execution.waiting_for_approval
    seen = [
        json.dumps(execution.history, default=str),
        json.dumps(boto3.client("dms").describe_endpoints()["Endpoints"], default=str),
        *(n.message for n in runtime.notifications()),
        capsys.readouterr().out,  # the handlers' log lines
    ]
    for password in passwords:
        assert not any(password in text for text in seen)


def test_a_crash_right_after_deleting_an_endpoint_still_cleans_up_after_the_cutover(
    runtime: LocalRuntime,
) -> None:
    runtime.start_migration("incoming/Northwind.bak", FLEET["Pubs"])
    (waiting,) = runtime.run_until_done()
    email = runtime.approval_emails()[0]
    assert press(runtime, email.approve_link, "approve").status == 200
    runtime.dms.stop_source_writes()

    with mock.patch.object(
        Dms, "delete_endpoint", crash_once_after(Dms.delete_endpoint, "killed after DeleteEndpoint")
    ):
        (done,) = runtime.run_until_done()

    assert done.status == "SUCCEEDED" and "dms_cleanup_failure" not in done.output
    assert [error for error, _ in done.lambda_failures()] == ["Lambda.Unknown"]
    assert done.output["dms_cleanup"]["done"]
    assert sorted(runtime.dms_connections.deleted_endpoints) == sorted(
        dms_endpoint_identifier(waiting.name, role) for role in ("source", "target")
    )
    assert "were deleted (only this migration's)" in runtime.notifications()[-1].message

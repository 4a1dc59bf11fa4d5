"""The fault matrix: every dependency call by transient, throttle, timeout and permanent faults.

Recoverable faults (the first two calls fail, the third works) must be retried with backoff
and the migration must reach the cutover approval as if nothing happened. A permanent fault
must end in the failure path with its catalogued code. In no cell may a second restore or a
second DMS task start, a database be dropped, or a milestone or failure message be lost or
sent twice. The faults must really be hit: each cell checks its faults were consumed.
"""

from __future__ import annotations

import json
from unittest import mock

import pymssql
import pytest

from bak2rds.adapters.sqlserver import SqlServer
from localrun import samples
from localrun.faults import AwsFaults, FaultKind
from localrun.lambdas import crash_once_after
from localrun.runtime import ExecutionResult, LocalRuntime
from localrun.sqlserver import SimulatedRdsSqlServer
from tests.workflow.conftest import ended_in_failure

pytestmark = pytest.mark.workflow

KEY = "incoming/Northwind.bak"
BACKUP = samples.backup_in_s3()
KINDS: tuple[FaultKind, ...] = ("transient", "throttle", "timeout", "permanent")
RECOVERABLE_FAILURES = 2  # fewer than every Retry's attempts
PERMANENT_FAILURES = 50  # more calls than any run makes
MILESTONES = ("RESTORE_STARTED", "RESTORE_FINISHED", "CDC_STARTED")

AWS_CALLS = {
    "S3 HeadObject": ("s3", "HeadObject"),
    "S3 GetObject": ("s3", "GetObject"),
    "RDS DescribeDBInstances": ("rds", "DescribeDBInstances"),
    "DMS CreateReplicationTask": ("dms", "CreateReplicationTask"),
    "DMS StartReplicationTask": ("dms", "StartReplicationTask"),
    "DMS DescribeReplicationTasks": ("dms", "DescribeReplicationTasks"),
    "CloudWatch GetMetricData": ("cloudwatch", "GetMetricData"),
    "SNS Publish": ("sns", "Publish"),
}


def sql_error(kind: FaultKind, connecting: bool) -> Exception:
    """What pymssql raises: connect wraps (number, message) in one tuple argument."""
    number, message = {
        "transient": (20006, b"Write to the server failed"),
        "throttle": (
            (17809, b"Could not connect because the maximum number of user connections")
            if connecting
            else (1205, b"Transaction was deadlocked and has been chosen as the deadlock victim")
        ),
        "timeout": (20003, b"Adaptive Server connection timed out"),
        "permanent": (
            (18456, b"Login failed for user 'admin'.")
            if connecting
            else (229, b"The EXECUTE permission was denied on the object 'rds_task_status'")
        ),
    }[kind]
    if connecting:
        return pymssql.exceptions.OperationalError((number, message))
    return pymssql.exceptions.OperationalError(number, message)


def ready_state(runtime: LocalRuntime) -> str:
    """The state entered once CDC has caught up (the cutover approval)."""
    states = json.loads(runtime.definition)["States"]
    return str(states["CDC Caught Up?"]["Choices"][0]["Next"])


def run(runtime: LocalRuntime) -> ExecutionResult:
    """Run until the migration waits for cutover approval or has ended."""
    ready = ready_state(runtime)
    runtime.start_migration(KEY, BACKUP)
    runtime.run_until(lambda: any(e.visits(ready) for e in runtime.executions()))
    (execution,) = runtime.executions()
    return execution


def events(runtime: LocalRuntime) -> list[str]:
    return [n.attributes.get("event", "") for n in runtime.notifications()]


def assert_nothing_doubled_or_dropped(runtime: LocalRuntime, sql: SimulatedRdsSqlServer) -> None:
    assert sql.restores_started() <= 1
    assert len(runtime.dms.tasks) <= 1
    assert not any("DROP" in statement.upper() for statement, _ in sql.executed)
    sent = events(runtime)
    assert len(sent) == len(set(sent)), sent  # every message once


def assert_recovered(
    runtime: LocalRuntime,
    sql: SimulatedRdsSqlServer,
    execution: ExecutionResult,
    retries: int = RECOVERABLE_FAILURES,
) -> None:
    assert execution.status == "RUNNING"  # waiting for the cutover approval
    assert execution.visits(ready_state(runtime)) == 1
    assert execution.retries >= retries
    assert sql.restores_started() == 1
    assert len(runtime.dms.tasks) == 1
    assert set(MILESTONES) <= set(events(runtime))
    assert "FAILED" not in events(runtime)
    assert "Northwind" in sql.databases


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("call", sorted(AWS_CALLS))
def test_aws_call_fault(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer, call: str, kind: FaultKind
) -> None:
    service, operation = AWS_CALLS[call]
    faults = AwsFaults()
    times = PERMANENT_FAILURES if kind == "permanent" else RECOVERABLE_FAILURES
    faults.inject(service, operation, kind, times=times)

    with faults.active():
        execution = run(runtime)
        if kind == "permanent" and call == "SNS Publish":
            # Nothing can be published, the failure message neither: the execution itself
            # ends in the failure state that says so, with the original error.
            (execution,) = runtime.run_until_done()
            assert execution.status == "FAILED"
            assert execution.error == "AwsAccessDenied"
            assert "AWS_ACCESS_DENIED: SNS Publish" in (execution.cause or "")
            assert execution.states[-1].name == "Migration Failed Without Notice"
            # Alert's e-mail of the end fails the same way: lost, for the alarm to report
            assert runtime.failed_deliveries and "AlertFunction" in runtime.failed_deliveries[0]
        elif kind == "permanent":
            ended_in_failure(runtime, "AWS_ACCESS_DENIED")
        elif service == "s3":
            # Start Migration reads the header first (a stripe names its set's execution):
            # Lambda's retries of the EventBridge event absorb these, not the state machine's.
            assert_recovered(runtime, sql_sim, execution, retries=0)
        else:
            assert_recovered(runtime, sql_sim, execution)

    if kind == "permanent":
        assert faults.raised
    else:
        assert len(faults.raised) == times  # both faults were hit
    assert_nothing_doubled_or_dropped(runtime, sql_sim)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("connecting", [True, False], ids=["SQL connect", "SQL execute"])
def test_sql_fault(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer, connecting: bool, kind: FaultKind
) -> None:
    queue = sql_sim.connect_failures if connecting else sql_sim.execute_failures
    times = PERMANENT_FAILURES if kind == "permanent" else RECOVERABLE_FAILURES
    queue.extend(sql_error(kind, connecting) for _ in range(times))

    execution = run(runtime)

    if kind == "permanent":
        ended_in_failure(runtime, "SQL_LOGIN_FAILED" if connecting else "SQL_PERMISSION_DENIED")
        assert sql_sim.restores_started() == 0
    else:
        assert queue == []  # both faults were hit
        assert_recovered(runtime, sql_sim, execution)
    assert_nothing_doubled_or_dropped(runtime, sql_sim)


def test_a_crash_right_after_rds_restore_database_returned_reuses_the_task(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    with mock.patch.object(
        SqlServer,
        "start_restore",
        crash_once_after(
            SqlServer.start_restore, "the function ran out of memory after the EXEC returned"
        ),
    ):
        execution = run(runtime)

    assert [error for error, _ in execution.lambda_failures()] == ["Lambda.Unknown"]
    assert runtime.lambdas.count("StartRestoreFunction") == 2
    assert_recovered(runtime, sql_sim, execution, retries=1)
    assert_nothing_doubled_or_dropped(runtime, sql_sim)


def test_two_uploads_of_the_same_database_name_restore_once(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    # Two different files both named Northwind.bak, in two folders, uploaded together.
    runtime.start_migration("team-a/Northwind.bak", BACKUP)
    runtime.start_migration("team-b/Northwind.bak", BACKUP)
    runtime.run_until(lambda: any(e.status == "FAILED" for e in runtime.executions()))

    # Both start at the same simulated time: whichever reaches Start Restore first restores.
    statuses = sorted((e.status, e.error or "") for e in runtime.executions())
    assert statuses in (
        [("FAILED", "RESTORE_ALREADY_RUNNING"), ("RUNNING", "")],
        [("FAILED", "DATABASE_EXISTS"), ("RUNNING", "")],
    )
    assert sql_sim.restores_started() == 1
    assert not any("DROP" in statement.upper() for statement, _ in sql_sim.executed)

"""Trouble AWS announces on EventBridge is e-mailed within a minute, whatever the polling."""

from __future__ import annotations

import boto3
import pytest

from localrun.dms import CdcLatencyProfile
from localrun.runtime import LocalRuntime
from localrun.samples import backup_in_s3
from tests.workflow.test_approval import press, waiting_for_approval

from .conftest import StartRuntime

pytestmark = pytest.mark.workflow

KEY = "incoming/Northwind.bak"
# Two days behind after a long restore: Check CDC looks once an hour while DMS catches up.
SLOW_CATCH_UP = CdcLatencyProfile(initial_seconds=2 * 86400.0)
FAILURE = "Last Error Cannot read the transaction log. Stop Reason FATAL_ERROR"


def _alerts(runtime: LocalRuntime) -> list[str]:
    return [n.subject for n in runtime.notifications() if n.attributes.get("event") == "ALERT"]


def _in_an_hour_long_cdc_wait(runtime: LocalRuntime, arn: str) -> bool:
    execution = runtime.execution(arn)
    return (
        bool(execution.states)
        and execution.states[-1].name == "Wait For CDC"
        and execution.data["cdc"]["wait_seconds"] >= 3600
    )


def test_a_dms_task_failing_during_an_hour_long_cdc_wait_is_e_mailed_within_a_minute(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime(cdc_latency=SLOW_CATCH_UP)
    arn = runtime.start_migration(KEY, backup_in_s3("Northwind"))
    runtime.run_until(lambda: _in_an_hour_long_cdc_wait(runtime, arn))
    checks = runtime.execution(arn).visits("Check CDC")
    runtime.advance(10 * 60)  # ten minutes into the hour

    (task,) = runtime.dms.tasks.values()
    failed_at = runtime.now
    runtime.dms.fail(task.arn, FAILURE)
    runtime.advance(60)

    execution = runtime.execution(arn)
    assert execution.visits("Check CDC") == checks  # the next check is 49 minutes away
    assert _alerts(runtime) == [f"[bak2rds] {execution.name}: DMS task {task.identifier} failed"]
    (alert,) = [
        i
        for i in runtime.lambdas.invocations
        if i.function == "AlertFunction" and i.result["alerted"]
    ]
    assert alert.event["time"] == failed_at.strftime("%Y-%m-%dT%H:%M:%SZ")  # DMS's event
    body = runtime.notifications()[-1].message
    assert "Error: DMS_TASK_FAILED" in body and FAILURE in body

    # The execution finds the failure at its next check and ends with the same code
    (ended,) = runtime.run_until_done()
    assert (ended.status, ended.error) == ("FAILED", "DMS_TASK_FAILED")
    assert runtime.notifications()[-1].subject == "[bak2rds] Northwind: FAILED DMS_TASK_FAILED"
    assert len(_alerts(runtime)) == 1  # its end was e-mailed by the execution itself


def test_the_cutover_stop_is_not_alerted_and_an_execution_stopped_by_hand_is(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime()
    _, email = waiting_for_approval(runtime)
    assert press(runtime, email.approve_link, "approve").status == 200
    runtime.dms.stop_source_writes()
    (done,) = runtime.run_until_done()
    assert done.status == "SUCCEEDED"
    assert _alerts(runtime) == []  # Stop CDC Task tagged the task before stopping it

    second = runtime.start_migration("incoming/Sales.bak", backup_in_s3("Sales"))
    runtime.run_until(lambda: runtime.execution(second).visits("Wait For CDC") >= 1)
    boto3.client("stepfunctions").stop_execution(executionArn=second)
    runtime.run_until_done()

    name = runtime.execution(second).name
    assert _alerts(runtime) == [f"[bak2rds] {name}: execution stopped by hand"]
    body = runtime.notifications()[-1].message
    assert "Error: EXECUTION_ABORTED" in body
    assert f"DMS task bak2rds-{name.lower()} is" in body and "goes on replicating" in body

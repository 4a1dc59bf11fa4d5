"""DMS data validation: on in the task, shown per table in the e-mail and the page, and a
table with records that failed validation refuses Approve."""

from __future__ import annotations

import json

import boto3
import pytest

from localrun.runtime import LocalRuntime
from tests.workflow.conftest import StartRuntime
from tests.workflow.test_approval import headlines, press, waiting_for_approval

pytestmark = pytest.mark.workflow


def task_settings(runtime: LocalRuntime, task_arn: str) -> dict[str, object]:
    (described,) = boto3.client("dms").describe_replication_tasks(
        Filters=[{"Name": "replication-task-arn", "Values": [task_arn]}]
    )["ReplicationTasks"]
    settings: dict[str, object] = json.loads(described["ReplicationTaskSettings"])
    return settings


def test_the_cdc_task_validates_and_the_approval_shows_each_tables_validation(
    runtime: LocalRuntime,
) -> None:
    execution, email = waiting_for_approval(runtime)
    task_arn = execution.data["cdc"]["task_arn"]

    assert task_settings(runtime, task_arn)["ValidationSettings"] == {"EnableValidation": True}
    validation = execution.data["cdc"]["validation"]
    assert validation["enabled"] is True
    assert validation["table_count"] == len(validation["tables"]) > 0
    assert {t["table"] for t in validation["tables"]} >= {"[dbo].[Orders]", "[dbo].[Customers]"}
    (requested,) = [n for n in runtime.notifications() if "approve or reject" in n.subject]
    assert "DMS validation (" in requested.message
    assert "[dbo].[Orders]" in requested.message

    # The page reads DMS again: a change applied since the e-mail shows there
    runtime.dms.set_changes(task_arn, "dbo", "Orders", inserts=12, updates=3, deletes=1)
    page = runtime.approval_http("GET", email.approve_link)
    assert page.status == 200
    assert '<th scope="col">Validation</th>' in page.body
    assert "<td>[dbo].[Orders]</td><td>16</td>" in page.body


def test_records_that_failed_validation_refuse_approve_until_they_are_resolved(
    runtime: LocalRuntime,
) -> None:
    execution, email = waiting_for_approval(runtime)
    task_arn = execution.data["cdc"]["task_arn"]
    # Given DMS finds 3 rows of Orders that differ between the source and RDS
    runtime.dms.set_validation(task_arn, "dbo", "Orders", failed=3)

    refused = press(runtime, email.approve_link, "approve")

    # Then Approve does nothing, and the page says which table and how many records
    assert refused.status == 409
    assert "DMS validation does not let the cutover go ahead" in refused.body
    assert "3 record(s) failed DMS validation in [dbo].[Orders]" in refused.body
    assert "<td>Mismatched records</td>" in refused.body
    runtime.run_until_done()
    assert runtime.execution(execution.arn).waiting_for_approval
    assert "cutover complete" not in headlines(runtime)
    # When the rows are put right and DMS validates them, the same link works
    runtime.dms.set_validation(task_arn, "dbo", "Orders")
    assert press(runtime, email.approve_link, "approve").status == 200
    runtime.dms.stop_source_writes()
    (done,) = runtime.run_until_done()
    assert done.state_names[-1] == "Cutover Complete"


def test_pending_records_are_shown_but_block_only_when_validation_must_finish(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime(parameters={"ValidationMustFinish": "on"})
    execution, email = waiting_for_approval(runtime)
    task_arn = execution.data["cdc"]["task_arn"]
    runtime.dms.set_validation(task_arn, "dbo", "Customers", pending=250)

    refused = press(runtime, email.approve_link, "approve")

    assert refused.status == 409
    assert "DMS validation has not finished: 250 record(s) pending" in refused.body
    runtime.dms.set_validation(task_arn, "dbo", "Customers")
    assert press(runtime, email.approve_link, "approve").status == 200


def test_pending_records_do_not_block_by_default(runtime: LocalRuntime) -> None:
    execution, email = waiting_for_approval(runtime)
    runtime.dms.set_validation(execution.data["cdc"]["task_arn"], "dbo", "Customers", pending=9)

    assert press(runtime, email.approve_link, "approve").status == 200


def test_with_validation_off_the_task_does_not_validate_and_the_page_says_so(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime(parameters={"DataValidation": "off"})
    execution, email = waiting_for_approval(runtime)
    task_arn = execution.data["cdc"]["task_arn"]

    assert task_settings(runtime, task_arn)["ValidationSettings"] == {"EnableValidation": False}
    assert execution.data["cdc"]["validation"]["enabled"] is False
    page = runtime.approval_http("GET", email.approve_link)
    assert "DMS data validation is off for this task" in page.body
    assert press(runtime, email.approve_link, "approve").status == 200

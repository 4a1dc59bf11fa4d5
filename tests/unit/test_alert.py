"""Alert: which EventBridge events become an e-mail, and what the e-mail says."""

from dataclasses import dataclass, field
from typing import Any

import pytest

from bak2rds.adapters.dms import ReplicationTask
from bak2rds.catalogue import CATALOGUE
from bak2rds.models import Alert
from bak2rds.steps import alert

STACK = "bak2rds"
MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:bak2rds-migration"
EXECUTION_NAME = "Northwind-0123abcd"
EXECUTION = f"arn:aws:states:eu-west-1:123456789012:execution:bak2rds-migration:{EXECUTION_NAME}"
TASK_ARN = "arn:aws:dms:eu-west-1:123456789012:task:ABCDEFGHIJKLMNOPQRSTUVWXY1"
FAILURE = "Last Error Stream Component Fatal error. Task error notification received from subtask 0"


@dataclass
class FakeTopic:
    published: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def publish(self, subject: str, message: str, attributes: dict[str, str]) -> str:
        self.published.append((subject, message, attributes))
        return f"m-{len(self.published)}"


@dataclass
class FakeDms:
    task_tags: dict[str, dict[str, str]] = field(default_factory=dict)
    tasks: dict[str, ReplicationTask] = field(default_factory=dict)

    def tags(self, arn: str) -> dict[str, str] | None:
        return self.task_tags.get(arn)

    def describe_task(self, arn: str) -> ReplicationTask:
        return self.tasks[arn]

    def find_task(self, identifier: str) -> ReplicationTask | None:
        return next((t for t in self.tasks.values() if t.identifier == identifier), None)


def _dms(status: str = "failed", **tags: str) -> FakeDms:
    task = ReplicationTask(
        TASK_ARN, "bak2rds-northwind-0123abcd", status, "Stop Reason FATAL_ERROR", FAILURE, True
    )
    owned = {"bak2rds:stack": STACK, "bak2rds:execution": EXECUTION_NAME, **tags}
    return FakeDms({TASK_ARN: owned}, {TASK_ARN: task})


def _dms_event(event_type: str) -> dict[str, Any]:
    return {
        "detail-type": "DMS Replication Task State Change",
        "source": "aws.dms",
        "resources": [TASK_ARN],
        "detail": {"type": "REPLICATION_TASK", "eventType": event_type, "detailMessage": "x"},
    }


def _execution_event(status: str, error: str = "", cause: str = "") -> dict[str, Any]:
    return {
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "resources": [EXECUTION],
        "detail": {
            "executionArn": EXECUTION,
            "stateMachineArn": MACHINE,
            "name": EXECUTION_NAME,
            "status": status,
            "error": error or None,
            "cause": cause or None,
        },
    }


def _run(event: dict[str, Any], dms: FakeDms) -> tuple[Alert, FakeTopic]:
    topic = FakeTopic()
    return alert.run(event, dms, topic, STACK, MACHINE), topic


def test_a_failed_dms_task_is_e_mailed_with_its_code_reason_and_execution() -> None:
    result, topic = _run(_dms_event("REPLICATION_TASK_FAILED"), _dms())

    assert result["alerted"] and result["code"] == "DMS_TASK_FAILED"
    assert result["execution_arn"] == EXECUTION
    ((subject, body, attributes),) = topic.published
    assert subject == f"[bak2rds] {EXECUTION_NAME}: DMS task bak2rds-northwind-0123abcd failed"
    assert "Error: DMS_TASK_FAILED" in body
    assert FAILURE in body
    assert CATALOGUE["DMS_TASK_FAILED"].action in body
    assert f"#/v2/executions/details/{EXECUTION}" in body
    assert attributes == {"event": "ALERT", "code": "DMS_TASK_FAILED"}


def test_a_dms_task_someone_else_stopped_is_e_mailed() -> None:
    result, topic = _run(_dms_event("REPLICATION_TASK_STOPPED"), _dms("stopped"))

    assert result["code"] == "DMS_TASK_STOPPED"
    assert "stopped" in topic.published[0][0]


def test_a_stop_bak2rds_asked_for_is_not_e_mailed() -> None:
    dms = _dms("stopped", **{alert.STOP_REQUESTED_TAG: "2026-12-01T08:00:00+00:00"})
    result, topic = _run(_dms_event("REPLICATION_TASK_STOPPED"), dms)

    assert not result["alerted"] and "stopped" in result["reason"]
    assert topic.published == []


def test_a_failure_after_bak2rds_asked_for_a_stop_is_still_e_mailed() -> None:
    dms = _dms("failed", **{alert.STOP_REQUESTED_TAG: "2026-12-01T08:00:00+00:00"})
    result, _ = _run(_dms_event("REPLICATION_TASK_FAILED"), dms)
    assert result["code"] == "DMS_TASK_FAILED"


@pytest.mark.parametrize(
    "dms",
    [
        FakeDms(),  # the task is gone
        FakeDms({TASK_ARN: {"bak2rds:stack": "other-stack"}}),
        FakeDms({TASK_ARN: {}}),  # not made by bak2rds at all
    ],
    ids=["gone", "other-stack", "untagged"],
)
def test_tasks_that_are_not_this_stacks_are_ignored(dms: FakeDms) -> None:
    result, topic = _run(_dms_event("REPLICATION_TASK_FAILED"), dms)
    assert not result["alerted"]
    assert topic.published == []


def test_other_dms_events_are_ignored() -> None:
    result, topic = _run(_dms_event("REPLICATION_TASK_STARTED"), _dms("running"))
    assert not result["alerted"] and topic.published == []


def test_a_failed_execution_that_sent_its_own_e_mail_is_not_e_mailed_again() -> None:
    # Fail states after Notify Failure / Notify Approval Expired carry a catalogue code
    result, topic = _run(_execution_event("FAILED", "RESTORE_ACCESS_DENIED", "..."), FakeDms())
    assert not result["alerted"] and "own" in result["reason"]
    assert topic.published == []


def test_a_failed_execution_without_its_own_e_mail_is_e_mailed_with_the_code() -> None:
    cause = '{"errorMessage": "RESTORE_ACCESS_DENIED: task 1 ended in ERROR: Access Denied"}'
    result, topic = _run(_execution_event("FAILED", "RestoreTaskFailed", cause), FakeDms())

    assert result["code"] == "RESTORE_ACCESS_DENIED"
    ((subject, body, _),) = topic.published
    assert subject == f"[bak2rds] {EXECUTION_NAME}: FAILED RESTORE_ACCESS_DENIED"
    assert "task 1 ended in ERROR: Access Denied" in body
    assert "without its own failure e-mail" in body


def test_an_aborted_execution_says_its_dms_task_goes_on_and_how_to_remove_it() -> None:
    result, topic = _run(_execution_event("ABORTED"), _dms("running"))

    assert result["code"] == "EXECUTION_ABORTED"
    ((subject, body, _),) = topic.published
    assert subject == f"[bak2rds] {EXECUTION_NAME}: execution stopped by hand"
    assert "DMS task bak2rds-northwind-0123abcd is running: it goes on replicating." in body
    assert "aws dms stop-replication-task" in body
    assert "Nothing was dropped or deleted" in body


def test_an_aborted_execution_before_cdc_mentions_no_dms_task() -> None:
    _, topic = _run(_execution_event("ABORTED"), FakeDms())
    body = topic.published[0][1]
    assert "goes on replicating" not in body
    assert "aws dms" not in body


def test_a_timed_out_execution_is_e_mailed() -> None:
    result, topic = _run(_execution_event("TIMED_OUT"), FakeDms())
    assert result["code"] == "EXECUTION_TIMED_OUT"
    assert topic.published[0][0].endswith("execution timed out")


def test_succeeded_executions_and_unknown_events_are_ignored() -> None:
    for event in (_execution_event("SUCCEEDED"), {"detail-type": "Object Created"}):
        result, topic = _run(event, FakeDms())
        assert not result["alerted"] and topic.published == []

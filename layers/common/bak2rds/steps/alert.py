"""Alert: what AWS announces on EventBridge, e-mailed within a minute whatever the polling.

Two kinds of event reach the Alert function:

* DMS "DMS Replication Task State Change" for a task that failed or stopped. A migration's
  Check CDC may be an hour away during a long catch-up; this e-mail is not. Tasks of other
  stacks and stops bak2rds asked for itself (Stop CDC Task tags the task first) are ignored.
  The execution still ends with the same code at its next check: this is the early word.
* Step Functions "Step Functions Execution Status Change" for a migration that ended FAILED,
  TIMED_OUT or ABORTED. A FAILED execution whose error is a catalogue code has already sent
  its own failure e-mail (Notify Failure, Notify Approval Expired), so only the others are
  e-mailed: an execution stopped by hand, one past its time limit, one whose own notice could
  not be published.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from bak2rds import messages
from bak2rds.adapters.dms import ReplicationTask
from bak2rds.catalogue import CATALOGUE, CatalogueEntry
from bak2rds.errors import describe_failure
from bak2rds.models import Alert
from bak2rds.naming import dms_task_identifier
from bak2rds.steps.create_dms_endpoints import EXECUTION_TAG, STACK_TAG
from bak2rds.steps.notify import Publisher, error_message

# Stop CDC Task sets this tag on the task before it asks DMS to stop it.
STOP_REQUESTED_TAG = "bak2rds:stop-requested-at"
DMS_TASK_EVENT = "DMS Replication Task State Change"
EXECUTION_EVENT = "Step Functions Execution Status Change"
# What a task's change is reported as, by the status DMS describes it in afterwards.
DMS_STATUS_CODES = {"failed": "DMS_TASK_FAILED", "stopped": "DMS_TASK_STOPPED"}
EXECUTION_STATUS_CODES = {"TIMED_OUT": "EXECUTION_TIMED_OUT", "ABORTED": "EXECUTION_ABORTED"}
_HEADLINES = {"TIMED_OUT": "execution timed out", "ABORTED": "execution stopped by hand"}


class TaskReader(Protocol):
    """What this step needs of DMS (``bak2rds.adapters.dms.Dms`` in AWS)."""

    def tags(self, arn: str) -> dict[str, str] | None: ...
    def describe_task(self, arn: str) -> ReplicationTask: ...
    def find_task(self, identifier: str) -> ReplicationTask | None: ...


def run(
    event: Mapping[str, Any],
    dms: TaskReader,
    topic: Publisher,
    stack_name: str,
    state_machine_arn: str,
) -> Alert:
    kind = event.get("detail-type")
    if kind == DMS_TASK_EVENT:
        return dms_task_changed(event, dms, topic, stack_name, state_machine_arn)
    if kind == EXECUTION_EVENT:
        return execution_ended(event, dms, topic)
    return _ignored(f"not an event this function handles: {kind!r}")


def dms_task_changed(
    event: Mapping[str, Any],
    dms: TaskReader,
    topic: Publisher,
    stack_name: str,
    state_machine_arn: str,
) -> Alert:
    """Any state change of a task: what it became is read from DMS, not from the event's
    eventType (DMS's guide documents its task event types only by example)."""
    resources = event.get("resources") or []
    if not resources:
        return _ignored("a DMS event without a task ARN")
    task_arn = str(resources[0])
    tags = dms.tags(task_arn)
    if tags is None:
        return _ignored(f"DMS task {task_arn} no longer exists")
    if tags.get(STACK_TAG) != stack_name:
        return _ignored(f"DMS task {task_arn} is not this stack's")
    task = dms.describe_task(task_arn)
    code = DMS_STATUS_CODES.get(task.status)
    if code is None:
        return _ignored(f"DMS task {task.identifier} is {task.status}")
    if code == "DMS_TASK_STOPPED" and STOP_REQUESTED_TAG in tags:
        return _ignored(f"bak2rds stopped DMS task {task.identifier} itself")
    execution_arn = _execution_arn(state_machine_arn, tags.get(EXECUTION_TAG, ""))
    entry = CATALOGUE[code]
    detail_text = f"DMS task {task.identifier} is {task.status}: {task.reason}"
    subject, body = messages.dms_task_alert(entry, detail_text, task.identifier, execution_arn)
    return _sent(topic, entry, subject, body, execution_arn)


def execution_ended(event: Mapping[str, Any], dms: TaskReader, topic: Publisher) -> Alert:
    detail = event.get("detail") or {}
    status = str(detail.get("status", ""))
    execution_arn = str(detail.get("executionArn", ""))
    error, cause = str(detail.get("error") or ""), str(detail.get("cause") or "")
    if status == "FAILED":
        if error in CATALOGUE:
            return _ignored(f"the execution sent its own {error} e-mail")
        entry, detail_text = describe_failure(error, error_message(cause))
        detail_text = f"The execution ended without its own failure e-mail. {detail_text}"
        headline = f"FAILED {entry.code}"
    elif status in EXECUTION_STATUS_CODES:
        entry = CATALOGUE[EXECUTION_STATUS_CODES[status]]
        detail_text = f"{error}: {error_message(cause)}" if error else ""
        headline = _HEADLINES[status]
    else:
        return _ignored(f"execution status {status!r} needs no alert")
    name = str(detail.get("name", "")) or execution_arn.rsplit(":", 1)[-1]
    task = dms.find_task(dms_task_identifier(name))
    subject, body = messages.execution_alert(entry, detail_text, headline, execution_arn, task)
    return _sent(topic, entry, subject, body, execution_arn)


def _execution_arn(state_machine_arn: str, execution_name: str) -> str:
    """``arn:...:stateMachine:<machine>`` + name → ``arn:...:execution:<machine>:<name>``."""
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{execution_name}"


def _sent(
    topic: Publisher, entry: CatalogueEntry, subject: str, body: str, execution_arn: str
) -> Alert:
    message_id = topic.publish(subject, body, {"event": "ALERT", "code": entry.code})
    return {
        "alerted": True,
        "code": entry.code,
        "reason": "",
        "message_id": message_id,
        "execution_arn": execution_arn,
    }


def _ignored(reason: str) -> Alert:
    return {"alerted": False, "code": "", "reason": reason, "message_id": "", "execution_arn": ""}

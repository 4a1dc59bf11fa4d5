"""``bak2rds status`` and ``show``: migrations as the state machine's executions record them.

One GetExecutionHistory per migration (newest events first, one page): the state it is in,
the last restore progress and CDC latency its checks reported, and since when it waits for
the cutover approval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bak2rds.messages import console_link

APPROVAL_STATE = "Request Cutover Approval"
_HISTORY_PAGE = 1000  # the most one call returns: the newest events of a migration
_PLUMBING = ("Wait", "Choice", "Pass")  # states that only route or wait: not in a timeline


@dataclass(frozen=True)
class Migration:
    name: str
    arn: str
    status: str  # RUNNING, SUCCEEDED, FAILED, ...
    started: datetime
    stopped: datetime | None
    state: str  # the state it is in (or ended in)
    restore_percent: int | None
    cdc_latency_seconds: float | None
    waiting_for_approval_since: datetime | None
    error: str | None

    @property
    def console_link(self) -> str:
        return console_link(self.arn)


@dataclass(frozen=True)
class Step:
    """One state of a migration's timeline: when it was entered and what it reported."""

    name: str
    entered: datetime
    note: str


def list_migrations(sfn: Any, state_machine_arn: str, limit: int = 50) -> list[Migration]:
    listed = sfn.list_executions(stateMachineArn=state_machine_arn, maxResults=limit)
    return [_migration(sfn, item) for item in listed["executions"]]


def find(sfn: Any, state_machine_arn: str, name_or_arn: str) -> Migration:
    arn = name_or_arn
    if not name_or_arn.startswith("arn:"):
        arn = state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name_or_arn}"
    return _migration(sfn, sfn.describe_execution(executionArn=arn))


def started_by(sfn: Any, state_machine_arn: str, key: str, version_id: str) -> Migration | None:
    """The execution Start Migration started for this object version (its input is the S3
    event), among the newest few."""
    listed = sfn.list_executions(stateMachineArn=state_machine_arn, maxResults=20)
    for item in listed["executions"]:
        described = sfn.describe_execution(executionArn=item["executionArn"])
        obj = json.loads(described.get("input") or "{}").get("detail", {}).get("object", {})
        if obj.get("key") == key and obj.get("version-id", "") == version_id:
            return _migration(sfn, described)
    return None


def timeline(sfn: Any, arn: str) -> list[Step]:
    steps: list[Step] = []
    for event in _history(sfn, arn, newest_first=False):
        if event["type"].startswith(_PLUMBING):
            continue
        if event["type"].endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            steps.append(Step(name, event["timestamp"], ""))
        elif event["type"].endswith("StateExited") and steps:
            note = _note(event["stateExitedEventDetails"])
            if note and steps[-1].name == event["stateExitedEventDetails"]["name"]:
                steps[-1] = Step(steps[-1].name, steps[-1].entered, note)
        elif event["type"] in {"ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}:
            details: dict[str, Any] = next(
                (v for k, v in event.items() if k.endswith("EventDetails")), {}
            )
            steps.append(Step(event["type"], event["timestamp"], str(details.get("error", ""))))
    return steps


def _migration(sfn: Any, item: dict[str, Any]) -> Migration:
    arn = item["executionArn"]
    state, percent, latency, waiting_since = "", None, None, None
    for event in _history(sfn, arn, newest_first=True):
        entered = event.get("stateEnteredEventDetails")
        if entered and not state:
            state = entered["name"]
            if state == APPROVAL_STATE:
                waiting_since = event["timestamp"]
        exited = event.get("stateExitedEventDetails")
        if exited and (percent is None or latency is None):
            output = _output(exited)
            if percent is None and "percent_complete" in output.get("restore", {}):
                percent = int(output["restore"]["percent_complete"])
            if latency is None and output.get("cdc", {}).get("latency_seconds") is not None:
                latency = float(output["cdc"]["latency_seconds"])
    status = str(item["status"])
    return Migration(
        name=str(item["name"]),
        arn=arn,
        status=status,
        started=item["startDate"],
        stopped=item.get("stopDate"),
        state=state,
        restore_percent=percent,
        cdc_latency_seconds=latency,
        waiting_for_approval_since=waiting_since if status == "RUNNING" else None,
        error=item.get("error"),
    )


def _history(sfn: Any, arn: str, newest_first: bool) -> list[dict[str, Any]]:
    response = sfn.get_execution_history(
        executionArn=arn,
        reverseOrder=newest_first,
        maxResults=_HISTORY_PAGE,
        includeExecutionData=True,
    )
    # Ordered here too: moto's interpreter ignores reverseOrder (events carry rising ids)
    return sorted(response["events"], key=lambda event: int(event["id"]), reverse=newest_first)


def _output(exited: dict[str, Any]) -> dict[str, Any]:
    try:
        output = json.loads(exited.get("output") or "{}")
    except ValueError:
        return {}
    return output if isinstance(output, dict) else {}


def _note(exited: dict[str, Any]) -> str:
    """What a check reported, in a few words (restore %, CDC latency)."""
    name, output = exited["name"], _output(exited)
    if name == "Check Restore" and "percent_complete" in output.get("restore", {}):
        return f"restore {output['restore']['percent_complete']}%"
    if name == "Check CDC" and output.get("cdc", {}).get("latency_seconds") is not None:
        return f"CDC latency {output['cdc']['latency_seconds']} s"
    if (
        name == "Check Final Sync"
        and output.get("final_sync", {}).get("latency_seconds") is not None
    ):
        return f"drain latency {output['final_sync']['latency_seconds']} s"
    return ""

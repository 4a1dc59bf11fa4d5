"""What the local runtime reports: uploads, notifications and executions with their history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from localrun.sqlserver import BackupInS3


class DeliveryFailed(RuntimeError):
    """An EventBridge target function returned an error (EventBridge would retry it)."""


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Upload:
    """An object put into the staging bucket, and the EventBridge event S3 emits for it."""

    bucket: str
    key: str
    version_id: str
    etag: str
    size: int
    s3_arn: str
    backup: BackupInS3
    event: dict[str, Any]


@dataclass(frozen=True)
class Notification:
    message_id: str
    subject: str
    message: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class StateVisit:
    name: str
    type: str
    entered_at: datetime  # simulated time


@dataclass(frozen=True)
class ExecutionResult:
    """One execution as Step Functions describes it, with its full history."""

    arn: str
    name: str
    status: str
    error: str | None
    cause: str | None
    input: Any
    output: Any
    started_at: datetime
    stopped_at: datetime | None
    history: list[dict[str, Any]]

    @property
    def states(self) -> list[StateVisit]:
        """The states entered, in order, with the simulated time each was entered."""
        return [
            StateVisit(
                name=str(event["stateEnteredEventDetails"]["name"]),
                type=str(event["type"]).removesuffix("StateEntered"),
                entered_at=event["timestamp"],
            )
            for event in self.history
            if str(event["type"]).endswith("StateEntered")
        ]

    @property
    def state_names(self) -> list[str]:
        return [visit.name for visit in self.states]

    @property
    def state_transitions(self) -> int:
        """What a Standard workflow is billed by: every state entered, and every retry."""
        return len(self.states) + self.retries

    @property
    def retries(self) -> int:
        """Task attempts beyond the first of each Task state entered."""
        tasks_entered = sum(1 for event in self.history if event["type"] == "TaskStateEntered")
        return self.lambda_invocations - tasks_entered

    @property
    def lambda_invocations(self) -> int:
        """Lambda tasks (plain ARN) and ``lambda:invoke`` integrations (the approval task)."""
        return sum(
            1
            for event in self.history
            if event["type"] == "LambdaFunctionScheduled"
            or (
                event["type"] == "TaskScheduled"
                and event["taskScheduledEventDetails"].get("resourceType") == "lambda"
            )
        )

    @property
    def simulated_duration(self) -> timedelta:
        """Start to end, or to the latest event while it runs (e.g. waits for approval)."""
        latest = self.history[-1]["timestamp"] if self.history else self.started_at
        return (self.stopped_at or latest) - self.started_at

    @property
    def data(self) -> Any:
        """The execution's data: its output once it ended, else the input of the state it is
        in now (e.g. the migration state while it waits for the cutover approval)."""
        if self.output is not None:
            return self.output
        for event in reversed(self.history):
            if str(event["type"]).endswith("StateEntered"):
                return json.loads(event["stateEnteredEventDetails"].get("input") or "null")
        return self.input

    @property
    def waiting_for_approval(self) -> bool:
        return (
            self.status == "RUNNING"
            and bool(self.states)
            and (self.states[-1].name == "Request Cutover Approval")
        )

    def visits(self, state_name: str) -> int:
        return self.state_names.count(state_name)

    def lambda_failures(self) -> list[tuple[str, str]]:
        """(error, cause) of every failed Lambda invocation, retried or not."""
        return [
            (
                str(event["lambdaFunctionFailedEventDetails"].get("error", "")),
                str(event["lambdaFunctionFailedEventDetails"].get("cause", "")),
            )
            for event in self.history
            if event["type"] == "LambdaFunctionFailed"
        ]

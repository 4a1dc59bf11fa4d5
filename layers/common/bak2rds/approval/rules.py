"""The approval API's rules: what a visit of a link may do, as an outcome. No page text here
(``bak2rds.approval.pages`` renders outcomes).

GET only reads: mail scanners and link previews open every link in a message. POST decides,
in this order, and stops at the first check that fails, having changed nothing:

1. the link's signature and expiry (``links.verify``);
2. the approval record exists and is still ``pending`` (a second POST sees the decision);
3. the execution is still RUNNING (a finished or stopped migration waits for nothing);
4. for Approve, CDC latency is measured again now and must still be under the threshold: the
   e-mail may be days old; and DMS validation is read again (if it cannot be, nothing is
   decided): no table may have records that failed validation (nor, with
   ValidationMustFinish, records still pending);
5. the record moves from ``pending`` to the decision with a conditional write (one winner);
6. only then SendTaskSuccess (approve) or SendTaskFailure ``CutoverRejected`` (reject). If
   Step Functions answers that the task no longer waits, the record becomes ``void``; if it
   cannot be reached, the claim is undone so the link can be used again.

The decision (what, when, source IP, user agent) is the task's output (approve) or the
failure's cause (reject), so it lands in the execution's output as ``models.Approval``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from bak2rds.adapters.approvals import PENDING, VOID, ApprovalRecord, Decider
from bak2rds.approval import APPROVED, DECISIONS, REJECTED_ERROR, links
from bak2rds.errors import Bak2RdsError, CdcTaskFailed
from bak2rds.models import Approval, ApprovalSummary, DecidedBy, Validation
from bak2rds.validation import blocking_reason

_USER_AGENT_LIMIT = 300

# Every outcome a visit can have; the API logs it, the page explains it.
OutcomeKind = Literal[
    "shown",
    "approved",
    "rejected",
    "bad_request",
    "invalid",
    "expired",
    "unknown",
    "already_decided",
    "void",
    "finished",
    "cdc_not_running",
    "latency_high",
    "validation_failed",
    "validation_unreadable",
    "not_waiting",
    "unreachable",
]


@dataclass(frozen=True)
class Request:
    """One visit of a link: its parts and who sent it (as API Gateway saw them)."""

    approval_id: str
    expires: str | None
    signature: str | None
    action: str | None  # GET: the button the link was for; POST: the button pressed
    source_ip: str
    user_agent: str

    @property
    def decider(self) -> Decider:
        return Decider(self.source_ip, self.user_agent[:_USER_AGENT_LIMIT])


@dataclass(frozen=True)
class Latency:
    seconds: float | None
    status: str


class ApprovalStore(Protocol):
    """The approvals table (``bak2rds.adapters.approvals.ApprovalsTable`` in AWS)."""

    def get(self, approval_id: str) -> ApprovalRecord | None: ...
    def claim(self, approval_id: str, decision: str, by: Decider, at: str, now: int) -> bool: ...
    def set_status(self, approval_id: str, status: str, expected: str) -> None: ...


class Callbacks(Protocol):
    """Step Functions (``bak2rds.adapters.stepfunctions.TaskCallbacks`` in AWS)."""

    def execution_status(self, execution_arn: str) -> str: ...
    def succeed(self, task_token: str, output: Approval) -> bool: ...
    def fail(self, task_token: str, error: str, cause: str) -> bool: ...


@dataclass(frozen=True)
class Collaborators:
    table: ApprovalStore
    callbacks: Callbacks
    signing_key: Callable[[], bytes]
    cdc_latency: Callable[[ApprovalSummary], Latency]  # measures the summary's DMS task
    latency_threshold_seconds: int
    now: datetime
    # DMS validation of the summary's task now (None: not read; the summary's is shown)
    validation: Callable[[ApprovalSummary], Validation | None] = lambda summary: None


@dataclass(frozen=True)
class Outcome:
    """What a visit came to, with what its page needs to say so."""

    kind: OutcomeKind
    record: ApprovalRecord | None = None
    primary: str = "approve"  # "shown": the button the link was for
    decided_at: str | None = None  # "approved", "rejected"
    latency: Latency | None = None  # "approved", "latency_high"
    detail: str = ""  # "finished": the status; "cdc_not_running", "validation_failed": why
    validation: Validation | None = None  # "shown", "validation_failed": as read now


def view(request: Request, deps: Collaborators) -> Outcome:
    """GET: the pending cutover and its two buttons, or why there is nothing to decide."""
    checked = _open(request, deps)
    if isinstance(checked, Outcome):
        return checked
    primary = request.action if request.action in links.ACTIONS else "approve"
    try:
        validation = deps.validation(checked.summary)
    except Bak2RdsError:  # the page shows what the e-mail said; Approve reads it again
        validation = None
    return Outcome("shown", checked, primary=primary, validation=validation)


def decide(request: Request, deps: Collaborators) -> Outcome:
    """POST: act on the button pressed, once."""
    if request.action not in DECISIONS:
        return Outcome("bad_request")
    checked = _open(request, deps)
    if isinstance(checked, Outcome):
        return checked
    record, decision = checked, DECISIONS[request.action]
    latency: Latency | None = None
    validation: Validation | None = None
    if decision == APPROVED:
        measured = _caught_up(record, deps)
        if isinstance(measured, Outcome):
            return measured
        latency = measured
        checked_validation = _validated(record, deps)
        if isinstance(checked_validation, Outcome):
            return checked_validation
        validation = checked_validation
    decided_at = deps.now.astimezone(UTC).isoformat()
    by = request.decider
    if not deps.table.claim(
        record.approval_id, decision, by, decided_at, int(deps.now.timestamp())
    ):
        return _already_decided(deps.table.get(record.approval_id) or record)
    decided: DecidedBy = {
        "at": decided_at,
        "source_ip": by.source_ip,
        "user_agent": by.user_agent,
        "approval_id": record.approval_id,
    }
    try:
        if decision == APPROVED:
            output: Approval = {
                "decision": APPROVED,
                "decided": decided,
                "cdc_latency_seconds": latency.seconds if latency else None,
            }
            if validation is not None:  # the evidence the decision was taken on
                output["validation"] = validation
            delivered = deps.callbacks.succeed(record.task_token, output)
        else:
            cause = json.dumps(decided, separators=(",", ":"))
            delivered = deps.callbacks.fail(record.task_token, REJECTED_ERROR, cause)
    except Bak2RdsError:
        deps.table.set_status(record.approval_id, PENDING, expected=decision)
        return Outcome("unreachable", record)
    if not delivered:
        deps.table.set_status(record.approval_id, VOID, expected=decision)
        return Outcome("not_waiting", record)
    kind: OutcomeKind = "approved" if decision == APPROVED else "rejected"
    return Outcome(kind, record, decided_at=decided_at, latency=latency)


def _open(request: Request, deps: Collaborators) -> ApprovalRecord | Outcome:
    """Checks 1-3: a genuine, unexpired link to a pending approval of a running execution."""
    try:
        links.verify(
            deps.signing_key(), request.approval_id, request.expires, request.signature, deps.now
        )
    except links.LinkRejected as rejected:
        return Outcome("expired" if rejected.reason == "expired" else "invalid")
    record = deps.table.get(request.approval_id)
    if record is None:
        return Outcome("unknown")
    if record.status != PENDING:
        return _already_decided(record)
    status = deps.callbacks.execution_status(record.execution_arn)
    if status != "RUNNING":
        return Outcome("finished", record, detail=status)
    return record


def _caught_up(record: ApprovalRecord, deps: Collaborators) -> Latency | Outcome:
    """Check 4: CDC is running and under the threshold right now."""
    try:
        latency = deps.cdc_latency(record.summary)
    except CdcTaskFailed as error:
        return Outcome("cdc_not_running", record, detail=error.detail)
    threshold = deps.latency_threshold_seconds
    if latency.status != "running" or latency.seconds is None or latency.seconds > threshold:
        return Outcome("latency_high", record, latency=latency)
    return latency


def _validated(record: ApprovalRecord, deps: Collaborators) -> Validation | Outcome | None:
    """Check 4, continued: DMS validation lets the cutover go ahead (what it says, or the
    refusal). Read again now; when it cannot be read, nothing is decided: records may have
    failed since the e-mail."""
    try:
        validation = deps.validation(record.summary) or record.summary.get("validation")
    except CdcTaskFailed as error:
        return Outcome("cdc_not_running", record, detail=error.detail)
    except Bak2RdsError as error:
        return Outcome("validation_unreadable", record, detail=str(error))
    if validation is None:
        return None
    reason = blocking_reason(validation, record.summary.get("validation_must_finish", False))
    if reason is None:
        return validation
    return Outcome("validation_failed", record, detail=reason, validation=validation)


def _already_decided(record: ApprovalRecord) -> Outcome:
    return Outcome("void" if record.status == VOID else "already_decided", record)

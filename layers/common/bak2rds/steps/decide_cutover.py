"""The approval API: show the pending cutover (GET), take the decision (POST).

GET only reads: mail scanners and link previews open every link in a message. POST decides,
in this order, and stops at the first check that fails with a page saying why and nothing
changed:

1. the link's signature and expiry (``approval_links.verify``);
2. the approval record exists and is still ``pending`` (a second POST sees the decision);
3. the execution is still RUNNING (a finished or stopped migration waits for nothing);
4. for Approve, CDC latency is re-measured now (``check_cdc``) and must still be under the
   threshold: the e-mail may be days old;
5. the record moves from ``pending`` to the decision with a conditional write (one winner);
6. only then SendTaskSuccess (approve) or SendTaskFailure ``CutoverRejected`` (reject). If
   Step Functions answers that the task no longer waits, the record becomes ``void``; if it
   cannot be reached, the claim is undone so the link can be used again.

The decision (what, when, source IP, user agent) is the task's output (approve) or the
failure's cause (reject), so it lands in the execution's output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bak2rds import approval_links, messages
from bak2rds.adapters.approvals import PENDING, VOID, ApprovalRecord, ApprovalsTable, Decider
from bak2rds.adapters.stepfunctions import TaskCallbacks
from bak2rds.approval_page import DecisionForm, Page
from bak2rds.errors import Bak2RdsError, CdcTaskFailed
from bak2rds.models import ApprovalSummary

REJECTED_ERROR = "CutoverRejected"  # the error name the state machine catches
DECISIONS = {"approve": "approved", "reject": "rejected"}
_USER_AGENT_LIMIT = 300


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


@dataclass(frozen=True)
class Collaborators:
    table: ApprovalsTable
    callbacks: TaskCallbacks
    signing_key: Callable[[], bytes]
    cdc_latency: Callable[[ApprovalSummary], Latency]  # re-measures the summary's DMS task
    latency_threshold_seconds: int
    now: datetime


def view(request: Request, deps: Collaborators) -> Page:
    """GET: the pending cutover and its two buttons, or why there is nothing to decide."""
    checked = _open(request, deps)
    if isinstance(checked, Page):
        return checked
    record = checked
    summary = record.summary
    primary = request.action if request.action in approval_links.ACTIONS else "approve"
    return Page(
        200,
        f"Cut over [{summary.get('database', '?')}] to RDS?",
        "info",
        paragraphs=(
            "The RDS copy has caught up with the source through AWS DMS CDC. Approve to cut "
            "over: stop every write to the source database; bak2rds then waits until CDC "
            "latency is near 0, stops the DMS task and tells you the RDS database is ready "
            "for the application. Reject to stop the DMS task and keep the RDS database as "
            "it is.",
            "Approve re-checks CDC latency first; if it is above the threshold nothing happens.",
        ),
        facts=_facts(record, deps),
        form=DecisionForm(request.expires or "", request.signature or "", primary),
        log={"outcome": "shown"},
    )


def decide(request: Request, deps: Collaborators) -> Page:
    """POST: act on the button pressed, once."""
    if request.action not in DECISIONS:
        return _page(
            400,
            "Choose Approve or Reject",
            "error",
            "bad_request",
            "The form did not say which button was pressed. Nothing was changed.",
        )
    checked = _open(request, deps)
    if isinstance(checked, Page):
        return checked
    record, decision = checked, DECISIONS[request.action]
    latency: float | None = None
    if decision == "approved":
        refused = _latency_refusal(record, deps)
        if isinstance(refused, Page):
            return refused
        latency = refused
    decided_at = deps.now.astimezone(UTC).isoformat()
    by = request.decider
    now = int(deps.now.timestamp())
    if not deps.table.claim(record.approval_id, decision, by, decided_at, now):
        return _already_decided(deps.table.get(record.approval_id) or record)
    decided = {
        "at": decided_at,
        "source_ip": by.source_ip,
        "user_agent": by.user_agent,
        "approval_id": record.approval_id,
    }
    try:
        if decision == "approved":
            output = {"decision": decision, "decided": decided, "cdc_latency_seconds": latency}
            delivered = deps.callbacks.succeed(record.task_token, output)
        else:
            cause = json.dumps(decided, separators=(",", ":"))
            delivered = deps.callbacks.fail(record.task_token, REJECTED_ERROR, cause)
    except Bak2RdsError:
        deps.table.set_status(record.approval_id, PENDING, expected=decision)
        return _page(
            503,
            "Step Functions could not be reached",
            "error",
            "unreachable",
            "Nothing was decided. Try the button again in a minute.",
        )
    if not delivered:
        deps.table.set_status(record.approval_id, VOID, expected=decision)
        return _page(
            409,
            "This migration is no longer waiting",
            "warning",
            "not_waiting",
            "Its approval request timed out or the execution was stopped. Nothing was changed.",
        )
    return _decided_page(record, decision, decided_at, latency)


def _open(request: Request, deps: Collaborators) -> ApprovalRecord | Page:
    """Steps 1-3: a genuine, unexpired link to a pending approval of a running execution."""
    try:
        approval_links.verify(
            deps.signing_key(), request.approval_id, request.expires, request.signature, deps.now
        )
    except approval_links.LinkRejected as rejected:
        if rejected.reason == "expired":
            return _page(
                410,
                "This approval link has expired",
                "warning",
                "expired",
                "Nothing was changed. If the migration still waits, CDC keeps running; "
                "see the e-mail about the expired approval.",
            )
        return _page(
            403,
            "This link is not valid",
            "error",
            "invalid",
            "It may have been cut short or changed. Open the link from the e-mail "
            "exactly as it was sent. Nothing was changed.",
        )
    record = deps.table.get(request.approval_id)
    if record is None:
        return _page(
            404, "This approval no longer exists", "warning", "unknown", "Nothing was changed."
        )
    if record.status != PENDING:
        return _already_decided(record)
    status = deps.callbacks.execution_status(record.execution_arn)
    if status != "RUNNING":
        return _page(
            409,
            "This migration is no longer waiting",
            "warning",
            "finished",
            f"Its execution is {status.lower()}. Nothing was changed.",
        )
    return record


def _latency_refusal(record: ApprovalRecord, deps: Collaborators) -> float | Page:
    try:
        latency = deps.cdc_latency(record.summary)
    except CdcTaskFailed as error:
        return _page(
            409,
            "The DMS task is not running",
            "error",
            "cdc_not_running",
            f"{error.detail}. Nothing was changed.",
        )
    threshold = deps.latency_threshold_seconds
    if latency.status != "running" or latency.seconds is None or latency.seconds > threshold:
        now_text = "unknown" if latency.seconds is None else f"{latency.seconds:g} s"
        return _page(
            409,
            "CDC is not caught up right now",
            "warning",
            "latency_high",
            f"CDC latency is {now_text} (DMS task {latency.status}); cutover needs at most "
            f"{threshold} s. Nothing was changed: open the link again when it has caught up.",
        )
    return latency.seconds


def _facts(record: ApprovalRecord, deps: Collaborators) -> tuple[tuple[str, str], ...]:
    summary = record.summary
    latency = summary.get("latency_seconds")
    expires = datetime.fromtimestamp(record.expires_at, UTC)
    return (
        ("Database", str(summary.get("database", "?"))),
        ("Backup", str(summary.get("source", "?"))),
        ("Restore took", messages.duration_text(float(summary.get("restore_seconds") or 0))),
        ("CDC start", f"{summary.get('start_lsn')} ({summary.get('lsn_strategy')})"),
        (
            "CDC latency",
            f"{'unknown' if latency is None else f'{latency:g} s'} when requested "
            f"(threshold {deps.latency_threshold_seconds} s)",
        ),
        ("DMS task", str(summary.get("cdc_task_id", "?"))),
        ("Requested", record.requested_at),
        ("Link expires", expires.strftime("%Y-%m-%d %H:%M UTC")),
    )


def _already_decided(record: ApprovalRecord) -> Page:
    if record.status == VOID:
        return _page(
            409,
            "This migration is no longer waiting",
            "warning",
            "not_waiting",
            "Nothing was changed.",
        )
    by = record.decided_by
    who = f" from {by.source_ip}" if by else ""
    return _page(
        409,
        f"This cutover was already {record.status}",
        "warning",
        "already_decided",
        f"The decision was taken at {record.decided_at}{who}. The link works once; "
        "nothing was changed now.",
    )


def _decided_page(record: ApprovalRecord, decision: str, at: str, latency: float | None) -> Page:
    database = record.summary.get("database", "?")
    if decision == "approved":
        return _page(
            200,
            f"Cutover of [{database}] approved",
            "ok",
            "approved",
            f"Approved at {at} with CDC latency at {latency:g} s. Stop every write to the "
            "source database now: bak2rds waits until CDC latency is near 0, stops the DMS "
            "task and e-mails you when the RDS database is ready for the application.",
        )
    return _page(
        200,
        f"Cutover of [{database}] rejected",
        "ok",
        "rejected",
        f"Rejected at {at}. bak2rds stops the DMS task and keeps the RDS database; nothing "
        "is dropped. You will get an e-mail when the task has stopped.",
    )


def _page(status: int, title: str, tone: str, outcome: str, *paragraphs: str) -> Page:
    return Page(status, title, tone, paragraphs=paragraphs, log={"outcome": outcome})

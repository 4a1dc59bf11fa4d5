"""The approval API's rules and the page each outcome gets, with an in-memory table and Step
Functions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bak2rds.adapters.approvals import PENDING, VOID, ApprovalRecord, Decider
from bak2rds.adapters.dms import TableStatistic
from bak2rds.approval import REJECTED_ERROR, pages, rules
from bak2rds.approval.links import new_approval_id, sign
from bak2rds.approval.pages import Page
from bak2rds.approval.rules import Collaborators, Latency, Request
from bak2rds.errors import CdcTaskFailed, TransientDependencyError
from bak2rds.models import Approval, ApprovalSummary, Validation
from bak2rds.steps.request_cutover_approval import summary
from bak2rds.validation import summarize
from tests import states

KEY = b"s" * 64
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
EXECUTION = "arn:aws:states:eu-west-1:123456789012:execution:bak2rds-migration:Northwind-1"


def _page(outcome: rules.Outcome, request: Request) -> Page:
    return pages.page(outcome, 60, request.expires or "", request.signature or "")


def view(request: Request, deps: Collaborators) -> Page:
    return _page(rules.view(request, deps), request)


def decide(request: Request, deps: Collaborators) -> Page:
    return _page(rules.decide(request, deps), request)


@dataclass
class FakeTable:
    records: dict[str, ApprovalRecord] = field(default_factory=dict)
    writes: int = 0

    def get(self, approval_id: str) -> ApprovalRecord | None:
        return self.records.get(approval_id)

    def claim(self, approval_id: str, decision: str, by: Decider, at: str, now: int) -> bool:
        record = self.records[approval_id]
        if record.status != PENDING or record.expires_at <= now:
            return False
        self.writes += 1
        self.records[approval_id] = replace(record, status=decision, decided_at=at, decided_by=by)
        return True

    def set_status(self, approval_id: str, status: str, expected: str) -> None:
        if self.records[approval_id].status == expected:
            self.writes += 1
            self.records[approval_id] = replace(self.records[approval_id], status=status)


@dataclass
class FakeStepFunctions:
    status: str = "RUNNING"
    waiting: bool = True
    unreachable: bool = False
    sent: list[tuple[Any, ...]] = field(default_factory=list)

    def execution_status(self, execution_arn: str) -> str:
        return self.status

    def succeed(self, task_token: str, output: Approval) -> bool:
        return self._send(("success", task_token, output))

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        return self._send(("failure", task_token, error, json.loads(cause)))

    def _send(self, call: Any) -> bool:
        if self.unreachable:
            raise TransientDependencyError("Step Functions SendTask: ServiceUnavailable")
        if self.waiting:
            self.sent.append(call)
        return self.waiting


@dataclass
class World:
    table: FakeTable
    sfn: FakeStepFunctions
    record: ApprovalRecord
    expires: str
    signature: str
    latency: Latency = field(default_factory=lambda: Latency(12.0, "running"))
    latency_error: Exception | None = None
    validation: Validation | None = None  # what DMS says now (None: not read)
    validation_error: Exception | None = None
    now: datetime = NOW

    def deps(self) -> Collaborators:
        def measure(summary: ApprovalSummary) -> Latency:
            if self.latency_error:
                raise self.latency_error
            return self.latency

        def validation(summary: ApprovalSummary) -> Validation | None:
            if self.validation_error:
                raise self.validation_error
            return self.validation

        return Collaborators(
            table=self.table,
            callbacks=self.sfn,
            signing_key=lambda: KEY,
            cdc_latency=measure,
            latency_threshold_seconds=60,
            now=self.now,
            validation=validation,
        )

    def request(self, action: str | None, **changes: Any) -> Request:
        values = {
            "approval_id": self.record.approval_id,
            "expires": self.expires,
            "signature": self.signature,
            "action": action,
            "source_ip": "203.0.113.25",
            "user_agent": "Mozilla/5.0",
            **changes,
        }
        return Request(**values)


@pytest.fixture
def world() -> World:
    approval_id = new_approval_id()
    expires_at = int((NOW + timedelta(days=7)).timestamp())
    signed = sign(KEY, approval_id, expires_at)
    record = ApprovalRecord(
        approval_id=approval_id,
        execution_arn=EXECUTION,
        expires_at=expires_at,
        requested_at=NOW.isoformat(),
        summary={**summary(states.state()), "latency_seconds": 8.0, "cdc_task_id": "t"},
        task_token="TOKEN-never-shown",
    )
    return World(
        FakeTable({approval_id: record}),
        FakeStepFunctions(),
        record,
        str(expires_at),
        signed.signature,
    )


def test_get_shows_the_cutover_and_changes_nothing(world: World) -> None:
    for _ in range(3):
        page = view(world.request("reject"), world.deps())
    assert page.status_code == 200 and page.form is not None
    assert page.form.primary == "reject"
    assert ("Database", "Northwind") in page.facts
    assert world.table.writes == 0 and world.sfn.sent == []
    assert "TOKEN" not in repr(page) and "TOKEN" not in repr(world.record)


def test_approve_claims_once_then_sends_success_with_who_and_when(world: World) -> None:
    page = decide(world.request("approve"), world.deps())
    again = decide(world.request("approve"), world.deps())
    rejected_after = decide(world.request("reject"), world.deps())

    assert page.status_code == 200 and page.log == {"outcome": "approved"}
    ((kind, token, output),) = world.sfn.sent
    assert (kind, token, output["decision"]) == ("success", "TOKEN-never-shown", "approved")
    assert output["decided"] == {
        "at": NOW.isoformat(),
        "source_ip": "203.0.113.25",
        "user_agent": "Mozilla/5.0",
        "approval_id": world.record.approval_id,
    }
    assert output["cdc_latency_seconds"] == 12.0
    for replay in (again, rejected_after):
        assert replay.status_code == 409 and replay.log == {"outcome": "already_decided"}


def test_reject_sends_failure_with_the_decision_as_cause(world: World) -> None:
    page = decide(world.request("reject"), world.deps())
    ((kind, _, error, cause),) = world.sfn.sent
    assert (page.status_code, kind, error) == (200, "failure", REJECTED_ERROR)
    assert cause["source_ip"] == "203.0.113.25"
    assert world.table.records[world.record.approval_id].status == "rejected"


def test_approve_while_latency_is_high_or_unknown_changes_nothing(world: World) -> None:
    for latency in (Latency(61.0, "running"), Latency(None, "running"), Latency(3.0, "starting")):
        world.latency = latency
        page = decide(world.request("approve"), world.deps())
        assert page.status_code == 409 and page.log == {"outcome": "latency_high"}
    world.latency_error = CdcTaskFailed("DMS task t is stopped: by hand", code="DMS_TASK_STOPPED")
    assert decide(world.request("approve"), world.deps()).log == {"outcome": "cdc_not_running"}
    assert world.table.writes == 0 and world.sfn.sent == []
    # rejecting needs no latency check
    assert decide(world.request("reject"), world.deps()).status_code == 200


def test_an_expired_link_gets_a_clear_page(world: World) -> None:
    world.now = NOW + timedelta(days=7)
    for page in (
        view(world.request("approve"), world.deps()),
        decide(world.request("approve"), world.deps()),
    ):
        assert page.status_code == 410 and page.log == {"outcome": "expired"}
    assert world.sfn.sent == []


def test_a_finished_execution_waits_for_nothing(world: World) -> None:
    world.sfn.status = "TIMED_OUT"
    page = decide(world.request("approve"), world.deps())
    assert page.status_code == 409 and "timed_out" in page.paragraphs[0]
    assert world.table.writes == 0 and world.sfn.sent == []


def test_a_task_that_stopped_waiting_voids_the_claim(world: World) -> None:
    world.sfn.waiting = False
    page = decide(world.request("approve"), world.deps())
    assert page.log == {"outcome": "not_waiting"}
    assert world.table.records[world.record.approval_id].status == VOID
    assert decide(world.request("approve"), world.deps()).status_code == 409


def test_step_functions_unreachable_undoes_the_claim_so_the_link_still_works(
    world: World,
) -> None:
    world.sfn.unreachable = True
    assert decide(world.request("approve"), world.deps()).status_code == 503
    assert world.table.records[world.record.approval_id].status == PENDING
    world.sfn.unreachable = False
    assert decide(world.request("approve"), world.deps()).status_code == 200


def test_a_missing_or_unknown_decision_is_refused_before_anything(world: World) -> None:
    for action in (None, "", "approve;drop"):
        assert decide(world.request(action), world.deps()).status_code == 400
    unknown = world.request("approve", approval_id=new_approval_id())
    assert decide(unknown, world.deps()).status_code == 403  # signed for another id
    assert world.table.writes == 0


def validated(**failing: int) -> Validation:
    """DMS validation of Orders and Customers; ``failing`` sets Orders' counts."""
    orders = TableStatistic(
        "dbo",
        "Orders",
        "Table completed",
        5,
        1,
        0,
        validation_state="Mismatched records" if failing.get("failed") else "Validated",
        validation_failed=failing.get("failed", 0),
        validation_pending=failing.get("pending", 0),
    )
    customers = TableStatistic(
        "dbo", "Customers", "Table completed", 0, 0, 0, validation_state="Validated"
    )
    return summarize([customers, orders], True, NOW.isoformat())


def test_approve_with_records_that_failed_validation_changes_nothing(world: World) -> None:
    world.validation = validated(failed=2)

    page = decide(world.request("approve"), world.deps())

    assert page.status_code == 409 and page.log == {"outcome": "validation_failed"}
    assert "2 record(s) failed DMS validation in [dbo].[Orders]" in page.paragraphs[0]
    assert page.table[0][:3] == ("Table", "Changes applied", "Validation")
    assert page.table[1][:4] == ("[dbo].[Orders]", "6", "Mismatched records", "2")  # first
    assert world.table.writes == 0 and world.sfn.sent == []
    # rejecting is always possible
    assert decide(world.request("reject"), world.deps()).status_code == 200


def test_pending_records_block_approve_only_when_validation_must_finish(world: World) -> None:
    world.validation = validated(pending=40)
    assert decide(world.request("approve"), world.deps()).status_code == 200

    world.record = replace(
        world.record, summary={**world.record.summary, "validation_must_finish": True}
    )
    world.table.records = {world.record.approval_id: world.record}
    page = decide(world.request("approve"), world.deps())
    assert page.log == {"outcome": "validation_failed"}
    assert "40 record(s) pending" in page.paragraphs[0]


def test_validation_that_cannot_be_read_is_shown_as_recorded_and_approve_decides_nothing(
    world: World,
) -> None:
    world.record = replace(
        world.record, summary={**world.record.summary, "validation": validated(failed=1)}
    )
    world.table.records = {world.record.approval_id: world.record}
    world.validation_error = TransientDependencyError("DMS DescribeTableStatistics: Throttling")

    shown = view(world.request("approve"), world.deps())
    refused = decide(world.request("approve"), world.deps())

    assert shown.status_code == 200 and "1 failed" in shown.table_caption
    assert (refused.status_code, refused.log) == (503, {"outcome": "validation_unreadable"})
    # even when the e-mail's picture was clean: records may have failed since
    world.record = replace(
        world.record, summary={**world.record.summary, "validation": validated()}
    )
    world.table.records = {world.record.approval_id: world.record}
    assert decide(world.request("approve"), world.deps()).log == {
        "outcome": "validation_unreadable"
    }
    assert world.table.writes == 0 and world.sfn.sent == []
    world.validation_error = CdcTaskFailed("1 table(s) are suspended", code="DMS_TABLE_SUSPENDED")
    assert decide(world.request("approve"), world.deps()).log == {"outcome": "cdc_not_running"}


def test_the_validation_table_is_escaped_on_the_page(world: World) -> None:
    hostile = TableStatistic(
        "dbo", "<img src=x onerror=alert(1)>", "Table completed", 0, 0, 0, "Validated"
    )
    world.validation = summarize([hostile], True, NOW.isoformat())

    html = pages.render(view(world.request("approve"), world.deps()))

    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html

"""The cutover approval: e-mail, page, decision, and what the state machine does with it.

Each test runs the real definition to the approval task, then acts as the DBA would: reads
the e-mail's links, opens them (the approval API's real handler, fed API Gateway HTTP API
events by the runtime) and presses a button (a form post).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from typeguard import check_type

from bak2rds.models import MigrationState
from localrun.approvals import ApprovalEmail, HttpResponse
from localrun.runtime import ExecutionResult, LocalRuntime
from localrun.sqlserver import SimulatedRdsSqlServer
from tests.workflow.conftest import StartRuntime

pytestmark = pytest.mark.workflow

KEY = "incoming/Northwind.bak"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def waiting_for_approval(runtime: LocalRuntime) -> tuple[ExecutionResult, ApprovalEmail]:
    runtime.start_migration(KEY)
    (execution,) = runtime.run_until_done()
    assert execution.waiting_for_approval
    (email,) = runtime.approval_emails()
    return execution, email


def press(
    runtime: LocalRuntime, link: str, decision: str, source_ip: str = "203.0.113.25"
) -> HttpResponse:
    """What the page's form posts when a button is pressed: the link's fields + the button."""
    parts = urlsplit(link)
    query = {
        name: values[0] for name, values in parse_qs(parts.query, keep_blank_values=True).items()
    }
    form = {"expires": query["expires"], "signature": query["signature"], "decision": decision}
    return runtime.approval_http(
        "POST",
        link.split("?", maxsplit=1)[0],
        form=form,
        headers={"User-Agent": BROWSER},
        source_ip=source_ip,
    )


def headlines(runtime: LocalRuntime) -> list[str]:
    return [n.subject.removeprefix("[bak2rds] Northwind: ") for n in runtime.notifications()]


def test_approve_then_drain_then_stop_cdc_and_say_what_to_do_next(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    execution, email = waiting_for_approval(runtime)
    assert email.subject == "[bak2rds] Northwind: ready for cutover, approve or reject"
    for fact in (
        "Database:        Northwind",
        "Restore took:",
        "00000014:000000f3:0001",
        "strategy first_lsn",
        "CDC latency now:",
    ):
        assert fact in email.message

    # Given the DBA opens the link: a page, and nothing changes
    page = runtime.approval_http("GET", email.approve_link, headers={"User-Agent": BROWSER})
    assert page.status == 200 and "Cut over [Northwind] to RDS?" in page.body
    assert 'value="approve"' in page.body and 'value="reject"' in page.body
    runtime.run_until_done()
    assert runtime.execution(execution.arn).waiting_for_approval

    # When they approve and stop writes to the source
    approved = press(runtime, email.approve_link, "approve")
    assert approved.status == 200 and "Cutover of [Northwind] approved" in approved.body
    runtime.dms.stop_source_writes()
    (done,) = runtime.run_until_done()

    # Then CDC drains, the DMS task stops, and the e-mail says what to do next
    assert (done.status, done.state_names[-1]) == ("SUCCEEDED", "Cutover Complete")
    assert done.visits("Check Final Sync") >= 2
    approval = done.output["approval"]
    assert approval["decision"] == "approved"
    assert approval["decided"]["source_ip"] == "203.0.113.25"
    assert approval["decided"]["user_agent"] == BROWSER
    assert approval["cdc_latency_seconds"] <= 60
    assert done.output["final_sync"]["latency_seconds"] <= 5
    task_arn = done.output["cdc"]["task_arn"]
    assert "stopped" in [status for _, status in runtime.dms.task(task_arn).status_history]
    assert runtime.dms.status(task_arn) == "deleted"  # stopped, then removed with its endpoints
    assert headlines(runtime)[-1] == "cutover complete"
    complete = runtime.notifications()[-1].message
    assert "Point the application at the RDS instance" in complete
    assert "Keep the source database read-only" in complete
    assert "Northwind" in sql_sim.databases  # nothing dropped

    # the state the execution ends with is what bak2rds.models describes
    check_type(done.output, MigrationState)

    # and the link works once
    again = press(runtime, email.approve_link, "approve")
    assert again.status == 409 and "already approved" in again.body


def test_reject_stops_cdc_and_keeps_the_database(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    _, email = waiting_for_approval(runtime)

    rejected = press(runtime, email.reject_link, "reject", source_ip="198.51.100.99")
    (done,) = runtime.run_until_done()

    assert rejected.status == 200 and "rejected" in rejected.body
    assert (done.status, done.state_names[-1]) == ("SUCCEEDED", "Cutover Rejected")
    assert "Check Final Sync" not in done.state_names  # a rejection never cuts over
    assert done.output["approval"]["decision"] == "rejected"
    check_type(done.output, MigrationState)  # Record Rejection wrote an Approval
    assert done.output["approval"]["decided"]["source_ip"] == "198.51.100.99"
    task_arn = done.output["cdc"]["task_arn"]
    assert "stopped" in [status for _, status in runtime.dms.task(task_arn).status_history]
    assert runtime.dms.status(task_arn) == "deleted"
    assert headlines(runtime)[-1] == "cutover rejected"
    assert "nothing was dropped" in runtime.notifications()[-1].message
    assert "Northwind" in sql_sim.databases
    # and approving afterwards with the other link changes nothing
    assert press(runtime, email.approve_link, "approve").status == 409


def test_no_decision_in_time_expires_the_approval_and_leaves_cdc_running(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime(parameters={"ApprovalTimeoutSeconds": "86400"})
    _execution, email = waiting_for_approval(runtime)
    asked_at = runtime.now

    (done,) = runtime.run_until_done(let_approvals_expire=True)

    assert (done.status, done.error) == ("FAILED", "APPROVAL_EXPIRED")
    assert done.state_names[-2:] == ["Notify Approval Expired", "Approval Expired"]
    assert timedelta(days=1) <= runtime.now - asked_at < timedelta(days=1, minutes=1)
    assert headlines(runtime)[-1] == "approval expired, CDC left running"
    (task,) = runtime.dms.tasks.values()
    assert runtime.dms.status(task.arn) == "running"
    # its DMS task and endpoints are kept, and the e-mail says how to remove them
    expired = runtime.notifications()[-1].message
    assert f"task {task.identifier}, endpoints {task.identifier}-source" in expired
    assert "aws dms delete-replication-task" in expired
    assert runtime.dms_connections.deleted_endpoints == []
    # nothing will switch the RDS copy's triggers and foreign keys back on: it says so, and how
    assert "2 triggers and 3 foreign keys are still switched off" in expired
    assert "bak2rds will not switch them back on" in expired and "ENABLE TRIGGER" in expired
    assert "switches them back on at the cutover" not in expired
    # The links expired with the task: a late click gets a clear page and changes nothing
    late = press(runtime, email.approve_link, "approve")
    assert late.status == 410 and "expired" in late.body
    assert runtime.dms.status(task.arn) == "running"


def test_approve_while_cdc_has_fallen_behind_does_nothing_until_it_catches_up(
    runtime: LocalRuntime,
) -> None:
    execution, email = waiting_for_approval(runtime)
    # Given a batch job on the source puts CDC 10 minutes behind after the e-mail went out
    runtime.dms.fall_behind(600)
    runtime.advance(120)

    refused = press(runtime, email.approve_link, "approve")

    assert refused.status == 409 and "CDC is not caught up right now" in refused.body
    runtime.run_until_done()
    assert runtime.execution(execution.arn).waiting_for_approval  # nothing happened
    # When CDC has caught up again, the same link still works
    runtime.dms.fall_behind(0)
    runtime.advance(120)
    assert press(runtime, email.approve_link, "approve").status == 200
    runtime.dms.stop_source_writes()
    (done,) = runtime.run_until_done()
    assert done.state_names[-1] == "Cutover Complete"


def test_a_source_still_written_to_after_approval_fails_without_stopping_cdc(
    runtime: LocalRuntime,
) -> None:
    _, email = waiting_for_approval(runtime)

    press(runtime, email.approve_link, "approve")  # ... but writes to the source go on
    (done,) = runtime.run_until_done()

    assert (done.status, done.error) == ("FAILED", "CUTOVER_NOT_DRAINED")
    assert "still running" in (done.cause or "")
    (task,) = runtime.dms.tasks.values()
    assert runtime.dms.status(task.arn) == "running"
    assert done.visits("Check Final Sync") <= 62  # bounded: one look a minute for an hour

"""A person opens the e-mail's link in a browser, reads the page and presses Approve.

The page is served on 127.0.0.1 by the local runtime around the real approval handler; the
execution behind it is the real state machine, waiting in its approval task.
"""

from __future__ import annotations

from typing import Any

import pytest

from localrun.runtime import LocalRuntime

pytestmark = [pytest.mark.browser, pytest.mark.workflow]

KEY = "incoming/Northwind.bak"


def waiting_link(runtime: LocalRuntime, which: str = "approve") -> str:
    runtime.start_migration(KEY)
    (execution,) = runtime.run_until_done()
    assert execution.waiting_for_approval
    (email,) = runtime.approval_emails()
    return email.approve_link if which == "approve" else email.reject_link


def test_the_dba_approves_in_a_browser_and_the_migration_completes(
    runtime: LocalRuntime, browser: Any
) -> None:
    link = waiting_link(runtime)
    with runtime.serve_approvals():
        page = browser.new_page()
        # When the DBA opens the link from the e-mail
        response = page.goto(runtime.local_approval_url(link))
        assert response is not None and response.status == 200
        assert page.title() == "Cut over [Northwind] to RDS? - bak2rds"
        assert page.get_by_text("Database", exact=True).is_visible()
        assert page.get_by_role("button", name="Reject cutover").is_visible()
        approve = page.get_by_role("button", name="Approve cutover")
        # ... reading the page changed nothing
        runtime.run_until_done()
        assert runtime.executions()[0].waiting_for_approval

        # and presses Approve, then stops writes to the source as the page asks
        approve.click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Cutover of [Northwind] approved"
        runtime.dms.stop_source_writes()
        (execution,) = runtime.run_until_done()

        # Then the cutover completes, recorded with the browser's address and user agent
        assert (execution.status, execution.state_names[-1]) == ("SUCCEEDED", "Cutover Complete")
        decided = execution.output["approval"]["decided"]
        assert decided["source_ip"] == "127.0.0.1"
        assert "Chrome" in decided["user_agent"]

        # and going back and pressing again changes nothing
        page.go_back()
        page.reload()
        assert "already approved" in page.locator("h1").inner_text()
        page.close()


def test_a_visit_that_only_reads_leaves_the_execution_waiting(
    runtime: LocalRuntime, browser: Any
) -> None:
    link = waiting_link(runtime, "reject")
    with runtime.serve_approvals():
        page = browser.new_page()
        for _ in range(2):  # a mail scanner, then the person, both only look
            page.goto(runtime.local_approval_url(link))
            assert page.get_by_role("button", name="Reject cutover").is_visible()
        page.close()
    (execution,) = runtime.run_until_done()
    assert execution.waiting_for_approval
    assert runtime.dms.status(execution.data["cdc"]["task_arn"]) == "running"

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


def test_the_page_shows_dms_validation_and_approve_is_refused_on_failed_records(
    runtime: LocalRuntime, browser: Any
) -> None:
    link = waiting_link(runtime)
    (execution,) = runtime.executions()
    # Given DMS finds rows of Orders that differ on the source and on RDS
    runtime.dms.set_validation(execution.data["cdc"]["task_arn"], "dbo", "Orders", failed=4)
    with runtime.serve_approvals():
        page = browser.new_page()
        page.goto(runtime.local_approval_url(link))
        # the page lists each table's validation, Orders first with its failed records
        table = page.locator("table")
        assert table.locator("th").all_inner_texts()[:3] == [
            "Table",
            "Changes applied",
            "Validation",
        ]
        first = table.locator("tbody tr").first.locator("td").all_inner_texts()
        assert (first[0], first[2], first[3]) == ("[dbo].[Orders]", "Mismatched records", "4")

        # When the DBA presses Approve, nothing happens and the page says why
        page.get_by_role("button", name="Approve cutover").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == (
            "DMS validation does not let the cutover go ahead"
        )
        assert "4 record(s) failed DMS validation in [dbo].[Orders]" in page.content()
        page.close()
    runtime.run_until_done()
    assert runtime.executions()[0].waiting_for_approval

"""bak2rds.report from the sample states: every fact in place, every value escaped."""

from __future__ import annotations

import json

from bak2rds import report
from tests import states

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:bak2rds-migration:Northwind-1"


def test_a_report_is_built_from_the_state_alone_and_survives_json() -> None:
    state = states.state()
    built = report.build(state, EXECUTION, "2026-12-02T08:00:00+00:00")

    assert built["database"] == state["migration"]["database_name"]
    assert built["start_lsn"] == state["start_lsn"]
    assert built["backup"]["restores"] == state["migration"]["restores"]
    assert json.loads(report.to_json(built)) == json.loads(json.dumps(built))


def test_a_rejection_before_any_final_sync_still_reports() -> None:
    state = states.state()
    for key in ("final_sync", "target_restore", "dms_cleanup", "logins"):
        state.pop(key, None)  # type: ignore[misc]
    state["approval"] = {"decision": "rejected", "decided": {
        "at": "2026-12-02T08:00:00+00:00", "source_ip": "203.0.113.9",
        "user_agent": "curl", "approval_id": "a"}}  # fmt: skip

    built = report.build(state, EXECUTION, "2026-12-02T08:00:00+00:00")

    assert built["decision"]["decision"] == "rejected"
    assert built["durations"]["final_sync_seconds"] is None
    assert "Final sync took</dt><dd>unknown" in report.to_html(built)


def test_every_value_in_the_html_is_escaped() -> None:
    state = states.state()
    state["migration"]["key"] = 'in/<b onmouseover="x">.bak'
    built = report.build(state, EXECUTION, "2026-12-02T08:00:00+00:00")

    html = report.to_html(built)

    assert "<b onmouseover" not in html
    assert "in/&lt;b onmouseover=&quot;x&quot;&gt;.bak" in html
    assert "<script" not in html


def test_the_keys_are_under_reports_by_database_and_execution() -> None:
    assert report.report_keys("Sales", "Sales-abc") == (
        "reports/Sales/Sales-abc.json",
        "reports/Sales/Sales-abc.html",
    )

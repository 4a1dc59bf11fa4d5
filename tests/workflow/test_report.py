"""The cutover report: every cutover or rejection leaves JSON and HTML under reports/, the
final e-mail and the execution output point to it, and it holds no secret."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from localrun.runtime import LocalRuntime
from tests.workflow.test_approval import press, waiting_for_approval

pytestmark = pytest.mark.workflow


def read(bucket: str, key: str) -> tuple[str, str]:
    """An object's text and content type."""
    got = boto3.client("s3").get_object(Bucket=bucket, Key=key)
    return got["Body"].read().decode(), str(got["ContentType"])


def test_an_approved_cutover_leaves_a_report_the_final_e_mail_points_to(
    runtime: LocalRuntime,
) -> None:
    execution, email = waiting_for_approval(runtime)
    runtime.dms.set_changes(execution.data["cdc"]["task_arn"], "dbo", "Orders", 40, 7, 2)
    assert press(runtime, email.approve_link, "approve", source_ip="198.51.100.7").status == 200
    runtime.dms.stop_source_writes()
    (done,) = runtime.run_until_done()
    assert done.state_names[-3:] == [
        "Cutover Approved?",
        "Notify Cutover Complete",
        "Cutover Complete",
    ]
    assert "Write Cutover Report" in done.state_names

    written = done.output["report"]
    assert (written["json_key"], written["html_key"]) == (
        f"reports/Northwind/{done.name}.json",
        f"reports/Northwind/{done.name}.html",
    )
    text, content_type = read(written["bucket"], written["json_key"])
    report = json.loads(text)
    assert content_type == "application/json"
    assert report["database"] == "Northwind"
    assert report["backup"]["key"] == "incoming/Northwind.bak"
    assert report["backup"]["version_id"] == execution.data["migration"]["version_id"]
    assert report["start_lsn"]["dms"] == "00000014:000000f3:0001"
    assert report["start_lsn"]["strategy"] == "first_lsn"
    assert report["decision"]["decision"] == "approved"
    assert report["decision"]["source_ip"] == "198.51.100.7"
    assert report["durations"]["restore_seconds"] > 0
    assert report["durations"]["catch_up_seconds"] > 0
    assert report["dms"]["task_id"] == execution.data["cdc"]["task_id"]
    assert report["dms"]["final_latency_seconds"] is not None
    # per-table validation as Approve read it
    tables = {t["table"]: t for t in report["dms"]["validation"]["tables"]}
    assert tables["[dbo].[Orders]"]["changes"] == 49
    assert report["target"]["triggers_and_keys"]["done"] is True

    html, html_type = read(written["bucket"], written["html_key"])
    assert html_type == "text/html; charset=utf-8"
    assert "<h1>Cutover report: [Northwind]</h1>" in html
    assert "<td>[dbo].[Orders]</td><td>49</td>" in html

    (complete,) = [n for n in runtime.notifications() if "cutover complete" in n.subject]
    assert f"s3://{written['bucket']}/{written['html_key']}" in complete.message


def test_a_rejection_leaves_a_report_too_and_it_holds_no_secret(runtime: LocalRuntime) -> None:
    _, email = waiting_for_approval(runtime)
    (item,) = boto3.client("dynamodb").scan(
        TableName=runtime.function("ApprovalApiFunction").environment["APPROVALS_TABLE"]
    )["Items"]
    token = item["task_token"]["S"]
    signature = parse_qs(urlsplit(email.approve_link).query)["signature"][0]
    agent = "<script>alert('x')</script>"
    response = runtime.approval_http(
        "POST",
        email.reject_link.split("?", maxsplit=1)[0],
        form={
            **{k: v[0] for k, v in parse_qs(urlsplit(email.reject_link).query).items()},
            "decision": "reject",
        },
        headers={"User-Agent": agent},
    )
    assert response.status == 200

    (done,) = runtime.run_until_done()

    assert done.state_names[-1] == "Cutover Rejected"
    written = done.output["report"]
    report = json.loads(read(written["bucket"], written["json_key"])[0])
    html = read(written["bucket"], written["html_key"])[0]
    assert report["decision"]["decision"] == "rejected"
    assert report["decision"]["user_agent"] == agent
    assert agent not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    for secret in (token, signature, runtime.sql.password):
        assert secret not in json.dumps(report) and secret not in html
    (rejected,) = [n for n in runtime.notifications() if "cutover rejected" in n.subject]
    assert written["json_key"] in rejected.message


def test_the_report_lists_what_dms_could_not_apply(runtime: LocalRuntime) -> None:
    execution, email = waiting_for_approval(runtime)
    task_name = execution.data["cdc"]["task_arn"].rsplit(":", 1)[-1]
    runtime.sql.apply_exceptions["northwind"].append(
        {
            "TASK_NAME": task_name,
            "TABLE_OWNER": "dbo",
            "TABLE_NAME": "Orders",
            "ERROR_TIME": "2026-11-28T09:01:02.345",
            "STATEMENT": "INSERT INTO [dbo].[Orders] ... <values>",
            "ERROR": "SqlState: 23000 NativeError: 2627 Violation of PK <PK_Orders>",
        }
    )
    runtime.sql.apply_exceptions["northwind"].append(
        {**runtime.sql.apply_exceptions["northwind"][0], "TASK_NAME": "another-task"}
    )
    assert press(runtime, email.approve_link, "approve").status == 200
    runtime.dms.stop_source_writes()
    (done,) = runtime.run_until_done()

    written = done.output["report"]
    report = json.loads(read(written["bucket"], written["json_key"])[0])
    found = report["dms"]["apply_exceptions"]
    assert (found["table_found"], found["count"]) == (True, 1)  # this task's only
    assert found["recent"][0]["table"] == "[dbo].[Orders]"
    assert "NativeError: 2627" in found["recent"][0]["error"]
    html = read(written["bucket"], written["html_key"])[0]
    assert "DMS apply exceptions: 1" in html
    assert "&lt;PK_Orders&gt;" in html and "<PK_Orders>" not in html
    # the statement carries the application's row values: never copied into the report
    assert "INSERT INTO" not in html and "INSERT INTO" not in json.dumps(report)

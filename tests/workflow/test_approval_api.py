"""The approval API under attack: every hostile request gets a clear page and changes nothing.

The real handler answers API Gateway HTTP API events (``LocalRuntime.approval_http``) against
a real execution waiting in the approval task.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import pytest

from localrun.approvals import ApprovalEmail
from localrun.runtime import LocalRuntime
from tests.workflow.test_approval import press, waiting_for_approval

pytestmark = pytest.mark.workflow


def link_parts(link: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(link)
    return parts.path.rsplit("/", 1)[-1], {
        k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()
    }


def with_query(email: ApprovalEmail, approval_id: str | None = None, **changes: str) -> str:
    current_id, query = link_parts(email.approve_link)
    query.update(changes)
    base = email.approve_link.split("/approvals/")[0]
    return f"{base}/approvals/{approval_id or current_id}?{urlencode(query)}"


def assert_still_waiting(runtime: LocalRuntime) -> None:
    runtime.run_until_done()
    (execution,) = runtime.executions()
    assert execution.waiting_for_approval
    assert "approval" not in execution.data


@pytest.fixture
def waiting(runtime: LocalRuntime) -> ApprovalEmail:
    return waiting_for_approval(runtime)[1]


def test_the_task_token_and_the_key_appear_in_no_link_page_or_log(
    runtime: LocalRuntime, waiting: ApprovalEmail, caplog: pytest.LogCaptureFixture
) -> None:
    (item,) = boto3.client("dynamodb").scan(
        TableName=runtime.function("ApprovalApiFunction").environment["APPROVALS_TABLE"]
    )["Items"]
    token = item["task_token"]["S"]
    key_arn = runtime.function("ApprovalApiFunction").environment["APPROVAL_KEY_SECRET_ARN"]
    key = boto3.client("secretsmanager").get_secret_value(SecretId=key_arn)["SecretString"]
    page = runtime.approval_http("GET", waiting.approve_link)
    press(runtime, waiting.approve_link, "reject")
    invocations = json.dumps(
        [
            i.event
            for i in runtime.lambdas.invocations
            if i.function != "RequestCutoverApprovalFunction"
        ]
    )
    for secret in (token, key):
        assert secret not in waiting.approve_link + waiting.reject_link + waiting.message
        assert secret not in page.body
        assert secret not in caplog.text
        assert secret not in invocations  # nothing the API receives carries them


def test_get_only_shows_even_when_repeated_by_a_mail_scanner(
    runtime: LocalRuntime, waiting: ApprovalEmail
) -> None:
    for link in (waiting.approve_link, waiting.reject_link, waiting.approve_link):
        page = runtime.approval_http("GET", link, headers={"User-Agent": "SafeLinks/1.0"})
        assert page.status == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert_still_waiting(runtime)


@pytest.mark.parametrize(
    "tamper",
    [
        "signature_flipped",
        "signature_truncated",
        "signature_missing",
        "expiry_extended",
        "other_approval_id",
        "garbage_approval_id",
    ],
)
def test_a_tampered_link_is_refused_on_get_and_post(
    runtime: LocalRuntime, waiting: ApprovalEmail, tamper: str
) -> None:
    _approval_id, query = link_parts(waiting.approve_link)
    signature, expires = query["signature"], query["expires"]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    link = {
        "signature_flipped": with_query(waiting, signature=flipped),
        "signature_truncated": with_query(waiting, signature=signature[:20]),
        "signature_missing": with_query(waiting, signature=""),
        "expiry_extended": with_query(waiting, expires=str(int(expires) + 86400)),
        "other_approval_id": with_query(waiting, approval_id="A" * 22),
        "garbage_approval_id": with_query(waiting, approval_id="%3Cscript%3E"),
    }[tamper]

    shown = runtime.approval_http("GET", link)
    posted = press(runtime, link, "approve")

    for response in (shown, posted):
        assert response.status == 403, response.body
        assert "This link is not valid" in response.body
        assert "<form" not in response.body
    assert_still_waiting(runtime)


def test_a_post_without_a_decision_or_with_an_unknown_one_changes_nothing(
    runtime: LocalRuntime, waiting: ApprovalEmail
) -> None:
    assert press(runtime, waiting.approve_link, "delete-everything").status == 400
    url = waiting.approve_link.split("?")[0]
    assert runtime.approval_http("POST", url, form={}).status == 400
    assert runtime.approval_http("POST", url, form={"decision": "approve"}).status == 403
    assert_still_waiting(runtime)


def test_a_link_for_a_finished_execution_gets_a_clear_page(
    runtime: LocalRuntime, waiting: ApprovalEmail
) -> None:
    (execution,) = runtime.executions()
    boto3.client("stepfunctions").stop_execution(executionArn=execution.arn, error="Abandoned")
    runtime.run_until_done()

    shown = runtime.approval_http("GET", waiting.approve_link)
    posted = press(runtime, waiting.approve_link, "approve")

    for response in (shown, posted):
        assert response.status == 409 and "no longer waiting" in response.body
        assert "aborted" in response.body
    assert runtime.executions()[0].status == "ABORTED"


def test_unknown_routes_and_methods_are_not_found(
    runtime: LocalRuntime, waiting: ApprovalEmail
) -> None:
    base = waiting.approve_link.split("/approvals/")[0]
    assert runtime.approval_http("GET", f"{base}/").status == 404
    assert runtime.approval_http("DELETE", waiting.approve_link).status == 404
    with pytest.raises(ValueError, match="not the approval API"):
        runtime.approval_http("GET", "https://evil.example/approvals/x")
    assert_still_waiting(runtime)

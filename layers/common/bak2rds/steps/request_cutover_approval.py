"""Request Cutover Approval: store the task token, sign the links, e-mail them.

Runs inside the ``.waitForTaskToken`` task: the state machine waits until the approval API
calls SendTaskSuccess or SendTaskFailure with the token stored here, or until the task's
timeout (``ApprovalTimeoutSeconds``), which is also when the links expire. See
``bak2rds.approval.links`` for why the token stays in DynamoDB and out of every URL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bak2rds import messages
from bak2rds.adapters.approvals import ApprovalRecord, ApprovalsTable
from bak2rds.approval import links
from bak2rds.models import (
    APPROVAL_SUMMARY_SCHEMA,
    ApprovalRequested,
    ApprovalSummary,
    MigrationState,
)
from bak2rds.naming import quoted
from bak2rds.steps.notify import Publisher


def summary(state: MigrationState, validation_must_finish: bool = False) -> ApprovalSummary:
    """What the e-mail and the page show, and what the API needs to re-check latency."""
    migration, restore = state["migration"], state.get("restore", {})
    lsn, cdc = state.get("start_lsn", {}), state["cdc"]
    shown: ApprovalSummary = {
        "schema": APPROVAL_SUMMARY_SCHEMA,
        "database": migration["database_name"],
        "source": f"s3://{migration['bucket']}/{migration['key']}",
        "restore_seconds": restore.get("elapsed_seconds"),
        "start_lsn": lsn.get("dms"),
        "lsn_strategy": lsn.get("strategy"),
        "latency_seconds": cdc.get("latency_seconds"),
        "cdc_task_arn": cdc["task_arn"],
        "cdc_task_id": cdc["task_id"],
        "replication_instance_id": cdc["replication_instance_id"],
    }
    prepared = state.get("target_prep")
    if prepared is not None:  # switched off on the RDS copy until the cutover
        shown["triggers_off"] = prepared["triggers_off"]
        shown["foreign_keys_off"] = prepared["foreign_keys_off"]
        shown["excluded_tables"] = [
            quoted(t["schema"], t["table"]) for t in prepared["excluded_tables"]
        ]
    if "validation" in cdc:
        shown["validation"] = cdc["validation"]
        shown["validation_must_finish"] = validation_must_finish
    logins = state.get("logins")
    if logins is not None:  # users the application may log in as, with no login on RDS
        shown["unmapped_users"] = logins["unmapped_users"]
        shown["unmapped_user_count"] = logins["count"]
    return shown


def run(
    execution_arn: str,
    task_token: str,
    state: MigrationState,
    entered_at: datetime,
    timeout_seconds: int,
    base_url: str,
    key: bytes,
    threshold_seconds: int,
    table: ApprovalsTable,
    topic: Publisher,
    now: datetime,
    validation_must_finish: bool = False,
) -> ApprovalRequested:
    # The links expire when the task times out: a later click could not be honoured anyway.
    expires = (entered_at + timedelta(seconds=timeout_seconds)).astimezone(UTC)
    expires_at = int(expires.timestamp())
    details = summary(state, validation_must_finish)
    approval_id = links.new_approval_id()
    table.put(
        ApprovalRecord(
            approval_id=approval_id,
            execution_arn=execution_arn,
            task_token=task_token,
            expires_at=expires_at,
            requested_at=now.astimezone(UTC).isoformat(),
            summary=details,
        )
    )
    link = links.sign(key, approval_id, expires_at)
    subject, body = messages.approval_request(
        details,
        execution_arn,
        link.url(base_url, "approve"),
        link.url(base_url, "reject"),
        expires,
        threshold_seconds,
    )
    attributes = {"event": "APPROVAL_REQUESTED", "database": details["database"]}
    message_id = topic.publish(subject, body, attributes)
    return {"approval_id": approval_id, "expires_at": expires.isoformat(), "message_id": message_id}

"""The approvals table (DynamoDB): one record per approval request, keyed by approval id.

The record holds the Step Functions task token (never sent anywhere else, never logged) and
what the approval page shows. Its ``status`` moves once, from ``pending`` to ``approved`` or
``rejected``, with a conditional write: of two POSTs racing with the same link, one wins and
the other sees the decision already taken. ``ttl`` lets DynamoDB delete the record 30 days
after the link expired (kept that long for the audit trail in the table).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from bak2rds.adapters.aws import aws_call, error_code
from bak2rds.models import APPROVAL_SUMMARY_SCHEMA, ApprovalSummary

PENDING = "pending"
VOID = "void"  # decided here, but the execution had stopped waiting (timed out or stopped)
_KEEP_AFTER_EXPIRY_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class ApprovalRecord:
    """One approval request as the table holds it, from request to decision."""

    approval_id: str
    execution_arn: str
    expires_at: int  # Unix seconds, the same expiry the links carry
    requested_at: str
    summary: ApprovalSummary  # what the page shows and the latency re-check needs
    task_token: str = field(repr=False)  # a credential: kept out of repr, logs and pages
    status: str = PENDING
    decided_at: str | None = None
    decided_by: Decider | None = None


@dataclass(frozen=True)
class Decider:
    """Who pressed the button, as API Gateway saw them."""

    source_ip: str
    user_agent: str


class ApprovalsTable:
    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        self._dynamodb = dynamodb_client
        self._table = table_name

    def put(self, record: ApprovalRecord) -> None:
        item = {
            "approval_id": {"S": record.approval_id},
            "execution_arn": {"S": record.execution_arn},
            "task_token": {"S": record.task_token},
            "status": {"S": record.status},
            "expires_at": {"N": str(record.expires_at)},
            "ttl": {"N": str(record.expires_at + _KEEP_AFTER_EXPIRY_SECONDS)},
            "requested_at": {"S": record.requested_at},
            "summary": {"S": json.dumps(record.summary, separators=(",", ":"))},
        }
        with aws_call("DynamoDB PutItem"):
            self._dynamodb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(approval_id)",
            )

    def get(self, approval_id: str) -> ApprovalRecord | None:
        with aws_call("DynamoDB GetItem"):
            response = self._dynamodb.get_item(
                TableName=self._table, Key={"approval_id": {"S": approval_id}}, ConsistentRead=True
            )
        item = response.get("Item")
        return _record(item) if item else None

    def claim(self, approval_id: str, decision: str, by: Decider, at: str, now: int) -> bool:
        """Move a pending, unexpired record to ``decision``; False if it was not pending."""
        try:
            with aws_call("DynamoDB UpdateItem"):
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key={"approval_id": {"S": approval_id}},
                    UpdateExpression=(
                        "SET #status = :decision, decided_at = :at, decided_by_ip = :ip, "
                        "decided_by_agent = :agent"
                    ),
                    ConditionExpression="#status = :pending AND expires_at > :now",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":decision": {"S": decision},
                        ":pending": {"S": PENDING},
                        ":at": {"S": at},
                        ":ip": {"S": by.source_ip},
                        ":agent": {"S": by.user_agent},
                        ":now": {"N": str(now)},
                    },
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def set_status(self, approval_id: str, status: str, expected: str) -> None:
        """Undo a claim (back to pending) or mark it void, if nobody changed it since."""
        try:
            with aws_call("DynamoDB UpdateItem"):
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key={"approval_id": {"S": approval_id}},
                    UpdateExpression="SET #status = :status",
                    ConditionExpression="#status = :expected",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":status": {"S": status},
                        ":expected": {"S": expected},
                    },
                )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise


def _record(item: dict[str, Any]) -> ApprovalRecord:
    def text(name: str) -> str | None:
        value = item.get(name)
        return str(value["S"]) if value and "S" in value else None

    ip, agent = text("decided_by_ip"), text("decided_by_agent")
    return ApprovalRecord(
        approval_id=str(item["approval_id"]["S"]),
        execution_arn=str(item["execution_arn"]["S"]),
        task_token=str(item["task_token"]["S"]),
        status=str(item["status"]["S"]),
        expires_at=int(item["expires_at"]["N"]),
        requested_at=text("requested_at") or "",
        summary=_summary(json.loads(text("summary") or "{}")),
        decided_at=text("decided_at"),
        decided_by=Decider(ip or "", agent or "") if ip is not None else None,
    )


def _summary(stored: dict[str, Any]) -> ApprovalSummary:
    # Records written before summaries carried a schema hold schema 1's fields.
    summary: ApprovalSummary = {"schema": APPROVAL_SUMMARY_SCHEMA, **stored}  # type: ignore[typeddict-item]
    return summary

"""States "Notify ...": publish a milestone or a failure to the SNS topic."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import wiring
from bak2rds.observability import logger, step_handler
from bak2rds.steps import notify


@step_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    execution_arn, state = event["execution_id"], event.get("state", {})
    if event["event"] == "FAILED":
        notice = notify.failure(event["failure"], state, execution_arn, wiring.topic())
        logger.error("Migration failed", extra={"code": notice["code"]})
        return notice
    if event["event"] == "APPROVAL_EXPIRED":  # ends the execution: the Fail state needs a code
        return notify.approval_expired(state, execution_arn, wiring.topic())
    return notify.milestone(event["event"], state, execution_arn, wiring.topic())

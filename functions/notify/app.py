"""States "Notify ...": publish a milestone or a failure to the SNS topic."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import wiring
from bak2rds.observability import CORRELATION_PATH, logger, metrics, tracer
from bak2rds.steps import notify


@logger.inject_lambda_context(correlation_id_path=CORRELATION_PATH)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    execution_arn, state = event["execution_id"], event.get("state", {})
    if event["event"] == "FAILED":
        notice = notify.failure(event["failure"], state, execution_arn, wiring.topic())
        logger.error("Migration failed", extra={"code": notice["code"]})
        return notice
    if event["event"] == "APPROVAL_EXPIRED":  # ends the execution: the Fail state needs a code
        return notify.approval_expired(state, execution_arn, wiring.topic())
    return notify.milestone(event["event"], state, execution_arn, wiring.topic())

"""State "Request Cutover Approval": e-mail signed approve/reject links, then wait for them.

Invoked by ``lambda:invoke.waitForTaskToken``: the state machine waits for the approval API,
not for this function's result. The task token is stored, never logged by the function (nor by
the state machine's log group, which carries no execution data).
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config
from bak2rds.models import ApprovalRequested, RequestCutoverApprovalPayload
from bak2rds.observability import logger, step_handler
from bak2rds.steps import request_cutover_approval
from bak2rds.wiring import approval, services


@step_handler
def lambda_handler(
    event: RequestCutoverApprovalPayload, context: LambdaContext
) -> ApprovalRequested:
    state, settings = event["state"], config.load(config.ApprovalSettings)
    cdc = config.load(config.CdcSettings)
    requested = request_cutover_approval.run(
        event["execution_id"],
        event["task_token"],
        state,
        clock.parse_timestamp(event["entered_at"]),
        settings.timeout_seconds,
        config.load(config.ApprovalLinkSettings).base_url,
        approval.signing_key(settings.key_secret_arn),
        cdc.latency_threshold_seconds,
        approval.approvals_table(),
        services.topic(),
        clock.utcnow(),
        validation_must_finish=cdc.validation_must_finish,
    )
    logger.info("Cutover approval requested", extra=dict(requested))
    return requested

"""State "Remove DMS Resources": delete this migration's DMS task and endpoints."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config
from bak2rds.models import DmsCleanup, RemoveDmsResourcesPayload
from bak2rds.observability import logger, step_handler
from bak2rds.steps import remove_dms_resources
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: RemoveDmsResourcesPayload, context: LambdaContext) -> DmsCleanup:
    state = event["state"]
    cleanup = remove_dms_resources.run(
        event["execution_name"],
        config.load(config.StackSettings).stack_name,
        (state["cdc"], state["dms"], state.get("dms_cleanup")),
        services.dms(),
        clock.utcnow(),
    )
    logger.info("DMS cleanup", extra={k: cleanup[k] for k in ("task_gone", "done")})
    return cleanup

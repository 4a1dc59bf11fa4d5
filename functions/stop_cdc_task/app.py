"""State "Stop CDC Task": stop this migration's DMS task at cutover or on rejection."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock
from bak2rds.models import CdcStop, WholeStatePayload
from bak2rds.observability import logger, step_handler
from bak2rds.steps import stop_cdc_task
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: WholeStatePayload, context: LambdaContext) -> CdcStop:
    state = event["state"]  # the whole state: "cdc_stop" is absent on the first look
    stop = stop_cdc_task.run(state["cdc"], state.get("cdc_stop"), services.dms(), clock.utcnow())
    logger.info("DMS task stop", extra={k: stop[k] for k in ("task_id", "status", "stopped")})
    return stop

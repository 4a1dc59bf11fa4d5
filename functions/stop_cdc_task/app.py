"""State "Stop CDC Task": stop this migration's DMS task at cutover or on rejection."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, wiring
from bak2rds.observability import CORRELATION_PATH, logger, metrics, tracer
from bak2rds.steps import stop_cdc_task


@logger.inject_lambda_context(correlation_id_path=CORRELATION_PATH)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    state = event["state"]  # the whole state: "cdc_stop" is absent on the first look
    logger.append_keys(database=state["migration"]["database_name"])
    stop = stop_cdc_task.run(state["cdc"], state.get("cdc_stop"), wiring.dms(), clock.utcnow())
    logger.info("DMS task stop", extra={k: stop[k] for k in ("task_id", "status", "stopped")})
    return stop

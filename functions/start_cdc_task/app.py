"""State "Start CDC Task": start-replication at the CDC start LSN once the task is ready."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, wiring
from bak2rds.observability import CORRELATION_PATH, logger, metrics, tracer
from bak2rds.steps import start_cdc_task


@logger.inject_lambda_context(correlation_id_path=CORRELATION_PATH)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(database=event["migration"]["database_name"])
    return start_cdc_task.run(event["cdc"], event["start_lsn"], wiring.dms(), clock.utcnow())

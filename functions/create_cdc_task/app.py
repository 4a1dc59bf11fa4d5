"""State "Create CDC Task": the DMS CDC-only task of this migration, created once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import config, wiring
from bak2rds.observability import CORRELATION_PATH, logger, metrics, tracer
from bak2rds.steps import create_cdc_task


@logger.inject_lambda_context(correlation_id_path=CORRELATION_PATH)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(database=event["migration"]["database_name"])
    return create_cdc_task.run(
        event["execution_name"], event["migration"], event["start_lsn"], wiring.dms(), config.dms()
    )

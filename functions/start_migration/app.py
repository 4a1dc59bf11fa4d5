"""EventBridge target: starts one migration per uploaded .bak object version."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import wiring
from bak2rds.observability import logger, metrics, tracer
from bak2rds.steps import start_migration


@logger.inject_lambda_context(correlation_id_path="id")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = start_migration.run(event, wiring.state_machine())
    logger.info("Migration started" if not result["duplicate"] else "Duplicate event", extra=result)
    return result

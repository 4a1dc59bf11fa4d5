"""EventBridge target: starts one migration per uploaded .bak object version."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds.models import StartedMigration
from bak2rds.observability import logger, step_handler
from bak2rds.steps import start_migration
from bak2rds.wiring import services


@step_handler(correlation_id_path="id")  # the EventBridge event id
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> StartedMigration:
    result = start_migration.run(event, services.state_machine(), services.staging_bucket())
    if result["staged"]:
        logger.info("Staged base: nothing started", extra=result)
    else:
        logger.info("Duplicate event" if result["duplicate"] else "Migration started", extra=result)
    return result

"""State "Check Target": the configured RDS for SQL Server instance can take this backup."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config
from bak2rds.models import CheckTargetPayload, Target
from bak2rds.observability import step_handler
from bak2rds.steps import check_target
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: CheckTargetPayload, context: LambdaContext) -> Target:
    instance_id = config.load(config.TargetSettings).instance_id
    return check_target.run(instance_id, event["migration"], services.rds_api(), clock.utcnow())

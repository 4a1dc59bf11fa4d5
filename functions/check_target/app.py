"""State "Check Target": the configured RDS for SQL Server instance is available."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import config, wiring
from bak2rds.observability import step_handler
from bak2rds.steps import check_target


@step_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return check_target.run(
        config.load(config.TargetSettings).instance_id, event["migration"], wiring.rds_api()
    )

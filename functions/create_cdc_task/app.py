"""State "Create CDC Task": the DMS CDC-only task of this migration, created once."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import config
from bak2rds.models import Cdc, CreateCdcTaskPayload
from bak2rds.observability import step_handler
from bak2rds.steps import create_cdc_task
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: CreateCdcTaskPayload, context: LambdaContext) -> Cdc:
    return create_cdc_task.run(
        event["execution_name"],
        event["dms"],
        services.dms(),
        config.load(config.DmsSettings),
        config.load(config.StackSettings).stack_name,
    )

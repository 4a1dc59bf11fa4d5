"""State "Create DMS Endpoints": this migration's DMS source and target endpoints."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import config
from bak2rds.models import CreateDmsEndpointsPayload, DmsResources
from bak2rds.observability import logger, step_handler
from bak2rds.steps import create_dms_endpoints
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: CreateDmsEndpointsPayload, context: LambdaContext) -> DmsResources:
    resources = create_dms_endpoints.run(
        event["execution_name"],
        event["migration"],
        services.dms(),
        config.load(config.DmsEndpointSettings),
        config.load(config.StackSettings).stack_name,
    )
    logger.info(
        "DMS endpoints",
        extra={k: resources[k] for k in ("source_endpoint_id", "target_endpoint_id")},
    )
    return resources

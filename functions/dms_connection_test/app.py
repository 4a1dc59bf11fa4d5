"""States "Test Source Connection" and "Test Target Connection": DMS tests one endpoint."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock
from bak2rds.models import ConnectionCheck, ConnectionTestPayload
from bak2rds.observability import logger, step_handler
from bak2rds.steps import dms_connection
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: ConnectionTestPayload, context: LambdaContext) -> ConnectionCheck:
    # the whole state: this test's earlier answer is absent on the first look
    check = dms_connection.run(event["role"], event["state"], services.dms(), clock.utcnow())
    logger.info("DMS connection test", extra={k: check[k] for k in ("role", "status")})
    return check

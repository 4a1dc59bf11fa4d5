"""State "Read Apply Exceptions": what DMS could not apply on RDS, for the cutover report."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock
from bak2rds.adapters.apply_exceptions import ApplyExceptions
from bak2rds.models import AppliedExceptions, ReadApplyExceptionsPayload
from bak2rds.observability import logger, step_handler
from bak2rds.steps import read_apply_exceptions
from bak2rds.wiring import sql


@step_handler
def lambda_handler(event: ReadApplyExceptionsPayload, context: LambdaContext) -> AppliedExceptions:
    reader = ApplyExceptions(sql.sql_server(event["target"]), event["migration"]["database_name"])
    found = read_apply_exceptions.run(reader, event["cdc"]["task_arn"], clock.utcnow())
    logger.info("DMS apply exceptions", extra={"count": found["count"]})
    return found

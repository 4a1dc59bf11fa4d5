"""State "Derive Start LSN": the CDC start point from msdb's record of the restore."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import config
from bak2rds.models import DeriveStartLsnPayload, StartLsn
from bak2rds.observability import logger, step_handler
from bak2rds.steps import derive_start_lsn
from bak2rds.wiring import sql


@step_handler
def lambda_handler(event: DeriveStartLsnPayload, context: LambdaContext) -> StartLsn:
    strategy = config.load(config.LsnSettings).strategy
    connection = sql.sql_server(event["target"])
    start_lsn = derive_start_lsn.run(event["migration"], connection, strategy)
    logger.info("CDC start LSN", extra={"lsn": start_lsn["dms"], "strategy": strategy})
    return start_lsn

"""State "Derive Start LSN": the CDC start point from msdb's record of the restore."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import config, wiring
from bak2rds.observability import logger, step_handler
from bak2rds.steps import derive_start_lsn


@step_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    migration = event["migration"]
    logger.append_keys(database=migration["database_name"])
    start_lsn = derive_start_lsn.run(
        migration, wiring.sql_server(event["target"]), config.load(config.LsnSettings).strategy
    )
    logger.info("CDC start LSN", extra={"lsn": start_lsn["dms"], "strategy": start_lsn["strategy"]})
    return start_lsn

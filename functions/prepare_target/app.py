"""State "Prepare Target": keyless tables checked, triggers and foreign keys switched off."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config
from bak2rds.adapters.restored_database import RestoredDatabase
from bak2rds.models import PrepareTargetPayload, TargetPrep
from bak2rds.observability import logger, step_handler
from bak2rds.steps import prepare_target
from bak2rds.wiring import sql


@step_handler
def lambda_handler(event: PrepareTargetPayload, context: LambdaContext) -> TargetPrep:
    database = RestoredDatabase(
        sql.sql_server(event["target"]),
        event["migration"]["database_name"],
        event["execution_name"],
    )
    settings = config.load(config.TargetPrepSettings)
    prepared = prepare_target.run(database, settings, clock.utcnow())
    logger.info(
        "Target prepared",
        extra={k: prepared[k] for k in ("triggers_off", "foreign_keys_off", "keyless_policy")}
        | {"excluded_tables": len(prepared["excluded_tables"])},
    )
    return prepared

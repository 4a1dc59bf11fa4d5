"""State "Restore Triggers And Keys": the restored copy's triggers and foreign keys back on."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config
from bak2rds.adapters.restored_database import RestoredDatabase
from bak2rds.models import RestoreTriggersAndKeysPayload, TargetRestore
from bak2rds.observability import logger, step_handler
from bak2rds.steps import restore_triggers_and_keys
from bak2rds.wiring import sql

SPARE_SECONDS = 30  # after the last statement's timeout, to answer


@step_handler
def lambda_handler(event: RestoreTriggersAndKeysPayload, context: LambdaContext) -> TargetRestore:
    state = event["state"]  # the whole state: "target_restore" is absent on the first look
    database = RestoredDatabase(
        sql.sql_server(state["target"]),
        state["migration"]["database_name"],
        event["execution_name"],
    )
    budget_ms = 1000 * (config.load(config.SqlSettings).query_timeout_seconds + SPARE_SECONDS)

    def keep_going() -> bool:  # room for one more statement to time out and an answer
        return context.get_remaining_time_in_millis() > budget_ms

    restored = restore_triggers_and_keys.run(
        state.get("target_restore"), state["target_prep"], database, keep_going, clock.utcnow()
    )
    logger.info(
        "Triggers and foreign keys",
        extra={k: restored[k] for k in ("triggers_on", "foreign_keys_on", "failed_count", "done")},
    )
    return restored

"""State "Check Logins": the restored database's users no login of the instance maps to."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock
from bak2rds.adapters.restored_database import RestoredDatabase
from bak2rds.models import CheckLoginsPayload, Logins
from bak2rds.observability import logger, step_handler
from bak2rds.steps import check_logins
from bak2rds.wiring import sql


@step_handler
def lambda_handler(event: CheckLoginsPayload, context: LambdaContext) -> Logins:
    execution = event["execution_id"].rsplit(":", 1)[-1]
    database = RestoredDatabase(
        sql.sql_server(event["target"]), event["migration"]["database_name"], execution
    )
    logins = check_logins.run(database, clock.utcnow())
    logger.info("Users without a login", extra={"count": logins["count"]})
    return logins

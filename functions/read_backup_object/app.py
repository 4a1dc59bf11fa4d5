"""State "Read Backup Object": the S3 event becomes a validated migration."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import wiring
from bak2rds.observability import logger, step_handler
from bak2rds.steps import read_backup_object


@step_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    migration = read_backup_object.run(
        event["event"], wiring.staging_bucket(), wiring.partition_of(event["execution_id"])
    )
    logger.append_keys(database=migration["database_name"])
    logger.info("Backup object accepted", extra={"key": migration["key"]})
    return migration

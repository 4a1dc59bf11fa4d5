"""State "Read Backup Object": the S3 event becomes a validated migration."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds.models import Migration, ReadBackupObjectPayload
from bak2rds.observability import logger, step_handler
from bak2rds.steps import read_backup_object
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: ReadBackupObjectPayload, context: LambdaContext) -> Migration:
    partition = services.partition_of(event["execution_id"])
    migration = read_backup_object.run(
        event["event"], services.staging_bucket(), partition, execution_name=event["execution_id"]
    )
    logger.append_keys(database=migration["database_name"])
    logger.info("Backup object accepted", extra={"key": migration["key"]})
    return migration

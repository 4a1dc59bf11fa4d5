"""State "Start Restore": EXEC msdb.dbo.rds_restore_database, once per migration."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config
from bak2rds.models import Restore, StartRestorePayload
from bak2rds.observability import MetricUnit, logger, metrics, step_handler
from bak2rds.steps import start_restore
from bak2rds.wiring import sql


@step_handler
def lambda_handler(event: StartRestorePayload, context: LambdaContext) -> Restore:
    migration = event["migration"]
    restore = start_restore.run(
        migration,
        sql.sql_server(event["target"]),
        config.load(config.RestoreSettings).kms_key_arn,
        execution_started_at=clock.parse_timestamp(event["execution_started_at"]),
        now=clock.utcnow(),
    )
    if not restore["reused_existing_task"]:
        metrics.add_metric("RestoreSizeBytes", MetricUnit.Bytes, migration["size_bytes"])
    logger.info("Restore task", extra={"task_id": restore["task_id"]})
    return restore

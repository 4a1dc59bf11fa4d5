"""State "Check Restore": one look at msdb.dbo.rds_task_status for the restore task."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config
from bak2rds.models import CheckRestorePayload, Restore
from bak2rds.observability import MetricUnit, logger, metrics, step_handler
from bak2rds.steps import check_restore
from bak2rds.wiring import sql


@step_handler
def lambda_handler(event: CheckRestorePayload, context: LambdaContext) -> Restore:
    connection = sql.sql_server(event["target"])
    restore = check_restore.run(
        event["restore"],
        event["migration"],
        connection,
        config.load(config.RestoreSettings).kms_key_arn,
        # An execution started on an older definition passes no start time: the restore's
        execution_started_at=clock.parse_timestamp(
            event.get("execution_started_at") or event["restore"]["started_at"]
        ),
        now=clock.utcnow(),
    )
    if restore.get("succeeded"):
        elapsed = restore.get("elapsed_seconds", 0)
        metrics.add_metric("RestoreDurationSeconds", MetricUnit.Seconds, elapsed)
    if restore.get("queued"):  # waiting for one of RDS's two task slots: not a failure
        logger.info("Restore queued", extra={"tasks_ahead": restore.get("tasks_ahead", 0)})
    logger.info(
        "Restore progress", extra={k: restore[k] for k in ("lifecycle", "percent_complete")}
    )
    return restore

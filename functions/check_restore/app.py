"""State "Check Restore": one look at msdb.dbo.rds_task_status for the restore task."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, wiring
from bak2rds.observability import CORRELATION_PATH, MetricUnit, logger, metrics, tracer
from bak2rds.steps import check_restore


@logger.inject_lambda_context(correlation_id_path=CORRELATION_PATH)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(database=event["migration"]["database_name"])
    restore = check_restore.run(
        event["restore"], wiring.sql_server(event["target"]), clock.utcnow()
    )
    if restore["succeeded"]:
        metrics.add_metric("RestoreDurationSeconds", MetricUnit.Seconds, restore["elapsed_seconds"])
    logger.info(
        "Restore progress", extra={k: restore[k] for k in ("lifecycle", "percent_complete")}
    )
    return restore

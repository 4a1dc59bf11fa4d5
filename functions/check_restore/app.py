"""State "Check Restore": one look at msdb.dbo.rds_task_status for the restore task."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, wiring
from bak2rds.observability import MetricUnit, logger, metrics, step_handler
from bak2rds.steps import check_restore


@step_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    restore = check_restore.run(
        event["restore"], wiring.sql_server(event["target"]), clock.utcnow()
    )
    if restore["succeeded"]:
        metrics.add_metric("RestoreDurationSeconds", MetricUnit.Seconds, restore["elapsed_seconds"])
    logger.info(
        "Restore progress", extra={k: restore[k] for k in ("lifecycle", "percent_complete")}
    )
    return restore

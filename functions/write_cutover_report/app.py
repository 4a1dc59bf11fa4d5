"""State "Write Cutover Report": the JSON and HTML report of the cutover or rejection."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock
from bak2rds.models import ReportWritten, WriteCutoverReportPayload
from bak2rds.observability import logger, step_handler
from bak2rds.steps import write_cutover_report
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: WriteCutoverReportPayload, context: LambdaContext) -> ReportWritten:
    written = write_cutover_report.run(
        event["state"],
        event["execution_id"],
        event["execution_name"],
        services.staging_bucket(),
        clock.utcnow(),
    )
    logger.info("Cutover report written", extra=dict(written))
    return written

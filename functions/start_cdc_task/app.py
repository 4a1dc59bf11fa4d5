"""State "Start CDC Task": start-replication at the CDC start LSN once the task is ready."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock
from bak2rds.models import Cdc, StartCdcTaskPayload
from bak2rds.observability import step_handler
from bak2rds.steps import start_cdc_task
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: StartCdcTaskPayload, context: LambdaContext) -> Cdc:
    return start_cdc_task.run(
        event["cdc"], event["start_lsn"], event["target_prep"], services.dms(), clock.utcnow()
    )

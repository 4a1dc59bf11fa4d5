"""EventBridge target: e-mails a DMS task that failed or stopped, and an execution that ended
FAILED, TIMED_OUT or ABORTED without its own e-mail, within a minute of AWS's event."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import config
from bak2rds.models import Alert
from bak2rds.observability import logger, step_handler
from bak2rds.steps import alert
from bak2rds.wiring import services


@step_handler(correlation_id_path="id")  # the EventBridge event id
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Alert:
    result = alert.run(
        event,
        services.dms(),
        services.topic(),
        config.load(config.StackSettings).stack_name,
        config.load(config.StarterSettings).state_machine_arn,
    )
    logger.info("Alert sent" if result["alerted"] else "No alert", extra=dict(result))
    return result

"""State "Assess CDC Task": DMS's premigration assessment of the task, during the restore."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config
from bak2rds.models import AssessCdcTaskPayload, Assessment
from bak2rds.observability import logger, step_handler
from bak2rds.steps import assess_cdc_task
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: AssessCdcTaskPayload, context: LambdaContext) -> Assessment:
    state = event["state"]  # the whole state: "assessment" is absent on the first look
    assessment = assess_cdc_task.run(
        state.get("assessment"),
        state["migration"],
        state["cdc"],
        event["execution_name"],
        config.load(config.AssessmentSettings),
        services.dms(),
        clock.utcnow(),
    )
    logger.info(
        "DMS premigration assessment",
        extra={k: assessment.get(k) for k in ("status", "done", "wait_seconds")}
        | {"notes": len(assessment.get("notes", []))},
    )
    return assessment

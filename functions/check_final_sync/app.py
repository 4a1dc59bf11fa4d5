"""State "Check Final Sync": after approval, wait for CDC latency to reach ~0."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config
from bak2rds.models import FinalSync, WholeStatePayload
from bak2rds.observability import logger, step_handler
from bak2rds.steps import check_final_sync
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: WholeStatePayload, context: LambdaContext) -> FinalSync:
    state = event["state"]  # the whole state: "final_sync" is absent on the first check
    final_sync = check_final_sync.run(
        state["cdc"],
        state.get("final_sync"),
        services.dms(),
        services.dms_metrics(),
        config.load(config.CutoverSettings),
        clock.utcnow(),
    )
    logger.info("Final sync check", extra=dict(final_sync))
    return final_sync

"""State "Check Final Sync": after approval, wait for CDC latency to reach ~0."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config, wiring
from bak2rds.observability import CORRELATION_PATH, logger, metrics, tracer
from bak2rds.steps import check_final_sync


@logger.inject_lambda_context(correlation_id_path=CORRELATION_PATH)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    state = event["state"]  # the whole state: "final_sync" is absent on the first check
    logger.append_keys(database=state["migration"]["database_name"])
    final_sync = check_final_sync.run(
        state["cdc"],
        state.get("final_sync"),
        wiring.dms(),
        wiring.dms_metrics(),
        config.cutover(),
        clock.utcnow(),
    )
    logger.info(
        "Final sync check",
        extra={k: final_sync[k] for k in ("latency_seconds", "good_checks", "drained")},
    )
    return final_sync

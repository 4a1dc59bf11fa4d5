"""State "Check CDC": DMS task status and CDC latency, until caught up."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config, wiring
from bak2rds.observability import MetricUnit, logger, metrics, step_handler
from bak2rds.steps import check_cdc


@step_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cdc = check_cdc.run(
        event["cdc"],
        wiring.dms(),
        wiring.dms_metrics(),
        config.load(config.CdcSettings),
        clock.utcnow(),
    )
    if cdc["ready"]:
        metrics.add_metric("CdcLatencyAtReadySeconds", MetricUnit.Seconds, cdc["latency_seconds"])
    logger.info(
        "CDC check", extra={k: cdc.get(k) for k in ("status", "latency_seconds", "good_checks")}
    )
    return cdc

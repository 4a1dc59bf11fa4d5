"""State "Check CDC": DMS task status and CDC latency, until caught up."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config
from bak2rds.models import Cdc, CheckCdcPayload
from bak2rds.observability import MetricUnit, logger, metrics, step_handler
from bak2rds.steps import check_cdc
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: CheckCdcPayload, context: LambdaContext) -> Cdc:
    settings = config.load(config.CdcSettings)
    cdc = check_cdc.run(
        event["cdc"], services.dms(), services.dms_metrics(), settings, clock.utcnow()
    )
    latency = cdc.get("latency_seconds")
    if cdc.get("ready") and latency is not None:
        metrics.add_metric("CdcLatencyAtReadySeconds", MetricUnit.Seconds, latency)
    logger.info(
        "CDC check", extra={k: cdc.get(k) for k in ("status", "latency_seconds", "good_checks")}
    )
    return cdc

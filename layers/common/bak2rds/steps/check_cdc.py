"""Check CDC: is the DMS task running and caught up for several checks in a row?"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bak2rds.adapters.cloudwatch import DmsMetrics
from bak2rds.adapters.dms import Dms
from bak2rds.clock import parse_timestamp
from bak2rds.config import CdcSettings
from bak2rds.errors import CdcTaskFailed
from bak2rds.polling import MIN_WAIT_SECONDS, next_cdc_wait


def run(
    cdc: dict[str, Any], dms: Dms, metrics: DmsMetrics, settings: CdcSettings, now: datetime
) -> dict[str, Any]:
    task = dms.describe_task(cdc["task_arn"])
    reason = task.last_failure_message or task.stop_reason or "no reason given"
    if task.status == "failed":
        raise CdcTaskFailed(f"DMS task {task.identifier} failed: {reason}")
    if task.status in {"stopped", "stopping"}:
        raise CdcTaskFailed(
            f"DMS task {task.identifier} is {task.status}: {reason}", code="DMS_TASK_STOPPED"
        )
    result = {**cdc, "status": task.status, "checked_at": now.isoformat()}
    if task.status != "running":
        return {**result, "ready": False, "good_checks": 0, "wait_seconds": MIN_WAIT_SECONDS}

    latency = metrics.latest_latency(cdc["replication_instance_id"], task.resource_id, now)
    measured = [v for v in (latency.source_seconds, latency.target_seconds) if v is not None]
    # No datapoint yet means unknown, never "caught up".
    worst = max(measured) if len(measured) == 2 else None
    under = worst is not None and worst <= settings.latency_threshold_seconds
    good_checks = int(cdc.get("good_checks", 0)) + 1 if under else 0
    previous, since = cdc.get("latency_seconds"), None
    if previous is not None and cdc.get("checked_at"):
        since = (now - parse_timestamp(cdc["checked_at"])).total_seconds()
    wait = (
        MIN_WAIT_SECONDS
        if worst is None
        else next_cdc_wait(worst, settings.latency_threshold_seconds, previous, since)
    )
    return {
        **result,
        "latency_source_seconds": latency.source_seconds,
        "latency_target_seconds": latency.target_seconds,
        "latency_seconds": worst,
        "good_checks": good_checks,
        "ready": good_checks >= settings.ready_checks,
        "wait_seconds": wait,
    }

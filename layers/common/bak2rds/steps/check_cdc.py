"""Check CDC: is the DMS task running, replicating every table, and caught up for several
checks in a row? A table DMS suspended while the task runs ends the wait (DMS_TABLE_SUSPENDED):
its changes no longer reach RDS, whatever the latency says. The check that finds CDC caught
up keeps each table's DMS validation for the approval (bak2rds.validation)."""

from __future__ import annotations

from datetime import datetime

from bak2rds.cdc_latency import LatencyReader, TableReader, check_tables, measure
from bak2rds.clock import parse_timestamp
from bak2rds.config import CdcSettings
from bak2rds.models import Cdc
from bak2rds.polling import MIN_WAIT_SECONDS, next_cdc_wait
from bak2rds.validation import summarize


def run(
    cdc: Cdc,
    dms: TableReader,
    metrics: LatencyReader,
    settings: CdcSettings,
    now: datetime,
) -> Cdc:
    measured = measure(cdc["task_arn"], cdc["replication_instance_id"], dms, metrics, now)
    result: Cdc = {**cdc, "status": measured.status, "checked_at": now.isoformat()}
    if measured.status != "running":
        return {**result, "ready": False, "good_checks": 0, "wait_seconds": MIN_WAIT_SECONDS}
    statistics = check_tables(cdc["task_arn"], cdc["task_id"], dms)
    result["tables"] = len(statistics)
    result["running_since"] = running_since = cdc.get("running_since") or now.isoformat()
    running = (now - parse_timestamp(running_since)).total_seconds()

    worst = measured.worst_seconds
    under = measured.within(settings.latency_threshold_seconds)
    good_checks = cdc.get("good_checks", 0) + 1 if under else 0
    previous, since = cdc.get("latency_seconds"), None
    if previous is not None and cdc.get("checked_at"):
        since = (now - parse_timestamp(cdc["checked_at"])).total_seconds()
    wait = (
        MIN_WAIT_SECONDS
        if worst is None
        else next_cdc_wait(worst, settings.latency_threshold_seconds, previous, since, running)
    )
    ready = good_checks >= settings.ready_checks
    if ready:  # what the approval e-mail and page show (the API reads it again on Approve)
        result["validation"] = summarize(statistics, settings.validation, now.isoformat())
    return {
        **result,
        "latency_source_seconds": measured.source_seconds,
        "latency_target_seconds": measured.target_seconds,
        "latency_seconds": worst,
        "good_checks": good_checks,
        "ready": ready,
        "wait_seconds": wait,
    }

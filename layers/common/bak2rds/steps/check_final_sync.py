"""Check Final Sync: after approval, has CDC drained (writes stopped, latency near 0)?

The operator stops writes to the source when they approve; the last changes still have to
reach RDS. This is the same measurement as Check CDC with the cutover's much lower threshold
(``CutoverMaxLatencySeconds``) and two good checks in a row (DMS publishes latency per
minute), bounded by ``CutoverDrainTimeoutMinutes``: a source that keeps being written to fails
with CUTOVER_NOT_DRAINED and the DMS task keeps running, rather than cutting over with
changes in flight.
"""

from __future__ import annotations

from datetime import datetime

from bak2rds.cdc_latency import LatencyReader, TableReader, check_tables, measure
from bak2rds.clock import parse_timestamp
from bak2rds.config import CutoverSettings
from bak2rds.errors import CutoverNotDrained
from bak2rds.messages import duration_text
from bak2rds.models import Cdc, FinalSync
from bak2rds.polling import MIN_WAIT_SECONDS
from bak2rds.validation import summarize

DRAINED_CHECKS = 2


def run(
    cdc: Cdc,
    previous: FinalSync | None,
    dms: TableReader,
    metrics: LatencyReader,
    settings: CutoverSettings,
    now: datetime,
) -> FinalSync:
    started_at = previous["started_at"] if previous else now.isoformat()
    measured = measure(cdc["task_arn"], cdc["replication_instance_id"], dms, metrics, now)
    statistics = None
    if measured.status == "running":  # a table suspended during the drain misses changes
        statistics = check_tables(cdc["task_arn"], cdc["task_id"], dms)
    drained_before = previous["good_checks"] if previous else 0
    good_checks = drained_before + 1 if measured.within(settings.max_latency_seconds) else 0
    drained = good_checks >= DRAINED_CHECKS
    waited = (now - parse_timestamp(started_at)).total_seconds()
    if not drained and waited >= settings.drain_timeout_seconds:
        raise CutoverNotDrained(
            f"CDC latency is still {measured.worst_seconds}s after "
            f"{duration_text(waited)}, above {settings.max_latency_seconds}s; DMS task "
            f"{cdc['task_id']} is still running"
        )
    result: FinalSync = {
        "started_at": started_at,
        "checked_at": now.isoformat(),
        "status": measured.status,
        "latency_seconds": measured.worst_seconds,
        "good_checks": good_checks,
        "drained": drained,
        "wait_seconds": MIN_WAIT_SECONDS,  # the operator is waiting: look every minute
    }
    if drained and statistics is not None:  # the last word on validation, for the report
        enabled = (cdc.get("validation") or {"enabled": True})["enabled"]
        result["validation"] = summarize(statistics, enabled, now.isoformat())
    return result

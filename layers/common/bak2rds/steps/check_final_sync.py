"""Check Final Sync: after approval, has CDC drained (writes stopped, latency near 0)?

The operator stops writes to the source when they approve; the last changes still have to
reach RDS. This is the ``check_cdc`` measurement with the cutover's much lower threshold
(``CutoverMaxLatencySeconds``) and two good checks in a row (DMS publishes latency per
minute), bounded by ``CutoverDrainTimeoutMinutes``: a source that keeps being written to fails
with CUTOVER_NOT_DRAINED and the DMS task keeps running, rather than cutting over with
changes in flight.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bak2rds.adapters.cloudwatch import DmsMetrics
from bak2rds.adapters.dms import Dms
from bak2rds.clock import parse_timestamp
from bak2rds.config import CdcSettings, CutoverSettings
from bak2rds.errors import CutoverNotDrained
from bak2rds.messages import duration_text
from bak2rds.polling import MIN_WAIT_SECONDS
from bak2rds.steps import check_cdc

DRAINED_CHECKS = 2


def run(
    cdc: dict[str, Any],
    final_sync: dict[str, Any] | None,
    dms: Dms,
    metrics: DmsMetrics,
    settings: CutoverSettings,
    now: datetime,
) -> dict[str, Any]:
    previous = final_sync or {"started_at": now.isoformat(), "good_checks": 0}
    probe = {
        "task_arn": cdc["task_arn"],
        "replication_instance_id": cdc["replication_instance_id"],
        "good_checks": previous.get("good_checks", 0),
        "latency_seconds": previous.get("latency_seconds"),
        "checked_at": previous.get("checked_at"),
    }
    checked = check_cdc.run(
        probe, dms, metrics, CdcSettings(settings.max_latency_seconds, DRAINED_CHECKS), now
    )
    waited = (now - parse_timestamp(previous["started_at"])).total_seconds()
    if not checked["ready"] and waited >= settings.drain_timeout_seconds:
        raise CutoverNotDrained(
            f"CDC latency is still {checked.get('latency_seconds')}s after "
            f"{duration_text(waited)}, above {settings.max_latency_seconds}s; DMS task "
            f"{cdc.get('task_id')} is still running"
        )
    return {
        "started_at": previous["started_at"],
        "checked_at": checked["checked_at"],
        "status": checked["status"],
        "latency_seconds": checked.get("latency_seconds"),
        "good_checks": checked["good_checks"],
        "drained": checked["ready"],
        "wait_seconds": MIN_WAIT_SECONDS,  # the operator is waiting: look every minute
    }

"""Start CDC Task: start-replication at the CDC start position, once the task is ready."""

from __future__ import annotations

from typing import Any

from bak2rds.adapters.dms import Dms
from bak2rds.errors import CdcTaskFailed
from bak2rds.polling import FIRST_WAIT_SECONDS

_STILL_PREPARING = frozenset({"creating", "modifying", "testing", "moving"})
_ALREADY_STARTED = frozenset({"starting", "running"})


def run(cdc: dict[str, Any], start_lsn: dict[str, Any], dms: Dms) -> dict[str, Any]:
    task = dms.describe_task(cdc["task_arn"])
    if task.status in _ALREADY_STARTED or (task.started and task.status != "ready"):
        started = True  # a retry after start_replication_task already went through
    elif task.status == "ready":
        task = dms.start_cdc(task.arn, start_lsn["dms"])
        started = True
    elif task.status in _STILL_PREPARING:
        started = False
    else:
        raise CdcTaskFailed(
            f"DMS task {task.identifier} is {task.status!r} before it was started: "
            f"{task.last_failure_message or task.stop_reason or 'no reason given'}"
        )
    return {
        **cdc,
        "status": task.status,
        "started": started,
        "wait_seconds": FIRST_WAIT_SECONDS,
    }

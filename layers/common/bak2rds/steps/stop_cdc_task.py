"""Stop CDC Task: stop this migration's DMS task (after the cutover, or on rejection).

Idempotent: a task that is already stopping, stopped or failed is not asked again, so a
retried invocation or the next look after a wait only reads its status. DMS stops a task
asynchronously, so the state machine looks again until ``stopped``, for at most
``STOP_TIMEOUT_SECONDS``. Only the task named in the migration's own state is touched:
bak2rds never stops a DMS task it did not create.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bak2rds.adapters.dms import ReplicationTask
from bak2rds.clock import parse_timestamp
from bak2rds.errors import CdcTaskNotStopped
from bak2rds.models import Cdc, CdcStop
from bak2rds.steps.alert import STOP_REQUESTED_TAG

STOP_TIMEOUT_SECONDS = 15 * 60
WAIT_SECONDS = 30
_NOT_RUNNING = frozenset({"stopped", "failed"})
_STOPPABLE = frozenset({"running", "starting", "ready"})


class TaskStopper(Protocol):
    """What this step needs of DMS (``bak2rds.adapters.dms.Dms`` in AWS)."""

    def describe_task(self, arn: str) -> ReplicationTask: ...
    def stop_task(self, arn: str) -> ReplicationTask: ...
    def tag(self, arn: str, tags: dict[str, str]) -> None: ...


def run(cdc: Cdc, previous: CdcStop | None, dms: TaskStopper, now: datetime) -> CdcStop:
    task = dms.describe_task(cdc["task_arn"])
    requested_at = previous["requested_at"] if previous else None
    if task.status in _STOPPABLE:
        requested_at = requested_at or now.isoformat()
        # DMS announces the stop on EventBridge; the tag tells Alert it was asked for.
        dms.tag(task.arn, {STOP_REQUESTED_TAG: requested_at})
        task = dms.stop_task(task.arn)
    stopped = task.status in _NOT_RUNNING
    if not stopped and requested_at is not None:
        waited = (now - parse_timestamp(requested_at)).total_seconds()
        if waited >= STOP_TIMEOUT_SECONDS:
            raise CdcTaskNotStopped(
                f"DMS task {task.identifier} is still {task.status} {int(waited)}s after the "
                "stop request"
            )
    return {
        "task_arn": task.arn,
        "task_id": task.identifier,
        "status": task.status,
        "stopped": stopped,
        "requested_at": requested_at,
        "wait_seconds": WAIT_SECONDS,
    }

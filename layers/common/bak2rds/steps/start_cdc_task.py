"""Start CDC Task: start-replication at the CDC start position, once the task is ready.

Keyless tables Prepare Target found (``KeylessTables = exclude``) are first left out of the
task: its table mappings get one exclude rule each (ModifyReplicationTask, which DMS takes
the task through ``modifying`` for), and the task starts only once DMS holds them.
DMS prepares a new task for a few minutes. The wait backs off like a restore's, and a task
that is still not ready after ``MAX_PREPARATION`` stops the migration: polling for ever would
end the execution at Step Functions' history limit without a word.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from bak2rds.adapters.dms import ReplicationTask
from bak2rds.clock import parse_timestamp
from bak2rds.errors import CdcTaskFailed, DmsRequestRejected
from bak2rds.models import Cdc, StartLsn, TargetPrep
from bak2rds.polling import next_restore_wait
from bak2rds.table_scope import exclusions_of, with_exclusions

MAX_PREPARATION = timedelta(hours=2)
_STILL_PREPARING = frozenset({"creating", "modifying", "testing", "moving"})
_ALREADY_STARTED = frozenset({"starting", "running"})


class TaskStarter(Protocol):
    """What this step needs of DMS (``bak2rds.adapters.dms.Dms`` in AWS)."""

    def describe_task(self, arn: str) -> ReplicationTask: ...
    def start_cdc(self, arn: str, cdc_start_position: str) -> ReplicationTask: ...
    def modify_table_mappings(self, arn: str, table_mappings: str) -> ReplicationTask: ...


def failed_before_start(task: ReplicationTask) -> CdcTaskFailed:
    """A task that failed or stopped before start-replication went through."""
    return CdcTaskFailed(
        f"DMS task {task.identifier} is {task.status!r} before it was started: {task.reason}"
    )


def run(
    cdc: Cdc, start_lsn: StartLsn, prepared: TargetPrep, dms: TaskStarter, now: datetime
) -> Cdc:
    task = dms.describe_task(cdc["task_arn"])
    preparing_since = cdc.get("preparing_since") or now.isoformat()
    waited = (now - parse_timestamp(preparing_since)).total_seconds()
    excluded = {(t["schema"], t["table"]) for t in prepared["excluded_tables"]}
    if task.status in _ALREADY_STARTED or (task.started and task.status != "ready"):
        started = True  # a retry after start_replication_task already went through
    elif task.status == "ready" and exclusions_of(task.table_mappings) != excluded:
        task = dms.modify_table_mappings(task.arn, with_exclusions(task.table_mappings, excluded))
        started = False
    elif task.status == "ready":
        task = dms.start_cdc(task.arn, start_lsn["dms"])
        started = True
    elif task.status in _STILL_PREPARING:
        if waited > MAX_PREPARATION.total_seconds():
            raise DmsRequestRejected(
                f"DMS task {task.identifier} is still {task.status!r} after "
                f"{int(waited // 60)} minutes; check the replication instance and endpoints"
            )
        started = False
    else:
        raise failed_before_start(task)
    return {
        **cdc,
        "status": task.status,
        "started": started,
        "preparing_since": preparing_since,
        "wait_seconds": next_restore_wait(waited, 0),
    }

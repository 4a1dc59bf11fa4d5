"""Check Restore: one look at the restore task; SUCCESS goes on, ERROR/CANCELLED fail.

When the full of a full + differential chain has succeeded (left RESTORING), this look
starts the differential and watches it next: the migration's restore succeeds with its last.
"""

from __future__ import annotations

from datetime import datetime

from bak2rds.adapters.sqlserver import SqlServer, classify_restore_message
from bak2rds.clock import parse_timestamp
from bak2rds.errors import RestoreTaskCancelled, RestoreTaskFailed, for_code
from bak2rds.models import Migration, Restore
from bak2rds.polling import FIRST_WAIT_SECONDS, next_restore_wait
from bak2rds.steps.start_restore import planned_restores, queue_position, start_planned


def run(
    restore: Restore,
    migration: Migration,
    sql: SqlServer,
    kms_key_arn: str | None,
    execution_started_at: datetime,
    now: datetime,
) -> Restore:
    task_id = restore["task_id"]
    task = sql.restore_task(task_id)
    if task is None:
        raise RestoreTaskFailed(f"restore task {task_id} is no longer listed by rds_task_status")
    if task.lifecycle == "ERROR":
        raise for_code(
            classify_restore_message(task.task_info),
            f"restore task {task_id} ended in ERROR: {task.task_info or '(no task_info)'}",
        )
    if task.lifecycle == "CANCELLED":
        raise RestoreTaskCancelled(f"restore task {task_id} was cancelled: {task.task_info}")
    elapsed = max(0.0, (now - parse_timestamp(restore["started_at"])).total_seconds())
    succeeded = task.lifecycle == "SUCCESS"
    step = restore.get("step", 0)
    started_next = succeeded and step + 1 < len(planned_restores(migration))
    if started_next:
        task, reused = start_planned(migration, step + 1, sql, kms_key_arn, execution_started_at)
        succeeded = task.lifecycle == "SUCCESS"  # a retry may find it done already
        restore = {**restore, "task_id": task.task_id, "step": step + 1}
        restore["reused_existing_task"] = reused
    if succeeded:
        wait = 0
    elif started_next:  # a new task: looked at soon, as after Start Restore
        wait = FIRST_WAIT_SECONDS
    else:
        wait = next_restore_wait(elapsed, task.percent_complete)
    position = queue_position(task, sql)
    return {
        **restore,
        "lifecycle": task.lifecycle,
        "percent_complete": 100 if succeeded else task.percent_complete,
        "elapsed_seconds": int(elapsed),
        "succeeded": succeeded,
        "wait_seconds": wait,
        "queued": position["queued"],
        "tasks_ahead": position["tasks_ahead"],
    }

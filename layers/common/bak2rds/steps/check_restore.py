"""Check Restore: one look at the restore task; SUCCESS goes on, ERROR/CANCELLED fail."""

from __future__ import annotations

from datetime import datetime

from bak2rds.adapters.sqlserver import SqlServer, classify_restore_message
from bak2rds.clock import parse_timestamp
from bak2rds.errors import RestoreTaskCancelled, RestoreTaskFailed, for_code
from bak2rds.models import Restore
from bak2rds.polling import next_restore_wait
from bak2rds.steps.start_restore import queue_position


def run(restore: Restore, sql: SqlServer, now: datetime) -> Restore:
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
    position = queue_position(task, sql)
    return {
        **restore,
        "lifecycle": task.lifecycle,
        "percent_complete": 100 if succeeded else task.percent_complete,
        "elapsed_seconds": int(elapsed),
        "succeeded": succeeded,
        "wait_seconds": 0 if succeeded else next_restore_wait(elapsed, task.percent_complete),
        "queued": position["queued"],
        "tasks_ahead": position["tasks_ahead"],
    }

"""Start Restore: EXEC rds_restore_database once per restore, however often it is retried.

A migration restores one full backup, or a full WITH NORECOVERY and then a differential:
Start Restore starts the first (``migration.restores[0]``), Check Restore the next once the
one before has succeeded (``start_planned``), each with the same guard against duplicates.

A retried or duplicated invocation must not start a second restore. Before starting, the
step looks at the restore tasks RDS already has for the database:

* a task for the same S3 object created since this execution started is this migration's
  (the Lambda died after EXEC returned): reuse it, queued, running or finished, and let Check
  Restore report how it ends. A task for the same key created *before* is not, even while it
  runs: it restores an older upload of that key for another migration;
* a queued or running task for another object means someone else is restoring: stop;
* an existing database is never replaced: stop.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypedDict

from bak2rds.adapters.sqlserver import RestoreTask, SqlServer
from bak2rds.errors import DatabaseAlreadyExists, RestoreAlreadyRunning
from bak2rds.models import Migration, PlannedRestore, Restore
from bak2rds.polling import FIRST_WAIT_SECONDS

# rds_task_status's task_type of each kind of restore (RDS user guide, "Using native backup
# and restore").
RESTORE_TASK_TYPES = frozenset(
    {
        "RESTORE_DB",
        "RESTORE_DB_NORECOVERY",
        "RESTORE_DB_DIFFERENTIAL",
        "RESTORE_DB_DIFFERENTIAL_NORECOVERY",
    }
)
# RDS runs at most two native backup/restore tasks at a time and queues the rest.
MAX_CONCURRENT_TASKS = 2


def run(
    migration: Migration,
    sql: SqlServer,
    kms_key_arn: str | None,
    execution_started_at: datetime,
    now: datetime,
) -> Restore:
    started, reused = start_planned(migration, 0, sql, kms_key_arn, execution_started_at)
    position = queue_position(started, sql)
    return {
        "task_id": started.task_id,
        "lifecycle": started.lifecycle,
        "percent_complete": started.percent_complete,
        "reused_existing_task": reused,
        "started_at": now.isoformat(),
        "wait_seconds": FIRST_WAIT_SECONDS,
        "queued": position["queued"],
        "tasks_ahead": position["tasks_ahead"],
        "step": 0,
        "steps": len(planned_restores(migration)),
    }


def planned_restores(migration: Migration) -> list[PlannedRestore]:
    """What the migration restores; an execution started before chains existed (no
    ``restores`` in its state) restores its one object as a full backup."""
    if "restores" in migration:
        return migration["restores"]
    return [
        {
            "restore_type": "FULL",
            "s3_arn": migration["s3_arn"],
            "keys": [migration["key"]],
            "size_bytes": migration["size_bytes"],
            "with_norecovery": False,
            "backup": migration["backup"],
        }
    ]


def start_planned(
    migration: Migration,
    step: int,
    sql: SqlServer,
    kms_key_arn: str | None,
    execution_started_at: datetime,
) -> tuple[RestoreTask, bool]:
    """Start ``migration.restores[step]``, or find the task an earlier try of it started;
    the task, and whether it was found rather than started."""
    database, planned = migration["database_name"], planned_restores(migration)[step]
    tasks = [t for t in sql.restore_tasks_for(database) if t.task_type in RESTORE_TASK_TYPES]
    ours = _task_of_this_migration(tasks, planned["s3_arn"], execution_started_at, sql)
    if ours is not None:
        return ours, True
    running = [t for t in tasks if not t.finished]
    if running:
        raise RestoreAlreadyRunning(
            f"restore task {running[0].task_id} for {database!r} is {running[0].lifecycle} "
            f"(from {running[0].s3_object_arn or 'another file'})"
        )
    # The first restore creates the database; a differential goes into the one the full
    # before it left RESTORING (RDS refuses it otherwise).
    if step == 0 and sql.database_exists(database):
        raise DatabaseAlreadyExists(f"database {database!r} already exists on the instance")
    task = sql.start_restore(
        database,
        planned["s3_arn"],
        kms_key_arn,
        restore_type=planned["restore_type"],
        with_norecovery=planned["with_norecovery"],
    )
    return task, False


class QueuePosition(TypedDict):
    queued: bool
    tasks_ahead: int


def queue_position(task: RestoreTask, sql: SqlServer) -> QueuePosition:
    """Whether RDS holds the task back because its concurrent tasks are all busy: a task
    in CREATED while that many others run waits its turn; that is not a failure."""
    if task.lifecycle != "CREATED":
        return {"queued": False, "tasks_ahead": 0}
    running = sql.tasks_in_progress()
    return {"queued": running >= MAX_CONCURRENT_TASKS, "tasks_ahead": running}


def _task_of_this_migration(
    tasks: list[RestoreTask], s3_arn: str, execution_started_at: datetime, sql: SqlServer
) -> RestoreTask | None:
    same_object = sorted(
        (t for t in tasks if t.s3_object_arn == s3_arn), key=lambda t: t.task_id, reverse=True
    )
    if not same_object:
        return None
    # rds_task_status reports times in the instance's time zone, without an offset.
    offset = timedelta(minutes=sql.utc_offset_minutes())
    since = execution_started_at.astimezone(UTC).replace(tzinfo=None) + offset
    for task in same_object:
        if task.created_at is not None and task.created_at.replace(tzinfo=None) >= since:
            return task
    return None

"""One measurement of a DMS CDC task: its status and its latency, as Check CDC, Check Final
Sync and the approval API all need it.

Latency is the worse of ``CDCLatencySource`` and ``CDCLatencyTarget`` (CloudWatch ``AWS/DMS``);
a task with either datapoint missing has an unknown latency, never "caught up". A task that
failed or stopped raises ``CdcTaskFailed``: whoever measures must not wait on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bak2rds.adapters.cloudwatch import CdcLatency
from bak2rds.adapters.dms import ReplicationTask, TableStatistic
from bak2rds.errors import CdcTaskFailed
from bak2rds.messages import listed
from bak2rds.naming import quoted

# DMS's SQL Server capture, when the log it must read from the start LSN is gone (DMS user
# guide, "Capturing data changes for ongoing replication from SQL Server": "Failed to access
# LSN '...' in the backup log sets since BACKUP/LOG-s are not available. [1020465]").
_START_POSITION_GONE = ("Failed to access LSN", "[1020465]")


def failure_code(reason: str) -> str:
    """The catalogue code for a failed task's LastFailureMessage."""
    if any(mark in reason for mark in _START_POSITION_GONE):
        return "DMS_START_POSITION_UNAVAILABLE"
    return "DMS_TASK_FAILED"


class TaskStatusReader(Protocol):
    def describe_task(self, arn: str) -> ReplicationTask: ...


class TableReader(TaskStatusReader, Protocol):
    def table_statistics(self, arn: str) -> list[TableStatistic]: ...


# TableState values (DMS API reference, TableStatistics): "Table error" is a table DMS stopped
# replicating while the task goes on running.
SUSPENDED_STATE = "Table error"


def check_tables(task_arn: str, task_id: str, dms: TableReader) -> list[TableStatistic]:
    """The running task's tables; a suspended one ends the wait."""
    statistics = dms.table_statistics(task_arn)
    suspended = [quoted(t.schema, t.table) for t in statistics if t.state == SUSPENDED_STATE]
    if suspended:
        raise CdcTaskFailed(
            f"DMS task {task_id} runs, but {len(suspended)} table(s) are suspended "
            f"({SUSPENDED_STATE}): {listed(suspended)}",
            code="DMS_TABLE_SUSPENDED",
        )
    return statistics


class LatencyReader(Protocol):
    def latest_latency(
        self, replication_instance_id: str, task_resource_id: str, now: datetime
    ) -> CdcLatency: ...


@dataclass(frozen=True)
class Measurement:
    status: str  # the DMS task's status
    source_seconds: float | None
    target_seconds: float | None

    @property
    def worst_seconds(self) -> float | None:
        """The latency to judge by: None unless both datapoints are there."""
        if self.source_seconds is None or self.target_seconds is None:
            return None
        return max(self.source_seconds, self.target_seconds)

    def within(self, threshold_seconds: float) -> bool:
        worst = self.worst_seconds
        return self.status == "running" and worst is not None and worst <= threshold_seconds


def measure(
    task_arn: str,
    replication_instance_id: str,
    dms: TaskStatusReader,
    metrics: LatencyReader,
    now: datetime,
) -> Measurement:
    task = dms.describe_task(task_arn)
    reason = task.reason
    if task.status == "failed":
        raise CdcTaskFailed(
            f"DMS task {task.identifier} failed: {reason}", code=failure_code(reason)
        )
    if task.status in {"stopped", "stopping"}:
        raise CdcTaskFailed(
            f"DMS task {task.identifier} is {task.status}: {reason}", code="DMS_TASK_STOPPED"
        )
    if task.status != "running":
        return Measurement(task.status, None, None)
    latency = metrics.latest_latency(replication_instance_id, task.resource_id, now)
    return Measurement(task.status, latency.source_seconds, latency.target_seconds)

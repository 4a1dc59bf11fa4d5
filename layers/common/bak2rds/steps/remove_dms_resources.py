"""Remove DMS Resources: after the cutover (approved or rejected), delete this migration's
DMS task, then its two endpoints.

DMS deletes a task asynchronously and refuses to delete an endpoint while a task uses it
(DMS API reference, ``DeleteEndpoint``), so the state machine looks again until the task is
gone, then deletes the endpoints. Only resources tagged with this stack and this execution
are deleted: one with other tags (or none) is left alone and named in the error. A retry
after a crash finds what it already deleted gone (or deleting) and goes on. Nothing else is
touched: the RDS database stays as it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bak2rds.adapters.dms import DmsEndpoint, ReplicationTask
from bak2rds.clock import parse_timestamp
from bak2rds.errors import DmsRequestRejected
from bak2rds.models import Cdc, DmsCleanup, DmsResources
from bak2rds.steps.create_dms_endpoints import check_owned

WAIT_SECONDS = 30
DELETE_TIMEOUT_SECONDS = 30 * 60


class ResourceRemover(Protocol):
    """What this step needs of DMS (``bak2rds.adapters.dms.Dms`` in AWS)."""

    def find_task(self, identifier: str) -> ReplicationTask | None: ...
    def delete_task(self, arn: str) -> ReplicationTask | None: ...
    def endpoint(self, arn: str) -> DmsEndpoint | None: ...
    def delete_endpoint(self, arn: str) -> None: ...
    def tags(self, arn: str) -> dict[str, str] | None: ...


def run(
    execution_name: str,
    stack_name: str,
    state: tuple[Cdc, DmsResources, DmsCleanup | None],
    dms: ResourceRemover,
    now: datetime,
) -> DmsCleanup:
    """``state``: the migration's task, its endpoints, and this step's earlier answer."""
    cdc, resources, previous = state
    started_at = previous["started_at"] if previous else now.isoformat()
    task = dms.find_task(cdc["task_id"])
    if task is not None:
        if task.status != "deleting":
            what = f"DMS task {task.identifier}"
            check_owned(dms.tags(task.arn), what, stack_name, execution_name)
            task = dms.delete_task(task.arn)
        waited = (now - parse_timestamp(started_at)).total_seconds()
        if task is not None and waited >= DELETE_TIMEOUT_SECONDS:
            raise DmsRequestRejected(
                f"DMS task {task.identifier} is still {task.status} {int(waited)}s after the "
                "delete request; delete it and its endpoints yourself"
            )
    deleted: list[str] = []
    if task is None:  # endpoints can go once no task uses them
        for arn, identifier in (
            (resources["source_endpoint_arn"], resources["source_endpoint_id"]),
            (resources["target_endpoint_arn"], resources["target_endpoint_id"]),
        ):
            endpoint = dms.endpoint(arn)
            if endpoint is not None and endpoint.status != "deleting":  # else: gone, or going
                what = f"DMS endpoint {identifier}"
                check_owned(endpoint.tags, what, stack_name, execution_name)
                dms.delete_endpoint(arn)
            deleted.append(identifier)
    return {
        "started_at": started_at,
        "task_gone": task is None,
        "endpoints_deleted": deleted,
        "done": task is None,
        "wait_seconds": WAIT_SECONDS,
    }

"""Remove DMS Resources: after the cutover (approved or rejected), delete this migration's
DMS task, then its two endpoints.

DMS deletes a task asynchronously and refuses to delete an endpoint while a task uses it
(DMS API reference, ``DeleteEndpoint``), so the state machine looks again until the task is
gone, then deletes the endpoints. Only resources tagged with this execution are deleted: a
resource with another tag (or none) is left alone and named in the error. Nothing else is
touched: the RDS database stays as it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bak2rds.adapters.dms import ReplicationTask
from bak2rds.clock import parse_timestamp
from bak2rds.errors import DmsRequestRejected
from bak2rds.models import Cdc, DmsCleanup, DmsResources
from bak2rds.steps.create_dms_endpoints import EXECUTION_TAG

WAIT_SECONDS = 30
DELETE_TIMEOUT_SECONDS = 30 * 60


class ResourceRemover(Protocol):
    """What this step needs of DMS (``bak2rds.adapters.dms.Dms`` in AWS)."""

    def find_task(self, identifier: str) -> ReplicationTask | None: ...
    def delete_task(self, arn: str) -> ReplicationTask | None: ...
    def delete_endpoint(self, arn: str) -> None: ...
    def tags(self, arn: str) -> dict[str, str]: ...


def run(
    execution_name: str,
    cdc: Cdc,
    resources: DmsResources,
    previous: DmsCleanup | None,
    dms: ResourceRemover,
    now: datetime,
) -> DmsCleanup:
    started_at = previous["started_at"] if previous else now.isoformat()
    task = dms.find_task(cdc["task_id"])
    if task is not None:
        if task.status != "deleting":
            _check_ours(dms, task.arn, f"DMS task {task.identifier}", execution_name)
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
            _check_ours(dms, arn, f"DMS endpoint {identifier}", execution_name)
            dms.delete_endpoint(arn)
            deleted.append(identifier)
    return {
        "started_at": started_at,
        "task_gone": task is None,
        "endpoints_deleted": deleted,
        "done": task is None,
        "wait_seconds": WAIT_SECONDS,
    }


def _check_ours(dms: ResourceRemover, arn: str, what: str, execution_name: str) -> None:
    tagged = dms.tags(arn).get(EXECUTION_TAG)
    if tagged != execution_name:
        raise DmsRequestRejected(
            f"{what} is not tagged {EXECUTION_TAG}={execution_name} (found {tagged!r}): "
            "bak2rds deletes only what this migration created"
        )

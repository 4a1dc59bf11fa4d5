"""Create CDC Task: the DMS CDC-only task of this migration, created once.

Runs beside the restore, once the source connection tested successfully, between this
migration's own endpoints. The identifier is derived from the execution name, so a retry
finds the task it created before. The start position is given only when the task starts.
"""

from __future__ import annotations

from typing import Protocol

from bak2rds.adapters.dms import CdcTaskSpec, ReplicationTask
from bak2rds.config import DmsSettings
from bak2rds.errors import DmsRequestRejected
from bak2rds.models import Cdc, DmsResources
from bak2rds.naming import dms_task_identifier
from bak2rds.steps.create_dms_endpoints import EXECUTION_TAG, STACK_TAG, check_owned


class TaskMaker(Protocol):
    """What this step needs of DMS (``bak2rds.adapters.dms.Dms`` in AWS)."""

    def find_task(self, identifier: str) -> ReplicationTask | None: ...
    def tags(self, arn: str) -> dict[str, str] | None: ...
    def replication_instance_identifier(self, arn: str) -> str: ...
    def create_cdc_task(self, spec: CdcTaskSpec) -> ReplicationTask: ...


def run(
    execution_name: str,
    resources: DmsResources,
    dms: TaskMaker,
    settings: DmsSettings,
    stack_name: str,
) -> Cdc:
    identifier = dms_task_identifier(execution_name)
    task = dms.find_task(identifier)
    if task is not None:  # a retry: it must be ours, between our endpoints
        check_owned(dms.tags(task.arn), f"DMS task {identifier}", stack_name, execution_name)
        endpoints = (task.source_endpoint_arn, task.target_endpoint_arn)
        if endpoints != (resources["source_endpoint_arn"], resources["target_endpoint_arn"]):
            raise DmsRequestRejected(
                f"DMS task {identifier} joins other endpoints than this migration's"
            )
    else:
        task = dms.create_cdc_task(
            CdcTaskSpec(
                identifier=identifier,
                replication_instance_arn=resources["replication_instance_arn"],
                source_endpoint_arn=resources["source_endpoint_arn"],
                target_endpoint_arn=resources["target_endpoint_arn"],
                table_mappings=settings.table_mappings,
                tags={STACK_TAG: stack_name, EXECUTION_TAG: execution_name},
                validation=settings.validation,
            )
        )
    return {
        "task_arn": task.arn,
        "task_id": task.identifier,
        "replication_instance_id": dms.replication_instance_identifier(
            resources["replication_instance_arn"]
        ),
        "status": task.status,
    }

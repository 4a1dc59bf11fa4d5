"""Create CDC Task: the DMS CDC-only task of this migration, created once.

The identifier is derived from the execution name, so a retry finds the task it created
before. The endpoints are checked first: a target endpoint for another database would
apply the changes to the wrong copy, and a source endpoint for another database would
replay the wrong database's log.
"""

from __future__ import annotations

from typing import Protocol

from bak2rds.adapters.dms import CdcTaskSpec, ReplicationTask
from bak2rds.config import DmsSettings
from bak2rds.errors import DmsRequestRejected
from bak2rds.models import Cdc, Migration, StartLsn
from bak2rds.naming import dms_task_identifier


class TaskMaker(Protocol):
    """What this step needs of DMS (``bak2rds.adapters.dms.Dms`` in AWS)."""

    def find_task(self, identifier: str) -> ReplicationTask | None: ...
    def endpoint_database(self, endpoint_arn: str) -> str: ...
    def replication_instance_identifier(self, arn: str) -> str: ...
    def create_cdc_task(self, spec: CdcTaskSpec) -> ReplicationTask: ...


def run(
    execution_name: str,
    migration: Migration,
    start_lsn: StartLsn,
    dms: TaskMaker,
    settings: DmsSettings,
) -> Cdc:
    identifier = dms_task_identifier(execution_name)
    task = dms.find_task(identifier)
    if task is None:
        _check_endpoint(dms, settings.target_endpoint_arn, migration["database_name"], "target")
        _check_endpoint(dms, settings.source_endpoint_arn, start_lsn["source_database"], "source")
        task = dms.create_cdc_task(
            CdcTaskSpec(
                identifier=identifier,
                replication_instance_arn=settings.replication_instance_arn,
                source_endpoint_arn=settings.source_endpoint_arn,
                target_endpoint_arn=settings.target_endpoint_arn,
                table_mappings=settings.table_mappings,
                tags={"bak2rds:execution": execution_name},
            )
        )
    return {
        "task_arn": task.arn,
        "task_id": task.identifier,
        "replication_instance_id": dms.replication_instance_identifier(
            settings.replication_instance_arn
        ),
        "status": task.status,
    }


def _check_endpoint(dms: TaskMaker, endpoint_arn: str, expected: str, role: str) -> None:
    configured = dms.endpoint_database(endpoint_arn)
    if configured and configured.lower() != expected.lower():
        raise DmsRequestRejected(
            f"the DMS {role} endpoint reads database {configured!r}, but this migration's "
            f"{role} database is {expected!r}",
            code="DMS_ENDPOINT_MISMATCH",
        )

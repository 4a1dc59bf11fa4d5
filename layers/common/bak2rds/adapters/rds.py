"""The RDS API view of the target instance (not its SQL endpoint)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from bak2rds.adapters.aws import aws_call, error_code
from bak2rds.errors import Bak2RdsError, TargetNotReady


@dataclass(frozen=True)
class TargetInstance:
    instance_id: str
    engine: str
    engine_version: str
    status: str
    host: str
    port: int
    allocated_storage_gib: int


def _not_found(error: ClientError) -> Bak2RdsError | None:
    if error_code(error) == "DBInstanceNotFound":
        return TargetNotReady("the RDS instance does not exist", code="TARGET_NOT_FOUND")
    return None


class RdsApi:
    def __init__(self, rds_client: Any) -> None:
        self._rds = rds_client

    def describe(self, instance_id: str) -> TargetInstance:
        with aws_call("RDS DescribeDBInstances", permanent=_not_found):
            response = self._rds.describe_db_instances(DBInstanceIdentifier=instance_id)
        instance = response["DBInstances"][0]
        endpoint = instance.get("Endpoint") or {}
        return TargetInstance(
            instance_id=instance_id,
            engine=str(instance.get("Engine", "")),
            engine_version=str(instance.get("EngineVersion", "")),
            status=str(instance.get("DBInstanceStatus", "")),
            host=str(endpoint.get("Address", "")),
            port=int(endpoint.get("Port", 1433)),
            allocated_storage_gib=int(instance.get("AllocatedStorage", 0)),
        )

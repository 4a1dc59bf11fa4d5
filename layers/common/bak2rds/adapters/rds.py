"""The RDS API view of the target instance (not its SQL endpoint), and its free storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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
    option_groups: tuple[str, ...]


BACKUP_RESTORE_OPTION = "SQLSERVER_BACKUP_RESTORE"
# Membership states in which the group's options are in force on the instance.
_APPLIED = frozenset({"in-sync", "pending-removal", "pending-maintenance-removal"})
_GIB = 1024**3
_STORAGE_LOOKBACK = timedelta(minutes=15)


def _not_found(error: ClientError) -> Bak2RdsError | None:
    if error_code(error) == "DBInstanceNotFound":
        return TargetNotReady("the RDS instance does not exist", code="TARGET_NOT_FOUND")
    return None


class RdsApi:
    def __init__(self, rds_client: Any, cloudwatch_client: Any) -> None:
        self._rds = rds_client
        self._cloudwatch = cloudwatch_client

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
            option_groups=tuple(
                str(group["OptionGroupName"])
                for group in instance.get("OptionGroupMemberships", [])
                if group.get("Status") in _APPLIED
            ),
        )

    def option_names(self, option_groups: tuple[str, ...]) -> set[str]:
        """Options of the instance's option groups (a missing group has none)."""
        names: set[str] = set()
        for group in option_groups:
            try:
                with aws_call("RDS DescribeOptionGroups"):
                    response = self._rds.describe_option_groups(OptionGroupName=group)
            except ClientError as error:
                if error_code(error) == "OptionGroupNotFoundFault":
                    continue
                raise
            for listed in response.get("OptionGroupsList", []):
                names.update(str(option["OptionName"]) for option in listed.get("Options", []))
        return names

    def free_storage_bytes(self, instance: TargetInstance, now: datetime) -> int:
        """Latest FreeStorageSpace; before RDS has published one, the allocated storage."""
        with aws_call("CloudWatch GetMetricStatistics"):
            response = self._cloudwatch.get_metric_statistics(
                Namespace="AWS/RDS",
                MetricName="FreeStorageSpace",
                Dimensions=[{"Name": "DBInstanceIdentifier", "Value": instance.instance_id}],
                StartTime=now - _STORAGE_LOOKBACK,
                EndTime=now + timedelta(minutes=1),  # EndTime is exclusive
                Period=60,
                Statistics=["Minimum"],
            )
        points = sorted(response.get("Datapoints", []), key=lambda point: point["Timestamp"])
        if points:
            return int(points[-1]["Minimum"])
        return instance.allocated_storage_gib * _GIB

"""What the command needs of a deployed stack, from its CloudFormation outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class StackNotFound(Exception):
    """The stack does not exist, or is not a bak2rds stack."""


@dataclass(frozen=True)
class Stack:
    bucket: str
    state_machine_arn: str | None = None
    topic_arn: str | None = None
    rds_instance_id: str | None = None  # the target: its engine version bounds the backups


def from_cloudformation(cloudformation: Any, name: str) -> Stack:
    try:
        (described,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        raise StackNotFound(f"stack {name!r}: {error.response['Error']['Message']}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    parameters = {
        p["ParameterKey"]: p.get("ParameterValue") for p in described.get("Parameters", [])
    }
    if "StagingBucketName" not in outputs:
        raise StackNotFound(f"stack {name!r} has no StagingBucketName output: not bak2rds")
    return Stack(
        bucket=outputs["StagingBucketName"],
        state_machine_arn=outputs.get("StateMachineArn"),
        topic_arn=outputs.get("NotificationTopicArn"),
        rds_instance_id=parameters.get("RdsInstanceIdentifier"),
    )


def engine_version(rds: Any, instance_id: str) -> str | None:
    """The target's engine version ("15.00.4415.2.v1"), or None when it cannot be read."""
    try:
        (instance,) = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"]
    except rds.exceptions.ClientError:
        return None
    return str(instance.get("EngineVersion") or "") or None

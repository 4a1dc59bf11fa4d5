"""The AWS service adapters, built from settings (everything but SQL and the approval)."""

from __future__ import annotations

from bak2rds import config
from bak2rds.adapters import aws
from bak2rds.adapters.cloudwatch import DmsMetrics
from bak2rds.adapters.dms import Dms
from bak2rds.adapters.rds import RdsApi
from bak2rds.adapters.s3 import StagingBucket
from bak2rds.adapters.sns import Topic
from bak2rds.adapters.stepfunctions import StateMachine, TaskCallbacks


def staging_bucket() -> StagingBucket:
    return StagingBucket(aws.client("s3"))


def rds_api() -> RdsApi:
    return RdsApi(aws.client("rds"), aws.client("cloudwatch"))


def dms() -> Dms:
    return Dms(aws.client("dms"))


def dms_metrics() -> DmsMetrics:
    return DmsMetrics(aws.client("cloudwatch"))


def topic() -> Topic:
    return Topic(aws.client("sns"), config.load(config.NotifySettings).topic_arn)


def state_machine() -> StateMachine:
    return StateMachine(
        aws.client("stepfunctions"), config.load(config.StarterSettings).state_machine_arn
    )


def task_callbacks() -> TaskCallbacks:
    return TaskCallbacks(aws.client("stepfunctions"))


def partition_of(arn: str) -> str:
    """``arn:aws-cn:states:...`` → ``aws-cn``: S3 ARNs must use the same partition."""
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[0] == "arn" and parts[1] else "aws"

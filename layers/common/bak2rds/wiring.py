"""Builds the adapters a handler needs from settings and the step's payload."""

from __future__ import annotations

from typing import cast

from bak2rds import clock, config
from bak2rds.adapters import aws, secrets
from bak2rds.adapters.approvals import ApprovalsTable
from bak2rds.adapters.cloudwatch import DmsMetrics
from bak2rds.adapters.dms import Dms
from bak2rds.adapters.rds import RdsApi
from bak2rds.adapters.s3 import StagingBucket
from bak2rds.adapters.sns import Topic
from bak2rds.adapters.sqlserver import Connect, Credentials, Endpoint, SqlServer
from bak2rds.adapters.stepfunctions import StateMachine, TaskCallbacks
from bak2rds.approval import rules
from bak2rds.cdc_latency import measure as cdc_latency_of
from bak2rds.models import ApprovalSummary, Target


def sql_server(target: Target) -> SqlServer:
    import pymssql  # noqa: PLC0415 - only the three SQL steps pay for loading the driver

    settings = config.load(config.SqlSettings)

    def credentials(refresh: bool) -> Credentials:
        return secrets.master_credentials(settings.secret_arn, refresh=refresh)

    return SqlServer(
        # pymssql's own stubs type the cursor more loosely than the Protocol bak2rds uses.
        connect=cast(Connect, pymssql.connect),
        endpoint=Endpoint(host=target["host"], port=target["port"]),
        credentials=credentials,
        login_timeout_seconds=settings.login_timeout_seconds,
        query_timeout_seconds=settings.query_timeout_seconds,
    )


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


def approvals_table() -> ApprovalsTable:
    return ApprovalsTable(aws.client("dynamodb"), config.load(config.ApprovalSettings).table_name)


def task_callbacks() -> TaskCallbacks:
    return TaskCallbacks(aws.client("stepfunctions"))


def signing_key(secret_arn: str) -> bytes:
    return secrets.signing_key(secret_arn)


def approval_collaborators() -> rules.Collaborators:
    """What the approval API's rules need, for this request."""
    settings = config.load(config.ApprovalSettings)
    threshold = config.load(config.CdcSettings).latency_threshold_seconds
    dms_api, metrics = dms(), dms_metrics()

    def cdc_latency(summary: ApprovalSummary) -> rules.Latency:
        task_arn, instance = summary["cdc_task_arn"], summary["replication_instance_id"]
        measured = cdc_latency_of(task_arn, instance, dms_api, metrics, clock.utcnow())
        return rules.Latency(measured.worst_seconds, measured.status)

    return rules.Collaborators(
        table=approvals_table(),
        callbacks=task_callbacks(),
        signing_key=lambda: signing_key(settings.key_secret_arn),
        cdc_latency=cdc_latency,
        latency_threshold_seconds=threshold,
        now=clock.utcnow(),
    )


def partition_of(arn: str) -> str:
    """``arn:aws-cn:states:...`` → ``aws-cn``: S3 ARNs must use the same partition."""
    parts = arn.split(":")
    return parts[1] if len(parts) > 1 and parts[0] == "arn" and parts[1] else "aws"

"""The local runtime's stand-ins behave like the services they replace.

Checked through the same APIs the product uses (boto3 against moto, pymssql), without
running the state machine.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any, Literal

import boto3
import pymssql
import pytest
from botocore.exceptions import ClientError

from localrun.clock import ManualClock
from localrun.runtime import LocalRuntime, SourceDatabase
from localrun.template import TemplateError
from tests.workflow.conftest import StartRuntime

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef

pytestmark = pytest.mark.workflow

TABLE_MAPPINGS = '{"rules":[]}'


def create_task(runtime: LocalRuntime, identifier: str) -> str:
    dms = boto3.client("dms")
    source, target = (
        new_endpoint(runtime, f"{identifier}-src"),
        new_endpoint(runtime, f"{identifier}-tgt", "target"),
    )
    created = dms.create_replication_task(
        ReplicationTaskIdentifier=identifier,
        SourceEndpointArn=source,
        TargetEndpointArn=target,
        ReplicationInstanceArn=runtime.parameter("DmsReplicationInstanceArn"),
        MigrationType="cdc",
        TableMappings=TABLE_MAPPINGS,
    )
    return str(created["ReplicationTask"]["ReplicationTaskArn"])


def test_a_dms_task_gets_ready_then_starts_only_once_at_a_valid_position(
    runtime: LocalRuntime, clock: ManualClock
) -> None:
    dms = boto3.client("dms")
    arn = create_task(runtime, "bak2rds-check")
    assert arn.rsplit(":", 1)[-1] != "bak2rds-check"  # a resource id, as in DMS

    with pytest.raises(ClientError, match="InvalidResourceStateFault"):
        dms.start_replication_task(
            ReplicationTaskArn=arn,
            StartReplicationTaskType="start-replication",
            CdcStartPosition="00000014:000000f3:0001",
        )
    clock.advance(180)
    assert runtime.dms.status(arn) == "ready"
    with pytest.raises(ClientError, match="InvalidParameterValueException"):
        dms.start_replication_task(
            ReplicationTaskArn=arn,
            StartReplicationTaskType="start-replication",
            CdcStartPosition="20000000024300001",  # msdb's numeric form, not DMS's
        )
    dms.start_replication_task(
        ReplicationTaskArn=arn,
        StartReplicationTaskType="start-replication",
        CdcStartPosition="00000014:000000f3:0001",
    )
    assert runtime.dms.status(arn) == "starting"
    clock.advance(60)
    (task,) = dms.describe_replication_tasks(
        Filters=[{"Name": "replication-task-arn", "Values": [arn]}]
    )["ReplicationTasks"]
    assert (task["Status"], task["CdcStartPosition"]) == ("running", "00000014:000000f3:0001")
    with pytest.raises(ClientError, match="InvalidResourceStateFault"):
        dms.start_replication_task(
            ReplicationTaskArn=arn, StartReplicationTaskType="start-replication"
        )
    with pytest.raises(ClientError, match="ResourceNotFoundFault"):
        dms.describe_replication_tasks(
            Filters=[{"Name": "replication-task-id", "Values": ["no-such-task"]}]
        )


def test_cdc_latency_is_published_per_minute_under_the_dms_dimensions_and_falls(
    runtime: LocalRuntime, clock: ManualClock
) -> None:
    dms, cloudwatch = boto3.client("dms"), boto3.client("cloudwatch")
    arn = create_task(runtime, "bak2rds-latency")
    clock.advance(180)
    dms.start_replication_task(
        ReplicationTaskArn=arn,
        StartReplicationTaskType="start-replication",
        CdcStartPosition="00000014:000000f3:0001",
    )
    instance = dms.describe_replication_instances()["ReplicationInstances"][0]
    dimensions: list[DimensionTypeDef] = [
        {
            "Name": "ReplicationInstanceIdentifier",
            "Value": instance["ReplicationInstanceIdentifier"],
        },
        {"Name": "ReplicationTaskIdentifier", "Value": arn.rsplit(":", 1)[-1]},
    ]

    def latest(metric: str) -> list[float]:
        now = clock.now()
        result = cloudwatch.get_metric_data(
            MetricDataQueries=[
                {
                    "Id": "latency",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/DMS",
                            "MetricName": metric,
                            "Dimensions": dimensions,
                        },
                        "Period": 60,
                        "Stat": "Maximum",
                    },
                }
            ],
            StartTime=(now - timedelta(minutes=10)).astimezone(UTC),
            EndTime=now,
            ScanBy="TimestampDescending",
        )
        return [float(v) for v in result["MetricDataResults"][0]["Values"]]

    assert latest("CDCLatencySource") == []  # nothing while the task is starting
    clock.advance(600)
    source, target = latest("CDCLatencySource"), latest("CDCLatencyTarget")
    assert len(source) == len(target) >= 8
    assert source == sorted(source)  # newest first, and falling
    assert all(t > s for s, t in zip(source, target, strict=True))


def test_sql_reaches_the_simulated_instance_only_on_the_rds_endpoint(
    runtime: LocalRuntime,
) -> None:
    host, port = runtime.rds_endpoint
    login = {"user": runtime.sql.username, "password": runtime.sql.password}
    options: dict[str, Any] = {"autocommit": True, "encryption": "require", **login}

    assert pymssql.connect(server=host, port=str(port), **options) is not None
    with pytest.raises(pymssql.exceptions.OperationalError, match="20009"):
        pymssql.connect(server="elsewhere.example", port=str(port), **options)


def test_parameters_are_checked_as_cloudformation_checks_them(start_runtime: StartRuntime) -> None:
    with pytest.raises(TemplateError, match="StartLsnStrategy"):
        start_runtime(parameters={"StartLsnStrategy": "newest_lsn"})
    with pytest.raises(TemplateError, match="CdcReadyChecks"):
        start_runtime(parameters={"CdcReadyChecks": "0"})
    with pytest.raises(ValueError, match="RdsInstanceIdentifier"):
        start_runtime(parameters={"RdsInstanceIdentifier": "mine"})


def new_endpoint(
    runtime: LocalRuntime, identifier: str, role: Literal["source", "target"] = "source"
) -> str:
    """An endpoint of database Sales, with the deployed secret of its role."""
    runtime.source_databases["Sales"] = SourceDatabase()
    secret = runtime.parameter("DmsSourceSecretArn" if role == "source" else "DmsTargetSecretArn")
    endpoint = boto3.client("dms").create_endpoint(
        EndpointIdentifier=identifier,
        EndpointType=role,
        EngineName="sqlserver",
        MicrosoftSQLServerSettings={
            "DatabaseName": "Sales",
            "SecretsManagerSecretId": secret,
            "SecretsManagerAccessRoleArn": "arn:aws:iam::123456789012:role/dms-secrets",
        },
    )["Endpoint"]
    assert endpoint["Status"] == "active"  # as DMS: an endpoint is usable once created
    return str(endpoint["EndpointArn"])


def connection_of(endpoint_arn: str) -> dict[str, Any]:
    (connection,) = boto3.client("dms").describe_connections(
        Filters=[{"Name": "endpoint-arn", "Values": [endpoint_arn]}]
    )["Connections"]
    return dict(connection)


def test_a_dms_connection_test_takes_time_can_fail_and_can_be_retried(
    runtime: LocalRuntime, clock: ManualClock
) -> None:
    dms, instance = boto3.client("dms"), runtime.parameter("DmsReplicationInstanceArn")
    reachable, unreachable = new_endpoint(runtime, "src-ok"), new_endpoint(runtime, "src-down")
    runtime.dms_connections.refuse("src-down")

    for endpoint in (reachable, unreachable):
        tested = dms.test_connection(ReplicationInstanceArn=instance, EndpointArn=endpoint)
        assert tested["Connection"]["Status"] == "testing"
    clock.advance(30)
    assert connection_of(reachable)["Status"] == "successful"
    failed = connection_of(unreachable)
    assert failed["Status"] == "failed" and "Test Endpoint failed" in failed["LastFailureMessage"]

    # Given the route is fixed, when the test is run again (moto crashed here), it passes
    runtime.dms_connections.allow("src-down")
    dms.test_connection(ReplicationInstanceArn=instance, EndpointArn=unreachable)
    assert connection_of(unreachable)["Status"] == "testing"
    clock.advance(30)
    retested = connection_of(unreachable)
    assert (retested["Status"], retested["LastFailureMessage"]) == ("successful", "")


def test_dms_resources_are_deleted_only_in_the_order_dms_allows(
    runtime: LocalRuntime, clock: ManualClock
) -> None:
    dms = boto3.client("dms")
    source, target = new_endpoint(runtime, "src"), new_endpoint(runtime, "tgt", "target")
    task = dms.create_replication_task(
        ReplicationTaskIdentifier="bak2rds-delete-me",
        SourceEndpointArn=source,
        TargetEndpointArn=target,
        ReplicationInstanceArn=runtime.parameter("DmsReplicationInstanceArn"),
        MigrationType="cdc",
        TableMappings=TABLE_MAPPINGS,
    )["ReplicationTask"]["ReplicationTaskArn"]
    clock.advance(180)
    dms.start_replication_task(
        ReplicationTaskArn=task,
        StartReplicationTaskType="start-replication",
        CdcStartPosition="00000014:000000f3:0001",
    )

    # An endpoint a task uses, and a task that runs, cannot be deleted
    with pytest.raises(ClientError, match="InvalidResourceStateFault"):
        dms.delete_endpoint(EndpointArn=source)
    with pytest.raises(ClientError, match="InvalidResourceStateFault"):
        dms.delete_replication_task(ReplicationTaskArn=task)

    # Stopped, the task is deleting for a while, and its endpoints stay until it is gone
    dms.stop_replication_task(ReplicationTaskArn=task)
    clock.advance(60)
    dms.delete_replication_task(ReplicationTaskArn=task)
    assert runtime.dms.status(task) == "deleting"
    with pytest.raises(ClientError, match="InvalidResourceStateFault"):
        dms.delete_endpoint(EndpointArn=source)
    clock.advance(60)
    for endpoint in (source, target):
        dms.delete_endpoint(EndpointArn=endpoint)
    assert runtime.dms.deleted_tasks == ["bak2rds-delete-me"]
    assert runtime.dms_connections.deleted_endpoints == ["src", "tgt"]


def test_dms_connection_tests_find_what_dms_would_and_endpoints_are_refused_as_dms_does(
    runtime: LocalRuntime, clock: ManualClock
) -> None:
    dms, instance = boto3.client("dms"), runtime.parameter("DmsReplicationInstanceArn")
    # The restored database does not exist yet: DMS cannot open it
    target = new_endpoint(runtime, "tgt-early", "target")
    dms.test_connection(ReplicationInstanceArn=instance, EndpointArn=target)
    clock.advance(30)
    failed = connection_of(target)
    assert failed["Status"] == "failed"
    assert 'Cannot open database "Sales"' in failed["LastFailureMessage"]
    # A secret without host and port is not enough for DMS
    secret = boto3.client("secretsmanager").create_secret(
        Name="no-host", SecretString='{"username": "u", "password": "p"}'
    )["ARN"]
    partial = dms.create_endpoint(
        EndpointIdentifier="src-partial",
        EndpointType="source",
        EngineName="sqlserver",
        MicrosoftSQLServerSettings={
            "DatabaseName": "Sales",
            "SecretsManagerSecretId": secret,
            "SecretsManagerAccessRoleArn": "arn:aws:iam::123456789012:role/dms-secrets",
        },
    )["Endpoint"]["EndpointArn"]
    dms.test_connection(ReplicationInstanceArn=instance, EndpointArn=partial)
    clock.advance(30)
    assert "the secret has no host, port" in connection_of(partial)["LastFailureMessage"]
    # An identifier in use, and a secret next to clear-text credentials, are refused
    with pytest.raises(ClientError, match="ResourceAlreadyExistsFault"):
        new_endpoint(runtime, "tgt-early", "target")
    with pytest.raises(ClientError, match="InvalidParameterCombination"):
        dms.create_endpoint(
            EndpointIdentifier="src-both",
            EndpointType="source",
            EngineName="sqlserver",
            Username="dms",
            Password="secret",
            MicrosoftSQLServerSettings={"SecretsManagerSecretId": secret},
        )
    with pytest.raises(ClientError, match="ResourceNotFoundFault"):
        dms.describe_endpoints(Filters=[{"Name": "endpoint-id", "Values": ["nothing-here"]}])

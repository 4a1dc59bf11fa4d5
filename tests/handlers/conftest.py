"""Handlers run under moto with their inputs from events/; SQL goes to the simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import boto3
import pymssql
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID

from localrun import samples
from localrun.clock import ManualClock
from localrun.rdstarget import create_target
from localrun.sqlserver import SimulatedRdsSqlServer

EVENTS = Path(__file__).parents[2] / "events"
BUCKET = "bak2rds-staging"
KEY = "incoming/Northwind.bak"


def load_event(name: str) -> Any:
    """A sample payload from events/ (tests/unit/test_models.py checks each against its type)."""
    return json.loads((EVENTS / f"{name}.json").read_text())


@dataclass
class FakeLambdaContext:
    """What handlers read of Lambda's context object."""

    function_name: str = "bak2rds-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:bak2rds-test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    remaining_millis: int = 900_000  # a fresh 15-minute invocation

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


CONTEXT = cast(LambdaContext, FakeLambdaContext())


@dataclass
class World:
    version_id: str
    topic_arn: str
    state_machine_arn: str
    replication_instance_arn: str
    sql: SimulatedRdsSqlServer
    clock: ManualClock


@pytest.fixture
def world(
    monkeypatch: pytest.MonkeyPatch, clock: ManualClock, sql_sim: SimulatedRdsSqlServer
) -> Iterator[World]:
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        body = samples.backup_image().to_bytes()
        version = s3.put_object(Bucket=BUCKET, Key=KEY, Body=body)["VersionId"]

        create_target(boto3.client("rds"), "bak2rds-target", sql_sim.username, sql_sim.password)
        secret_arn = boto3.client("secretsmanager").create_secret(
            Name="rds-master",
            SecretString=json.dumps({"username": sql_sim.username, "password": sql_sim.password}),
        )["ARN"]

        dms = boto3.client("dms")
        instance_arn = dms.create_replication_instance(
            ReplicationInstanceIdentifier="bak2rds-replication",
            ReplicationInstanceClass="dms.t3.medium",
        )["ReplicationInstance"]["ReplicationInstanceArn"]
        secrets_manager = boto3.client("secretsmanager")
        dms_secrets = {
            role: secrets_manager.create_secret(
                Name=f"dms-{role}",
                SecretString=json.dumps(
                    {"username": "dms", "password": "p", "host": f"{role}.example", "port": 1433}
                ),
            )["ARN"]
            for role in ("source", "target")
        }
        topic_arn = boto3.client("sns").create_topic(Name="bak2rds")["TopicArn"]
        iam = boto3.client("iam")
        role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        state_machine_arn = boto3.client("stepfunctions").create_state_machine(
            name="bak2rds-migration",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn=role,
        )["stateMachineArn"]

        for name, value in {
            "STATE_MACHINE_ARN": state_machine_arn,
            "RDS_INSTANCE_ID": "bak2rds-target",
            "DB_SECRET_ARN": secret_arn,
            "DMS_REPLICATION_INSTANCE_ARN": instance_arn,
            "DMS_SECRETS_ACCESS_ROLE_ARN": f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/dms-secrets",
            "DMS_SOURCE_SECRET_ARN": dms_secrets["source"],
            "DMS_TARGET_SECRET_ARN": dms_secrets["target"],
            "STACK_NAME": "bak2rds",
            "DMS_TABLE_MAPPINGS": json.dumps(
                {"rules": [{"rule-type": "selection", "rule-id": "1"}]}
            ),
            "TOPIC_ARN": topic_arn,
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(pymssql, "connect", sql_sim.connect)
        monkeypatch.setattr("bak2rds.clock.utcnow", clock.now)
        yield World(version, topic_arn, state_machine_arn, instance_arn, sql_sim, clock)

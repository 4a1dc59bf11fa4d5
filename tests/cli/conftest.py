"""The ``bak2rds`` command against a moto server on 127.0.0.1 (ThreadedMotoServer), with S3's
full-object checksum check moto leaves out (localrun.s3checksums)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto.server import ThreadedMotoServer
from rich.console import Console

from bak2rds_cli import main
from localrun.s3checksums import verified_full_object_checksums

BUCKET = "bak2rds-staging"
STACK = "bak2rds"
INSTANCE = "bak2rds-target"


@dataclass(frozen=True)
class Aws:
    endpoint: str
    bucket: str
    state_machine_arn: str


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with verified_full_object_checksums():
        yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for name, value in {
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    boto3.client("s3").put_bucket_versioning(
        Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"}
    )
    boto3.client("rds").create_db_instance(
        DBInstanceIdentifier=INSTANCE,
        DBInstanceClass="db.m5.large",
        Engine="sqlserver-se",
        EngineVersion="15.00.4236.7.v1",
        MasterUsername="admin",
        MasterUserPassword="not-a-real-password",
        AllocatedStorage=100,
    )
    role = boto3.client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")
    machine = boto3.client("stepfunctions").create_state_machine(
        name="bak2rds-migration",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn=role["Role"]["Arn"],
    )["stateMachineArn"]
    register_stack(BUCKET, machine, INSTANCE)
    # Rich wraps at 80 columns when it writes to no terminal: wide enough for whole lines
    monkeypatch.setattr(main, "console", Console(width=200))
    yield Aws(moto_server, BUCKET, machine)
    requests_reset(moto_server)


def register_stack(bucket: str, state_machine_arn: str, instance: str) -> None:
    """A CloudFormation stack whose outputs and parameters are a bak2rds stack's."""
    template = {
        "Parameters": {"RdsInstanceIdentifier": {"Type": "String"}},
        "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "StagingBucketName": {"Value": bucket},
            "StateMachineArn": {"Value": state_machine_arn},
        },
    }
    boto3.client("cloudformation").create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "RdsInstanceIdentifier", "ParameterValue": instance}],
    )


def requests_reset(endpoint: str) -> None:
    """Every test starts from an empty moto (its reset API)."""
    import urllib.request  # noqa: PLC0415

    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))

"""The approval and cutover handlers, invoked as Lambda would with their inputs from events/."""

from __future__ import annotations

import json
from unittest import mock

import boto3
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dms.models import dms_backends
from moto.dms.responses import DatabaseMigrationServiceResponse
from moto.sns.models import sns_backends

import localrun.dms
from functions.approval_api import app as approval_api
from functions.create_cdc_task import app as create_cdc_task
from functions.request_cutover_approval import app as request_cutover_approval
from functions.stop_cdc_task import app as stop_cdc_task

from .conftest import CONTEXT, World, load_event


@pytest.fixture
def approvals(world: World, monkeypatch: pytest.MonkeyPatch) -> str:
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="approvals",
        AttributeDefinitions=[{"AttributeName": "approval_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "approval_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    key_arn = boto3.client("secretsmanager").create_secret(
        Name="approval-key", SecretString="K" * 64
    )["ARN"]
    for name, value in {
        "APPROVALS_TABLE": "approvals",
        "APPROVAL_KEY_SECRET_ARN": key_arn,
        "APPROVAL_BASE_URL": "https://abcdef1234.execute-api.us-east-1.amazonaws.com",
    }.items():
        monkeypatch.setenv(name, value)
    return "approvals"


def test_request_cutover_approval_stores_the_token_and_mails_signed_links(
    world: World, approvals: str
) -> None:
    event = load_event("request_cutover_approval")
    requested = request_cutover_approval.lambda_handler(event, CONTEXT)

    (item,) = boto3.client("dynamodb").scan(TableName=approvals)["Items"]
    assert item["task_token"]["S"] == event["task_token"]
    assert item["approval_id"]["S"] == requested["approval_id"]
    # the links expire when the task times out: entered_at + 7 days
    assert requested["expires_at"].startswith("2026-11-28T10:05:01")
    sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].topics[world.topic_arn].sent_notifications
    ((_, message, subject, attributes, _),) = sent
    assert subject == "[bak2rds] Northwind: ready for cutover, approve or reject"
    assert attributes is not None and attributes["event"]["Value"] == "APPROVAL_REQUESTED"
    assert event["task_token"] not in message
    assert f"/approvals/{requested['approval_id']}?expires=" in message


def test_the_approval_api_sample_event_gets_a_page_not_an_action(
    world: World, approvals: str
) -> None:
    response = approval_api.lambda_handler(load_event("approval_api"), CONTEXT)
    # the sample link was signed with another stack's key
    assert response["statusCode"] == 403
    assert response["headers"]["Content-Type"].startswith("text/html")
    assert "This link is not valid" in response["body"]


def test_stop_cdc_task_stops_the_task_once_and_only_reads_afterwards(world: World) -> None:
    create_event = load_event("create_cdc_task")
    create_event["dms"]["replication_instance_arn"] = world.replication_instance_arn
    cdc = create_cdc_task.lambda_handler(create_event, CONTEXT)
    dms_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].replication_tasks[
        cdc["task_arn"]
    ].status = "running"
    event = load_event("stop_cdc_task")
    event["state"]["cdc"] = cdc

    with mock.patch.object(  # moto has no AddTagsToResource: the DMS stand-in's
        DatabaseMigrationServiceResponse,
        "add_tags_to_resource",
        localrun.dms.add_tags_to_resource,
        create=True,
    ):
        first = stop_cdc_task.lambda_handler(event, CONTEXT)
        event["state"]["cdc_stop"] = first
        again = stop_cdc_task.lambda_handler(event, CONTEXT)
    tags = boto3.client("dms").list_tags_for_resource(ResourceArn=cdc["task_arn"])["TagList"]

    assert (first["status"], first["stopped"]) == ("stopped", True)
    assert (again["status"], again["stopped"]) == ("stopped", True)
    assert again["requested_at"] == first["requested_at"]
    # Alert ignores DMS's "stopped" event for a stop bak2rds asked for
    assert {t["Key"]: t["Value"] for t in tags}["bak2rds:stop-requested-at"] == first[
        "requested_at"
    ]
    assert json.dumps(again)  # plain JSON for the state machine

"""Every handler, invoked as Lambda would with its sample input from events/."""

from __future__ import annotations

import json
from datetime import timedelta
from unittest import mock

import boto3
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dms.models import dms_backends
from moto.dms.responses import DatabaseMigrationServiceResponse
from moto.sns.models import sns_backends

from bak2rds.errors import DatabaseAlreadyExists, InvalidBackupObject
from functions.alert import app as alert
from functions.check_cdc import app as check_cdc
from functions.check_logins import app as check_logins
from functions.check_restore import app as check_restore
from functions.check_target import app as check_target
from functions.create_cdc_task import app as create_cdc_task
from functions.create_dms_endpoints import app as create_dms_endpoints
from functions.derive_start_lsn import app as derive_start_lsn
from functions.dms_connection_test import app as dms_connection_test
from functions.notify import app as notify
from functions.prepare_target import app as prepare_target
from functions.read_backup_object import app as read_backup_object
from functions.remove_dms_resources import app as remove_dms_resources
from functions.restore_triggers_and_keys import app as restore_triggers_and_keys
from functions.start_cdc_task import app as start_cdc_task
from functions.start_migration import app as start_migration
from functions.start_restore import app as start_restore
from localrun import samples

from .conftest import CONTEXT, KEY, World, load_event

S3_ARN = "arn:aws:s3:::bak2rds-staging/incoming/Northwind.bak"


def test_start_migration_starts_one_execution_per_object_version(world: World) -> None:
    event = load_event("start_migration")
    event["detail"]["object"]["version-id"] = world.version_id
    first = start_migration.lambda_handler(event, CONTEXT)
    again = start_migration.lambda_handler(event, CONTEXT)
    assert first["execution_name"] == again["execution_name"]
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert first["execution_name"].startswith("Northwind-")
    executions = boto3.client("stepfunctions").list_executions(
        stateMachineArn=world.state_machine_arn
    )
    assert [e["name"] for e in executions["executions"]] == [first["execution_name"]]


def test_read_backup_object_accepts_the_upload(world: World) -> None:
    event = load_event("read_backup_object")
    event["event"]["detail"]["object"]["version-id"] = world.version_id
    migration = read_backup_object.lambda_handler(event, CONTEXT)
    assert (migration["database_name"], migration["key"], migration["s3_arn"]) == (
        "Northwind",
        KEY,
        S3_ARN,
    )


def test_read_backup_object_refuses_a_version_that_is_gone(world: World) -> None:
    event = load_event("read_backup_object")  # its version id was never uploaded here
    with pytest.raises(InvalidBackupObject) as caught:
        read_backup_object.lambda_handler(event, CONTEXT)
    assert caught.value.code == "BACKUP_OBJECT_MISSING"


def test_check_target_finds_the_sql_server_endpoint(world: World) -> None:
    target = check_target.lambda_handler(load_event("check_target"), CONTEXT)
    instance = boto3.client("rds").describe_db_instances(DBInstanceIdentifier="bak2rds-target")
    endpoint = instance["DBInstances"][0]["Endpoint"]
    assert (target["instance_id"], target["engine"]) == ("bak2rds-target", "sqlserver-se")
    assert (target["host"], target["port"]) == (endpoint["Address"], endpoint["Port"])


def test_the_sql_steps_restore_and_derive_the_start_lsn(world: World) -> None:
    world.sql.add_backup(S3_ARN, samples.backup_in_s3())
    restore = start_restore.lambda_handler(load_event("start_restore"), CONTEXT)
    assert restore["task_id"] == 1
    world.clock.advance(3600)
    event = load_event("check_restore")
    event["restore"] = restore
    checked = check_restore.lambda_handler(event, CONTEXT)
    assert checked["succeeded"] is True
    start = derive_start_lsn.lambda_handler(load_event("derive_start_lsn"), CONTEXT)
    assert start["dms"] == "00000014:000000f3:0001"
    prepared = prepare_target.lambda_handler(load_event("prepare_target"), CONTEXT)
    assert (prepared["triggers_off"], prepared["foreign_keys_off"]) == (2, 3)
    tables = world.sql.tables("Northwind")
    assert not any(t.enabled for table in tables for t in table.triggers)
    logins = check_logins.lambda_handler(load_event("check_logins"), CONTEXT)
    assert logins["count"] == 3 and logins["unmapped_users"][0]["user"] == "app_user"
    event = load_event("restore_triggers_and_keys")
    event["state"]["target_prep"] = prepared
    restored = restore_triggers_and_keys.lambda_handler(event, CONTEXT)
    assert (restored["triggers_on"], restored["foreign_keys_on"], restored["done"]) == (2, 3, True)


def test_start_restore_never_restores_over_an_existing_database(world: World) -> None:
    world.sql.databases.add("Northwind")
    with pytest.raises(DatabaseAlreadyExists):
        start_restore.lambda_handler(load_event("start_restore"), CONTEXT)
    assert world.sql.restores_started() == 0


def test_the_dms_steps_make_test_and_remove_this_migrations_endpoints_and_task(
    world: World,
) -> None:
    dms = boto3.client("dms")
    resources = create_dms_endpoints.lambda_handler(load_event("create_dms_endpoints"), CONTEXT)
    endpoints = {e["EndpointIdentifier"]: e for e in dms.describe_endpoints()["Endpoints"]}
    source = endpoints[resources["source_endpoint_id"]]
    assert source["MicrosoftSQLServerSettings"]["DatabaseName"] == "Northwind"
    assert ":secret:dms-source" in source["MicrosoftSQLServerSettings"]["SecretsManagerSecretId"]
    assert not source.get("Password") and not source.get("Username")  # only the secret
    tags = dms.list_tags_for_resource(ResourceArn=source["EndpointArn"])["TagList"]
    assert {t["Key"]: t["Value"] for t in tags}["bak2rds:execution"] == "Northwind-3f9a1c2b7d4e"
    again = create_dms_endpoints.lambda_handler(load_event("create_dms_endpoints"), CONTEXT)
    assert again == resources and len(dms.describe_endpoints()["Endpoints"]) == 2

    test_event = load_event("dms_connection_test")
    test_event["state"]["dms"] = {
        **resources,
        "replication_instance_arn": world.replication_instance_arn,
    }
    check = dms_connection_test.lambda_handler(test_event, CONTEXT)
    assert (check["role"], check["endpoint_id"]) == ("source", resources["source_endpoint_id"])

    create_event = load_event("create_cdc_task")
    create_event["dms"] = {**resources, "replication_instance_arn": world.replication_instance_arn}
    cdc = create_cdc_task.lambda_handler(create_event, CONTEXT)
    dms_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].replication_tasks[
        cdc["task_arn"]
    ].status = "stopped"
    remove_event = load_event("remove_dms_resources")
    remove_event["state"].update(cdc=cdc, dms=create_event["dms"])
    first = remove_dms_resources.lambda_handler(remove_event, CONTEXT)
    remove_event["state"]["dms_cleanup"] = first
    done = remove_dms_resources.lambda_handler(remove_event, CONTEXT)
    assert (first["done"], done["done"]) == (False, True)
    assert not dms.describe_endpoints()["Endpoints"]


def _table_statistics(response: DatabaseMigrationServiceResponse) -> str:
    """DescribeTableStatistics, which moto lacks: one table, replicating (localrun.dms has the
    whole stand-in)."""
    arn = response._get_param("ReplicationTaskArn")
    table = {"SchemaName": "dbo", "TableName": "Orders", "TableState": "Table completed"}
    return json.dumps({"ReplicationTaskArn": arn, "TableStatistics": [table]})


@mock.patch.object(
    DatabaseMigrationServiceResponse, "describe_table_statistics", _table_statistics, create=True
)
def test_the_cdc_steps_create_start_and_watch_the_task(world: World) -> None:
    event = load_event("create_cdc_task")
    event["dms"]["replication_instance_arn"] = world.replication_instance_arn
    cdc = create_cdc_task.lambda_handler(event, CONTEXT)
    assert cdc["task_id"] == "bak2rds-northwind-3f9a1c2b7d4e"
    assert cdc["replication_instance_id"] == "bak2rds-replication"
    task = boto3.client("dms").describe_replication_tasks()["ReplicationTasks"][0]
    assert (
        task["MigrationType"],
        json.loads(task["ReplicationTaskSettings"])["FullLoadSettings"],
    ) == (
        "cdc",
        {"TargetTablePrepMode": "DO_NOTHING"},
    )
    # What DMS is asked to do with replayed changes and LOBs (docs/design.md): no LOB is
    # truncated or dropped, and no conflict deletes a row under live constraints
    settings = json.loads(task["ReplicationTaskSettings"])
    lobs = settings["TargetMetadata"]
    assert (lobs["SupportLobs"], lobs["FullLobMode"], lobs["LimitedSizeLobMode"]) == (
        True,
        True,
        False,
    )
    assert lobs["BatchApplyEnabled"] is False  # batch apply would need limited LOB mode
    policies = settings["ErrorBehavior"]
    assert policies["ApplyErrorUpdatePolicy"] != "UPDATE_RECORD"  # it turns LOB support off
    assert policies["ApplyErrorInsertPolicy"] != "INSERT_RECORD"  # it deletes, then inserts
    assert {policies[f"ApplyError{kind}Policy"] for kind in ("Insert", "Update", "Delete")} <= {
        "LOG_ERROR",
        "IGNORE_RECORD",
    }
    start_event = load_event("start_cdc_task")
    start_event["cdc"] = cdc
    assert start_cdc_task.lambda_handler(start_event, CONTEXT)["started"] is False  # still creating
    dms_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].replication_tasks[
        cdc["task_arn"]
    ].status = "ready"
    started = start_cdc_task.lambda_handler(start_event, CONTEXT)
    assert started["started"] is True

    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/DMS",
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [
                    {"Name": "ReplicationInstanceIdentifier", "Value": "bak2rds-replication"},
                    {
                        "Name": "ReplicationTaskIdentifier",
                        "Value": cdc["task_arn"].rsplit(":", 1)[-1],
                    },
                ],
                "Timestamp": world.clock.now() - timedelta(seconds=30),
                "Value": 12.0,
            }
            for name in ("CDCLatencySource", "CDCLatencyTarget")
        ],
    )
    check_event = load_event("check_cdc")
    check_event["cdc"] = started
    checked = check_cdc.lambda_handler(check_event, CONTEXT)
    assert (checked["status"], checked["latency_seconds"], checked["good_checks"]) == (
        "running",
        12.0,
        1,
    )


def test_notify_publishes_milestones_and_failures(world: World) -> None:
    notify.lambda_handler(load_event("notify"), CONTEXT)
    failure = notify.lambda_handler(load_event("notify_failure"), CONTEXT)
    assert dict(failure)["code"] == "RESTORE_ACCESS_DENIED"
    sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].topics[world.topic_arn].sent_notifications
    subjects = [notification[2] for notification in sent]
    assert subjects == [
        "[bak2rds] Northwind: CDC started at 00000014:000000f3:0001",
        "[bak2rds] Northwind: FAILED RESTORE_ACCESS_DENIED",
    ]


def test_alert_e_mails_an_aborted_execution_and_a_failed_dms_task_of_this_stack(
    world: World,
) -> None:
    aborted = alert.lambda_handler(load_event("alert"), CONTEXT)
    create_event = load_event("create_cdc_task")
    create_event["dms"]["replication_instance_arn"] = world.replication_instance_arn
    cdc = create_cdc_task.lambda_handler(create_event, CONTEXT)
    dms_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].replication_tasks[
        cdc["task_arn"]
    ].status = "failed"
    dms_failed = {
        "id": "e1",
        "detail-type": "DMS Replication Task State Change",
        "source": "aws.dms",
        "resources": [cdc["task_arn"]],
        "detail": {"eventType": "REPLICATION_TASK_FAILED", "detailMessage": "Task failed"},
    }
    failed = alert.lambda_handler(dms_failed, CONTEXT)

    assert (aborted["code"], failed["code"]) == ("EXECUTION_ABORTED", "DMS_TASK_FAILED")
    assert failed["execution_arn"].endswith(":execution:bak2rds-migration:Northwind-3f9a1c2b7d4e")
    sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].topics[world.topic_arn].sent_notifications
    assert [notification[2] for notification in sent] == [
        "[bak2rds] Northwind-3f9a1c2b7d4e: execution stopped by hand",
        f"[bak2rds] Northwind-3f9a1c2b7d4e: DMS task {cdc['task_id']} failed",
    ]

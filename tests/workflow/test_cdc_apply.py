"""CDC that loses nothing on a real source: the task's settings as DMS holds them, triggers and
foreign keys off on the RDS copy while DMS applies and back on after the decision, keyless
tables refused or left out, and a task that cannot catch up stopped with a reason."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import boto3
import pytest

from bak2rds.lsn import Lsn
from localrun import samples
from localrun.runtime import LocalRuntime
from localrun.sqlcatalog import Table, order_entry_tables
from localrun.sqlserver import SimulatedRdsSqlServer
from tests.workflow.conftest import StartRuntime, ended_in_failure
from tests.workflow.test_approval import press

pytestmark = pytest.mark.workflow

KEY = "incoming/Northwind.bak"
AUDIT_LOG = Table("dbo", "AuditLog", unique_key=False)  # a heap: no key, no unique index


def switched_on(sql_sim: SimulatedRdsSqlServer) -> dict[str, tuple[bool, bool]]:
    """Every trigger and foreign key of the restored copy: (enabled, trusted)."""
    found = {}
    for table in sql_sim.tables("Northwind"):
        found.update({t.name: (t.enabled, True) for t in table.triggers})
        found.update({k.name: (k.enabled, k.trusted) for k in table.foreign_keys})
    return found


def watch_task_start(runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer) -> list[Any]:
    """What the restored copy looked like when DMS was asked to start the task."""
    seen: list[Any] = []
    check = runtime.dms.start_refusal

    def start_refusal(task: Any, position: str | None) -> str | None:
        seen.append(switched_on(sql_sim))
        return check(task, position)

    runtime.dms.start_refusal = start_refusal
    return seen


def test_the_task_as_dms_holds_it_cannot_drop_or_truncate_a_lob(runtime: LocalRuntime) -> None:
    runtime.start_migration(KEY)
    (execution,) = runtime.run_until_done()
    (task,) = boto3.client("dms").describe_replication_tasks(
        Filters=[{"Name": "replication-task-arn", "Values": [execution.data["cdc"]["task_arn"]]}]
    )["ReplicationTasks"]
    settings = json.loads(task["ReplicationTaskSettings"])
    assert "UPDATE_RECORD" not in json.dumps(settings["ErrorBehavior"])
    assert settings["TargetMetadata"]["FullLobMode"] is True
    assert settings["TargetMetadata"]["LimitedSizeLobMode"] is False


def test_triggers_and_keys_are_off_while_dms_applies_and_back_on_after_approval(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    seen_at_start = watch_task_start(runtime, sql_sim)
    runtime.start_migration(KEY)
    (execution,) = runtime.run_until_done()
    as_restored = {
        "trg_Customers_Audit": (True, True),
        "trg_Orders_Stock": (True, True),
        "trg_Orders_Old": (False, True),
        "FK_Orders_Customers": (True, True),
        "FK_OrderLines_Orders": (True, True),
        "FK_OrderLines_Products": (True, False),
    }
    # When DMS was asked to start, nothing of the RDS copy could fire or refuse a change
    (at_start,) = seen_at_start
    assert not any(enabled for enabled, _ in at_start.values())
    assert execution.data["target_prep"]["triggers_off"] == 2
    assert execution.data["target_prep"]["foreign_keys_off"] == 3
    # and every e-mail until the decision says so
    (started,) = [n for n in runtime.notifications() if n.attributes.get("event") == "CDC_STARTED"]
    assert "2 triggers are disabled and 3 foreign keys are NOCHECK" in started.message
    (email,) = runtime.approval_emails()
    assert "2 triggers disabled and 3 foreign keys NOCHECK until the cutover" in email.message

    assert press(runtime, email.approve_link, "approve").status == 200
    runtime.dms.stop_source_writes()
    (done,) = runtime.run_until_done()

    assert done.status == "SUCCEEDED"
    assert switched_on(sql_sim) == as_restored  # exactly what was on, and trusted as it was
    complete = runtime.notifications()[-1]
    assert "2 triggers and 3 foreign keys are back on as they were restored" in complete.message
    assert "triggers are disabled" not in complete.message
    states = [s.name for s in done.states]
    assert states.index("Stop CDC Task") < states.index("Restore Triggers And Keys")
    assert states.index("Restore Triggers And Keys") < states.index("Remove DMS Resources")


def test_a_rejection_leaves_the_copy_as_restored_and_names_a_key_that_fails_its_check(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    runtime.start_migration(KEY)
    runtime.run_until_done()
    orders = next(t for t in sql_sim.tables("Northwind") if t.name == "OrderLines")
    orders.foreign_keys[0].orphans = True  # lines whose order CDC never brought

    (email,) = runtime.approval_emails()
    assert press(runtime, email.reject_link, "reject").status == 200
    (done,) = runtime.run_until_done()

    assert done.status == "SUCCEEDED" and done.data["approval"]["decision"] == "rejected"
    now = switched_on(sql_sim)
    assert now["FK_OrderLines_Orders"] == (False, False)  # left NOCHECK, never untrusted-on
    assert now["trg_Orders_Stock"] == (True, True) and now["FK_Orders_Customers"] == (True, True)
    rejected = runtime.notifications()[-1]
    assert (
        rejected.subject == "[bak2rds] Northwind: cutover rejected, 1 foreign key(s) left NOCHECK"
    )
    assert "1 foreign key(s) failed WITH CHECK and are left NOCHECK" in rejected.message
    assert "[FK_OrderLines_Orders] on [dbo].[OrderLines]: The ALTER TABLE statement" in (
        rejected.message
    )


def test_keyless_tables_stop_the_migration_before_anything_changes(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    backup = replace(samples.backup_in_s3(), tables=[*order_entry_tables(), AUDIT_LOG])
    runtime.start_migration(KEY, backup)

    execution, message = ended_in_failure(runtime, "KEYLESS_TABLES")

    assert "[dbo].[AuditLog]" in message and "KeylessTables" in message
    assert "cdc" in execution.data and "target_prep" not in execution.data
    assert runtime.dms.task(execution.data["cdc"]["task_arn"]).start_requested_at is None
    assert switched_on(sql_sim)["trg_Orders_Stock"] == (True, True)  # untouched
    assert "Northwind" in sql_sim.databases  # the restored copy is kept


def test_keyless_tables_can_be_left_out_of_cdc_and_every_email_says_so(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime(parameters={"KeylessTables": "exclude"})
    backup = replace(samples.backup_in_s3(), tables=[*order_entry_tables(), AUDIT_LOG])
    runtime.start_migration(KEY, backup)
    (execution,) = runtime.run_until_done()

    assert execution.waiting_for_approval
    (task,) = boto3.client("dms").describe_replication_tasks(
        Filters=[{"Name": "replication-task-arn", "Values": [execution.data["cdc"]["task_arn"]]}]
    )["ReplicationTasks"]
    statistics = boto3.client("dms").describe_table_statistics(
        ReplicationTaskArn=task["ReplicationTaskArn"]
    )
    replicated = {s["TableName"] for s in statistics["TableStatistics"]}
    assert replicated == {"Customers", "Orders", "OrderLines", "Products"}  # not AuditLog
    assert '"table-name":"AuditLog"' in task["TableMappings"]
    (started,) = [n for n in runtime.notifications() if n.attributes.get("event") == "CDC_STARTED"]
    assert "Left out of CDC" in started.message and "[dbo].[AuditLog]" in started.message
    (email,) = runtime.approval_emails()
    assert "Left out of CDC:  [dbo].[AuditLog]" in email.message
    page = runtime.approval_http("GET", email.approve_link)
    assert "Left out of CDC" in page.body and "[dbo].[AuditLog]" in page.body


def test_a_table_dms_suspends_stops_the_wait_with_its_name(runtime: LocalRuntime) -> None:
    runtime.start_migration(KEY)
    runtime.run_until(lambda: any(t.start_requested_at for t in runtime.dms.tasks.values()))
    runtime.advance(600)
    (task,) = runtime.dms.tasks.values()
    runtime.dms.suspend_table(task.arn, "dbo", "Orders")

    _, message = ended_in_failure(runtime, "DMS_TABLE_SUSPENDED")

    assert "[dbo].[Orders]" in message
    assert runtime.dms.status(task.arn) == "running"  # left as it is, for the operator
    assert "2 triggers and 3 foreign keys are still switched off" in message
    assert "bak2rds will not switch them back on" in message
    execution_name = next(iter(runtime.executions())).name
    assert "ENABLE TRIGGER" in message and f"LIKE N'%;{execution_name}'" in message


def test_a_start_position_the_source_no_longer_has_is_explained(runtime: LocalRuntime) -> None:
    upload = runtime.upload(KEY)
    first = upload.backup.first_lsn
    runtime.source_databases["Northwind"].log_available_from = first + 100  # log truncated
    runtime.deliver(upload.event)

    _, message = ended_in_failure(runtime, "DMS_START_POSITION_UNAVAILABLE")

    assert f"Failed to access LSN '{Lsn.from_numeric(first).to_dms()}'" in message
    assert "Take a new full backup" in message and "keep the log" in message


def test_a_source_without_a_publication_cannot_start_from_the_backup(
    runtime: LocalRuntime,
) -> None:
    upload = runtime.upload(KEY)
    runtime.source_databases["Northwind"].published = False
    runtime.deliver(upload.event)

    _, message = ended_in_failure(runtime, "DMS_TASK_FAILED")

    assert "publication" in message
    assert "MS-CDC alone is not enough for a native start point" in message


def test_a_failed_assessment_stops_the_migration_during_the_restore(runtime: LocalRuntime) -> None:
    runtime.dms.assessments.fail(
        "sqlserver-check-user-permission-for-cdc",
        "The DMS user does not have the permissions CDC needs (VIEW SERVER STATE)",
    )
    runtime.start_migration(KEY)

    execution, message = ended_in_failure(runtime, "DMS_ASSESSMENT_FAILED")

    assert "sqlserver-check-user-permission-for-cdc" in message
    assert "VIEW SERVER STATE" in message
    folder = f"assessments/{execution.name}/"
    assert f"s3://{runtime.bucket}/{folder}" in message
    keys = [
        o["Key"]
        for o in boto3.client("s3").list_objects_v2(Bucket=runtime.bucket, Prefix=folder)[
            "Contents"
        ]
    ]
    assert f"{folder}summary.json" in keys
    assert f"{folder}sqlserver-check-user-permission-for-cdc.json" in keys
    assert "start_lsn" not in execution.data  # stopped before the restore ended
    (task,) = runtime.dms.tasks.values()
    assert task.start_requested_at is None  # CDC never started
    assert "aws dms delete-replication-task" in message  # what is left, and how to remove it


def test_assessment_warnings_are_told_when_cdc_starts(runtime: LocalRuntime) -> None:
    runtime.dms.assessments.warn("sqlserver-check-for-computed-fields")
    runtime.start_migration(KEY)
    (execution,) = runtime.run_until_done()

    assert execution.waiting_for_approval
    assessment = execution.data["assessment"]
    assert "sqlserver-check-for-triggers" not in assessment["included"]  # a target check
    (started,) = [n for n in runtime.notifications() if n.attributes.get("event") == "CDC_STARTED"]
    assert "sqlserver-check-for-computed-fields: warning" in started.message
    assert "Read these before the cutover" in started.message


def test_the_assessment_can_be_turned_off(start_runtime: StartRuntime) -> None:
    runtime = start_runtime(parameters={"PremigrationAssessment": "off"})
    runtime.dms.assessments.fail("sqlserver-check-for-full-backup", "no full backup")
    runtime.start_migration(KEY)
    (execution,) = runtime.run_until_done()

    assert execution.waiting_for_approval
    assert runtime.dms.assessments.runs == {}
    (started,) = [n for n in runtime.notifications() if n.attributes.get("event") == "CDC_STARTED"]
    assert "premigration assessment was not run (PremigrationAssessment is off)" in started.message


def test_users_without_a_login_are_shown_before_the_cutover_with_their_fix(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    runtime.start_migration(KEY)
    (execution,) = runtime.run_until_done()

    assert execution.data["logins"]["count"] == 3
    states = [s.name for s in execution.states]
    assert states.index("CDC Caught Up?") < states.index("Check Logins")
    assert states.index("Check Logins") < states.index("Request Cutover Approval")
    (email,) = runtime.approval_emails()
    assert "3 database user(s) map to no login of the RDS instance" in email.message
    assert "CREATE LOGIN [app_user] WITH PASSWORD = N'<a new password>', SID = 0x" in email.message
    assert "CREATE LOGIN [CORP\\etl-batch] FROM WINDOWS;" in email.message
    page = runtime.approval_http("GET", email.approve_link)
    assert "Users without a login" in page.body and "app_user" in page.body
    assert sql_sim.logins.keys() == {"admin"}  # bak2rds created no login

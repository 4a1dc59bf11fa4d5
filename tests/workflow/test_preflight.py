"""Preflight: what the backup's header and the target say is decided before any restore.

A target that cannot restore the backup stops the migration with a catalogued error before
any SQL runs; after the restore, msdb must agree with the header that was read up front.
"""

from __future__ import annotations

import json

import boto3
import pytest

from bak2rds.adapters.rds import BACKUP_RESTORE_OPTION
from bak2rds.lsn import Lsn
from localrun import samples
from localrun.backupimage import BackupImage
from localrun.rdstarget import OPTION_GROUP
from localrun.runtime import LocalRuntime
from tests.workflow.conftest import ended_in_failure

pytestmark = pytest.mark.workflow

KEY = "incoming/Northwind.bak"
BACKUP = samples.backup_in_s3()


def refused(runtime: LocalRuntime, code: str) -> str:
    """Run to the end; the migration failed with ``code`` before any SQL. The message."""
    _, message = ended_in_failure(runtime, code)
    assert runtime.sql.executed == []
    assert runtime.sql.tasks == []
    return message


def test_the_header_facts_reach_the_output_and_the_restore_started_message(
    runtime: LocalRuntime,
) -> None:
    runtime.start_migration(KEY, BACKUP)
    runtime.run_until(lambda: bool(runtime.notifications()))

    (started,) = runtime.notifications()
    assert "Backup header: full backup of [Northwind] on EC2AMAZ-SOURCE, SQL Server 15.0.4236" in (
        started.message
    )
    assert "first 00000014:000000f3:0001, checkpoint 00000014:000000f5:0001" in started.message
    (execution,) = runtime.executions()
    read = next(e for e in execution.history if e["type"] == "TaskStateExited")
    backup = json.loads(read["stateExitedEventDetails"]["output"])["migration"]["backup"]
    assert (backup["backup_type"], backup["source_database"], backup["last_lsn"]) == (
        "FULL",
        "Northwind",
        "00000014:000000fa:0001",
    )


def test_a_target_without_the_backup_restore_option_is_refused(runtime: LocalRuntime) -> None:
    boto3.client("rds").modify_option_group(
        OptionGroupName=OPTION_GROUP, OptionsToRemove=[BACKUP_RESTORE_OPTION], ApplyImmediately=True
    )
    runtime.start_migration(KEY, BACKUP)

    assert BACKUP_RESTORE_OPTION in refused(runtime, "RESTORE_OPTION_MISSING")


def test_a_target_with_less_free_storage_than_the_backup_is_refused(
    runtime: LocalRuntime,
) -> None:
    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "FreeStorageSpace",
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": runtime.rds_instance_id}],
                "Timestamp": runtime.now,
                "Value": 4096.0,
                "Unit": "Bytes",
            }
        ],
    )
    runtime.start_migration(KEY, BACKUP)

    assert "has 4.0 KiB free; the backup alone is 64.0 KiB" in refused(runtime, "RESTORE_NO_SPACE")


def test_a_stopped_target_is_refused(runtime: LocalRuntime) -> None:
    boto3.client("rds").stop_db_instance(DBInstanceIdentifier=runtime.rds_instance_id)
    runtime.start_migration(KEY, BACKUP)

    assert "'stopped'" in refused(runtime, "TARGET_NOT_AVAILABLE")


def test_msdb_disagreeing_with_the_header_stops_before_cdc_and_keeps_the_database(
    runtime: LocalRuntime,
) -> None:
    # The file's header says one backup; RDS restores another (someone replaced the object
    # between the header read and the restore).
    header = BackupImage("Northwind", Lsn(20, 100, 1), Lsn(20, 101, 1), Lsn(20, 120, 1))
    runtime.deliver(runtime.upload(KEY, BACKUP, body=header).event)

    _, message = ended_in_failure(runtime, "BACKUP_LSN_MISMATCH")

    assert "Northwind" in runtime.sql.databases  # nothing is dropped
    assert all(task.start_requested_at is None for task in runtime.dms.tasks.values())  # no CDC
    assert "first_lsn header 00000014:00000064:0001 msdb 00000014:000000f3:0001" in message


def test_a_compressed_backup_is_restored_with_its_header_left_to_rds(
    runtime: LocalRuntime,
) -> None:
    runtime.deliver(runtime.upload(KEY, BACKUP, body=b"MSSQLBAK" + bytes(65536)).event)
    runtime.run_until(lambda: any(t.start_requested_at for t in runtime.dms.tasks.values()))

    assert "Northwind" in runtime.sql.databases
    started = runtime.notifications()[0].message
    assert "compressed: its header was not read" in started

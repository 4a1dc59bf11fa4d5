"""Full + differential chains and striped sets, with the real files of ../shared/backups.

The simulated RDS instance learns what it restores from each uploaded object's own header
(LocalRuntime.upload), so these runs restore what SQL Server wrote: the differential onto
the full it names, NORECOVERY in between, and a striped pair only as a whole.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bak2rds.backupfile import read_backup_header
from bak2rds.lsn import Lsn
from localrun import samples
from localrun.backupimage import BackupImage
from localrun.runtime import LocalRuntime
from localrun.sqlserver import SimulatedRdsSqlServer
from tests import realbackups
from tests.workflow.conftest import ended_in_failure

pytestmark = pytest.mark.workflow

OLA = "olamsfilter-complex"
OLA_DATABASE = "OlaMsFilterTest"  # the database the Ola files' headers name
FULL_TIMES = ("141300", "142200")
# Each differential and the full it is based on (tests/unit/test_backupfile.py checks the
# headers say so): the second full at 14:22 becomes the base of the later differentials.
DIFF_BASES = {"141600": "141300", "141900": "141300", "142500": "142200", "142800": "142200"}
STRIPES = ("Stripe1_RestoreTimeStripe.bak", "Stripe2_RestoreTimeStripe1.bak")


def full_file(time: str) -> str:
    return f"{OLA}/Full/test_FULL_20160629_{time}.bak"


def diff_file(time: str) -> str:
    return f"{OLA}/Diff/test_DIFF_20160629_{time}.bak"


def upload_real(runtime: LocalRuntime, key: str, name: str) -> dict[str, Any]:
    """Upload a real backup file under ``key`` and deliver its event; Start Migration's answer."""
    upload = runtime.upload(key, body=realbackups.read(name))
    (started,) = runtime.deliver(upload.event)
    return started


def arn(runtime: LocalRuntime, key: str) -> str:
    return f"arn:aws:s3:::{runtime.bucket}/{key}"


def first_lsn_of(name: str) -> str:
    first = read_backup_header(realbackups.read(name)).first_lsn
    assert first is not None
    return first.to_dms()


def stage_both_fulls(runtime: LocalRuntime) -> None:
    for time in FULL_TIMES:
        started = upload_real(runtime, f"staged/test_FULL_20160629_{time}.bak", full_file(time))
        assert started["staged"] is True and started["execution_arn"] == ""
    assert runtime.executions() == []


@pytest.mark.parametrize(("diff_time", "base_time"), DIFF_BASES.items())
def test_a_differential_is_restored_onto_the_staged_full_its_header_names(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer, diff_time: str, base_time: str
) -> None:
    # Given both full backups parked under staged/ (one is not this differential's base)
    stage_both_fulls(runtime)
    # and the other differentials beside this one (uploaded, never its base)
    for other in DIFF_BASES.keys() - {diff_time}:
        runtime.upload(
            f"Diff/test_DIFF_20160629_{other}.bak", body=realbackups.read(diff_file(other))
        )
    diff_key = f"Diff/test_DIFF_20160629_{diff_time}.bak"

    # When the differential is dropped
    started = upload_real(runtime, diff_key, diff_file(diff_time))

    # Then RDS first restores its own base NORECOVERY: the database is RESTORING in between
    runtime.run_until(lambda: len(sql_sim.tasks) == 2)
    assert OLA_DATABASE.lower() in sql_sim.restoring
    (execution,) = runtime.run_until_done()
    assert execution.arn == started["execution_arn"]
    assert execution.waiting_for_approval, execution.cause
    full_task, diff_task = sql_sim.tasks
    assert (full_task.s3_arn, full_task.task_type, full_task.lifecycle) == (
        arn(runtime, f"staged/test_FULL_20160629_{base_time}.bak"),
        "RESTORE_DB_NORECOVERY",
        "SUCCESS",
    )
    # then the differential with recovery, into the database named by the headers
    assert (diff_task.s3_arn, diff_task.task_type, diff_task.lifecycle) == (
        arn(runtime, diff_key),
        "RESTORE_DB_DIFFERENTIAL",
        "SUCCESS",
    )
    assert {full_task.database_name, diff_task.database_name} == {OLA_DATABASE}
    assert OLA_DATABASE.lower() not in sql_sim.restoring
    assert [row["type"] for row in sql_sim.restore_history] == ["D", "I"]
    # and CDC starts at the differential's first LSN, not the full's
    cdc = runtime.dms.task(execution.data["cdc"]["task_arn"])
    assert cdc.cdc_start_position == first_lsn_of(diff_file(diff_time))
    assert cdc.cdc_start_position != first_lsn_of(full_file(base_time))
    # and the restore-started e-mail says what is restored in which order, and from where
    # the source's log is needed
    started_mail = next(n for n in runtime.notifications() if "restore started" in n.subject)
    assert f"staged/test_FULL_20160629_{base_time}.bak" in started_mail.message
    assert "left RESTORING (NORECOVERY)" in started_mail.message
    assert "only from the differential on" in started_mail.message
    cdc_mail = next(n for n in runtime.notifications() if "CDC started" in n.subject)
    assert "the source's log is needed from there on" in cdc_mail.message
    finished_mail = next(n for n in runtime.notifications() if "restore finished" in n.subject)
    assert "from the full backup (NORECOVERY), then the differential" in finished_mail.message


def test_a_differential_without_its_base_fails_before_any_restore_saying_what_it_looked_for(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    # Given only the full that is NOT the base of the 14:16 differential
    started = upload_real(runtime, "staged/test_FULL_20160629_142200.bak", full_file("142200"))
    assert started["staged"] is True

    upload_real(runtime, "Diff/test_DIFF_20160629_141600.bak", diff_file("141600"))

    _, email = ended_in_failure(runtime, "BASE_BACKUP_MISSING")
    base = read_backup_header(realbackups.read(full_file("141300")))
    assert base.checkpoint_lsn is not None
    assert base.checkpoint_lsn.to_dms() in email
    assert str(base.backup_set_id) in email
    assert f"s3://{runtime.bucket}/staged/" in email
    assert sql_sim.executed == [] and sql_sim.tasks == []


def test_a_differential_alone_fails_with_base_backup_missing(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    upload_real(runtime, "Sales/test_DIFF_20160629_142500.bak", diff_file("142500"))

    ended_in_failure(runtime, "BASE_BACKUP_MISSING")
    assert sql_sim.tasks == []


def test_a_base_in_the_differentials_own_folder_is_found_too(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    # A full uploaded beside the differential starts a migration of its own (it is not
    # staged): here it is put there without its event, as if the rule had been off.
    runtime.upload("Sales/base.bak", body=realbackups.read(full_file("141300")))

    upload_real(runtime, "Sales/diff.bak", diff_file("141900"))
    (execution,) = runtime.run_until_done()

    assert execution.waiting_for_approval, execution.cause
    assert [task.s3_arn for task in sql_sim.tasks] == [
        arn(runtime, "Sales/base.bak"),
        arn(runtime, "Sales/diff.bak"),
    ]


@pytest.mark.parametrize("order", [(0, 1), (1, 0)], ids=["stripe 1 first", "stripe 2 first"])
def test_a_striped_pair_starts_one_migration_when_its_second_stripe_arrives(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer, order: tuple[int, int]
) -> None:
    first, second = (STRIPES[i] for i in order)

    waiting = upload_real(runtime, f"stripe/{first}", f"stripe/{first}")
    runtime.run_until_done()
    complete = upload_real(runtime, f"stripe/{second}", f"stripe/{second}")
    executions = runtime.run_until_done()

    # The first stripe's execution said what was missing and ended without restoring
    assert waiting["execution_name"].endswith("-waiting")
    by_arn = {e.arn: e for e in executions}
    assert by_arn[waiting["execution_arn"]].status == "SUCCEEDED"
    assert by_arn[waiting["execution_arn"]].state_names[-1] == "Waiting For Stripes"
    waits = [n for n in runtime.notifications() if "waiting for stripe" in n.subject]
    assert len(waits) == 1
    # and the second started the one migration, restored from the prefix both share
    migration = by_arn[complete["execution_arn"]]
    assert migration.waiting_for_approval, migration.cause
    (task,) = sql_sim.tasks
    assert (task.s3_arn, task.task_type, task.lifecycle) == (
        arn(runtime, "stripe/Stripe*"),
        "RESTORE_DB",
        "SUCCESS",
    )
    assert task.database_name == "RestoreTimeStripe"
    assert runtime.dms.task(migration.data["cdc"]["task_arn"]).cdc_start_position == (
        first_lsn_of(f"stripe/{STRIPES[0]}")
    )
    # and a stripe uploaded again, now that the set is whole, is a duplicate of it
    reupload = runtime.upload(f"stripe/{first}", body=realbackups.read(f"stripe/{first}"))
    (again,) = runtime.deliver(reupload.event)
    assert (again["execution_name"], again["duplicate"]) == (complete["execution_name"], True)
    runtime.run_until_done()
    assert len(sql_sim.tasks) == 1


def test_one_stripe_alone_waits_quietly_and_is_e_mailed_once(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    upload = runtime.upload(f"stripe/{STRIPES[1]}", body=realbackups.read(f"stripe/{STRIPES[1]}"))
    (first,) = runtime.deliver(upload.event)
    (again,) = runtime.deliver(upload.event)  # EventBridge delivers at least once

    (execution,) = runtime.run_until_done()

    assert (again["execution_name"], again["duplicate"]) == (first["execution_name"], True)
    assert execution.status == "SUCCEEDED"
    (email,) = runtime.notifications()
    assert "waiting for stripe 1 of 2" in email.subject
    assert "stripe(s) 1 are not in" in email.message
    assert sql_sim.executed == [] and sql_sim.tasks == []


def test_a_wildcard_that_would_match_another_object_is_refused_naming_it(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    runtime.upload("stripe/Stripe-notes.txt", body=b"which server took these")
    upload_real(runtime, f"stripe/{STRIPES[0]}", f"stripe/{STRIPES[0]}")
    upload_real(runtime, f"stripe/{STRIPES[1]}", f"stripe/{STRIPES[1]}")

    executions = runtime.run_until_done()

    (failed,) = [e for e in executions if e.status == "FAILED"]
    assert failed.error == "STRIPE_SET_AMBIGUOUS"
    assert "stripe/Stripe-notes.txt" in (failed.cause or "")
    assert sql_sim.tasks == []


def test_the_source_needs_its_log_only_from_the_differential_on(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    # Given a source whose log was truncated after the full, before the differential
    stage_both_fulls(runtime)
    diff = read_backup_header(realbackups.read(diff_file("141900")))
    assert diff.first_lsn is not None
    runtime.source_databases[OLA_DATABASE].log_available_from = diff.first_lsn.to_numeric()

    upload_real(runtime, "Diff/test_DIFF_20160629_141900.bak", diff_file("141900"))
    (execution,) = runtime.run_until_done()

    # Then DMS starts all the same: nothing before the differential is read
    assert execution.waiting_for_approval, execution.cause
    cdc = runtime.dms.task(execution.data["cdc"]["task_arn"])
    assert cdc.cdc_start_position == diff.first_lsn.to_dms()


def test_a_striped_full_is_the_base_of_a_differential(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    # Given last night's full, striped over three files and parked under staged/ (their
    # events start nothing), and this morning's differential
    full = BackupImage("Sales", Lsn(40, 100, 1), Lsn(40, 120, 1), Lsn(40, 300, 1), family_count=3)
    for number in (1, 2, 3):
        stripe = dataclasses.replace(full, family_sequence_number=number)
        upload = runtime.upload(f"staged/nightly/SQL01_Sales_FULL_{number}.bak", body=stripe)
        assert runtime.deliver(upload.event)[0]["staged"] is True
    differential = samples.differential_of(full, Lsn(40, 900, 5), Lsn(40, 950, 1))
    upload = runtime.upload("incoming/SQL01_Sales_DIFF_20261202_0600.bak", body=differential)

    (started,) = runtime.deliver(upload.event)
    (execution,) = runtime.run_until_done()

    # Then RDS restores the three stripes from their prefix, NORECOVERY, then the differential
    assert execution.waiting_for_approval, execution.cause
    assert started["execution_name"].startswith("SQL01_Sales_DIFF_20261202_0600-")
    assert [(t.s3_arn, t.task_type) for t in sql_sim.tasks] == [
        (arn(runtime, "staged/nightly/SQL01_Sales_FULL_*"), "RESTORE_DB_NORECOVERY"),
        (arn(runtime, "incoming/SQL01_Sales_DIFF_20261202_0600.bak"), "RESTORE_DB_DIFFERENTIAL"),
    ]
    assert {t.database_name for t in sql_sim.tasks} == {"Sales"}  # the headers' name
    assert runtime.dms.task(execution.data["cdc"]["task_arn"]).cdc_start_position == (
        "00000028:00000384:0005"
    )


def test_the_database_name_metadata_overrides_the_headers_name_for_a_chain(
    runtime: LocalRuntime, sql_sim: SimulatedRdsSqlServer
) -> None:
    stage_both_fulls(runtime)
    upload = runtime.upload(
        "Diff/d.bak",
        body=realbackups.read(diff_file("142500")),
        metadata={"database-name": "Ola_Copy"},
    )
    runtime.deliver(upload.event)
    (execution,) = runtime.run_until_done()

    assert execution.waiting_for_approval, execution.cause
    assert {t.database_name for t in sql_sim.tasks} == {"Ola_Copy"}
    assert execution.data["migration"]["database_name_from"] == "metadata"
    # DMS still reads the database the backup was taken of
    assert execution.data["migration"]["source_database"] == OLA_DATABASE

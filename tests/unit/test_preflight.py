"""Which SQL Server versions an RDS engine restores, and the msdb cross-check."""

from __future__ import annotations

import pytest

from bak2rds.errors import RestoredBackupMismatch, TargetNotReady
from bak2rds.lsn import Lsn
from bak2rds.models import BackupFacts
from bak2rds.preflight import check_engine_accepts, check_restored_matches
from localrun import samples


def backup(version: str) -> BackupFacts:
    return {
        "header_read": True,
        "compressed": False,
        "sql_version": version,
        "sql_build": f"{version}.1000",
    }


@pytest.mark.parametrize(
    ("made_by", "engine", "code"),
    [
        ("9.0", "13.00.6435.1.v1", None),  # 2016 still restores 2005 backups
        ("9.0", "14.00.3465.1.v1", "BACKUP_TOO_OLD"),  # 2017 and later: 2008 on
        ("9.0", "16.00.4095.4.v1", "BACKUP_TOO_OLD"),
        ("10.0", "15.00.4415.2.v1", None),
        ("10.50", "14.00.3465.1.v1", None),
        ("15.0", "15.00.4415.2.v1", None),
        ("16.0", "15.00.4415.2.v1", "RESTORE_BACKUP_TOO_NEW"),
        ("15.0", "13.00.6435.1.v1", "RESTORE_BACKUP_TOO_NEW"),
        ("15.0", "not-a-version", None),  # left to RDS rather than guessed at
    ],
)
def test_an_engine_restores_backups_of_its_own_and_supported_older_versions(
    made_by: str, engine: str, code: str | None
) -> None:
    if code is None:
        check_engine_accepts(backup(made_by), engine, "target")
        return
    with pytest.raises(TargetNotReady) as caught:
        check_engine_accepts(backup(made_by), engine, "target")
    assert caught.value.code == code


def test_an_unread_header_leaves_the_version_to_rds() -> None:
    check_engine_accepts({"header_read": False, "compressed": True}, "13.00.1.v1", "target")


def test_msdb_lsns_equal_to_the_header_pass_and_any_difference_names_itself() -> None:
    header: BackupFacts = {
        "header_read": True,
        "compressed": False,
        "first_lsn": "00000014:000000f3:0001",
        "checkpoint_lsn": "00000014:000000f5:0001",
        "last_lsn": "00000014:000000fa:0001",
    }
    restored = {"first_lsn": samples.FIRST_LSN, "checkpoint_lsn": samples.CHECKPOINT_LSN}
    check_restored_matches(header, {**restored, "last_lsn": samples.LAST_LSN})
    with pytest.raises(RestoredBackupMismatch, match="last_lsn header 00000014:000000fa:0001"):
        check_restored_matches(header, {**restored, "last_lsn": Lsn(20, 251, 1)})

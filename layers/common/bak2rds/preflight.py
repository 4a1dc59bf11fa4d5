"""What the backup's own header allows, decided before anything runs on the target.

Read Backup Object reads the header from the object's first bytes; Check Target compares it
with the engine; Derive Start LSN compares it with what msdb says was restored. The facts
travel between them as ``BackupFacts`` (``$.migration.backup``) so they show in the execution.
"""

from __future__ import annotations

from bak2rds.backupfile import (
    BackupHeader,
    CompressedBackup,
    NotASqlServerBackup,
    read_backup_header,
)
from bak2rds.backupset import MAX_RESTORE_FILES
from bak2rds.errors import RestoredBackupMismatch, TargetNotReady, UnusableBackup
from bak2rds.lsn import Lsn
from bak2rds.models import BackupFacts

# Microsoft, "Copy databases with backup and restore" for each version: SQL Server 2016
# restores user databases backed up by 2005 (9.0) or later; 2017 and later by 2008 (10.0).
_OLDEST_BEFORE_2017 = (9, 0)
_OLDEST_FROM_2017 = (10, 0)
_SQL_SERVER_2017 = 14


def inspect_backup(data: bytes, where: str) -> tuple[BackupFacts, BackupHeader | None]:
    """Header facts of a restorable backup, and the header itself; raise UnusableBackup for
    anything else.

    A full or a differential backup, striped or not, is restorable (Read Backup Object finds
    a differential's base and a stripe's set). A compressed backup is restorable but its
    header is not readable here: the facts say so, the header is None and the checks that
    need it are left to RDS.
    """
    try:
        header = read_backup_header(data)
    except CompressedBackup:
        return {"header_read": False, "compressed": True}, None
    except NotASqlServerBackup as exc:
        raise UnusableBackup(f"{where} {exc}", code="NOT_A_SQL_SERVER_BACKUP") from None
    described = f"{where} is a {header.backup_type.lower()} backup of {header.database_name!r}"
    if header.backup_type == "LOG":
        raise UnusableBackup(described, code="UNSUPPORTED_BACKUP_TYPE")
    if header.password_protected:
        raise UnusableBackup(f"{described} taken with a password", code="PASSWORD_PROTECTED_BACKUP")
    if header.family_count > MAX_RESTORE_FILES:
        raise UnusableBackup(
            f"{described} striped over {header.family_count} files; RDS restores from at most "
            f"{MAX_RESTORE_FILES}",
            code="TOO_MANY_STRIPES",
        )
    return facts_of(header), header


def facts_of(header: BackupHeader) -> BackupFacts:
    major, minor = header.sql_version
    return {
        "header_read": True,
        "backup_type": header.backup_type,
        "source_database": header.database_name,
        "source_server": header.server_name,
        "sql_version": f"{major}.{minor}",
        "sql_build": f"{major}.{minor}.{header.sql_build}",
        "first_lsn": _text(header.first_lsn),
        "checkpoint_lsn": _text(header.checkpoint_lsn),
        "last_lsn": _text(header.last_lsn),
        "database_backup_lsn": _text(header.database_backup_lsn),
        "compressed": header.compressed,
        "backup_set_id": str(header.backup_set_id),
        "family_count": header.family_count,
    }


def _text(lsn: Lsn | None) -> str | None:
    return lsn.to_dms() if lsn is not None else None


def check_engine_accepts(backup: BackupFacts, engine_version: str, instance_id: str) -> None:
    """Raise unless an engine of ``engine_version`` (RDS form, "15.00.4415.2.v1") restores it."""
    if not backup.get("header_read"):
        return
    engine = _major_minor(engine_version)
    made_by = _major_minor(str(backup["sql_version"]))
    if engine is None or made_by is None:
        return  # an unparsable version is left to RDS rather than guessed at
    if made_by > engine:
        raise TargetNotReady(
            f"the backup was taken by SQL Server {backup['sql_build']}; {instance_id} runs "
            f"{engine_version}",
            code="RESTORE_BACKUP_TOO_NEW",
        )
    oldest = _OLDEST_FROM_2017 if engine[0] >= _SQL_SERVER_2017 else _OLDEST_BEFORE_2017
    if made_by < oldest:
        raise TargetNotReady(
            f"the backup was taken by SQL Server {backup['sql_build']}; {instance_id} "
            f"({engine_version}) restores backups from {oldest[0]}.{oldest[1]} on",
            code="BACKUP_TOO_OLD",
        )


def _major_minor(version: str) -> tuple[int, int] | None:
    parts = version.split(".")
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return None


def check_restored_matches(backup: BackupFacts, restored: dict[str, Lsn]) -> None:
    """Raise if msdb's LSNs for the restored backup are not the uploaded header's."""
    if not backup.get("header_read"):
        return
    in_header = {
        "first_lsn": backup.get("first_lsn"),
        "checkpoint_lsn": backup.get("checkpoint_lsn"),
        "last_lsn": backup.get("last_lsn"),
    }
    differing = [
        f"{name} header {text} msdb {restored[name].to_dms()}"
        for name, text in in_header.items()
        if text is not None and Lsn.parse(text) != restored[name]
    ]
    if differing:
        raise RestoredBackupMismatch("; ".join(differing))

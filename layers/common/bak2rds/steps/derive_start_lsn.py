"""Derive Start LSN: where DMS starts reading the source's log, from the restored backup.

DMS captures transactions that start after the native start point, so the default is the
backup's ``first_lsn``: nothing committed after the backup began can be missed, and the
changes replayed twice converge (docs/design.md, "Replayed changes converge").
"""

from __future__ import annotations

from bak2rds.adapters.sqlserver import SqlServer
from bak2rds.errors import DmsRequestRejected, RestoreHistoryMissing
from bak2rds.lsn import Lsn
from bak2rds.models import Migration, StartLsn
from bak2rds.preflight import check_restored_matches


def run(migration: Migration, sql: SqlServer, strategy: str) -> StartLsn:
    database = migration["database_name"]
    backup = sql.latest_restored_backup(database)
    if backup is None:
        raise RestoreHistoryMissing(f"msdb.dbo.restorehistory has no restore of {database!r}")
    if backup.backup_type != "D":
        raise RestoreHistoryMissing(
            f"the last restore of {database!r} was of backup type {backup.backup_type!r}, "
            "not a full database backup ('D')"
        )
    lsns = {
        "first_lsn": Lsn.from_numeric(backup.first_lsn),
        "checkpoint_lsn": Lsn.from_numeric(backup.checkpoint_lsn),
        "last_lsn": Lsn.from_numeric(backup.last_lsn),
    }
    # The header read before the restore must be what msdb says was restored.
    check_restored_matches(migration["backup"], lsns)
    # The DMS source endpoint reads migration["source_database"]: replaying another
    # database's log onto this copy would corrupt it.
    if backup.source_database.lower() != migration["source_database"].lower():
        raise DmsRequestRejected(
            f"the restored backup was taken of database {backup.source_database!r}, but DMS "
            f"reads {migration['source_database']!r} on the source "
            f"(from the {migration['source_database_from']})",
            code="DMS_ENDPOINT_MISMATCH",
        )
    start = lsns[strategy]
    return {
        "strategy": strategy,
        "numeric": str(start.to_numeric()),
        "dms": start.to_dms(),
        "backup": {
            "first_lsn": lsns["first_lsn"].to_dms(),
            "checkpoint_lsn": lsns["checkpoint_lsn"].to_dms(),
            "last_lsn": lsns["last_lsn"].to_dms(),
        },
        "source_database": backup.source_database,
        "backup_finished_at": (
            backup.backup_finish_date.isoformat() if backup.backup_finish_date else None
        ),
    }

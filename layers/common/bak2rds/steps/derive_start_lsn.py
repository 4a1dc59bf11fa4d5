"""Derive Start LSN: where DMS starts reading the source's log, from the restored backup.

DMS captures transactions that start after the native start point, so the default is the
backup's ``first_lsn``: nothing committed after the backup began can be missed, and the
changes replayed twice converge (docs/design.md, "Replayed changes converge"). For a full +
differential chain that is the differential's, the last restore's: msdb's rows of both
restores are checked against both headers.
"""

from __future__ import annotations

from bak2rds.adapters.sqlserver import RestoredBackup, SqlServer
from bak2rds.errors import DmsRequestRejected, RestoreHistoryMissing
from bak2rds.lsn import Lsn
from bak2rds.models import Migration, StartLsn
from bak2rds.preflight import check_restored_matches
from bak2rds.steps.start_restore import planned_restores

# msdb backupset.type of each planned restore
_TYPE_LETTERS = {"FULL": "D", "DIFFERENTIAL": "I"}


def run(migration: Migration, sql: SqlServer, strategy: str) -> StartLsn:
    database, planned = migration["database_name"], planned_restores(migration)
    restored = sql.latest_restored_backups(database, len(planned))
    if len(restored) < len(planned):
        raise RestoreHistoryMissing(
            f"msdb.dbo.restorehistory has {len(restored)} restore(s) of {database!r}; this "
            f"migration made {len(planned)}"
        )
    # Newest first: the last planned restore (the backup CDC starts from) is restored[0].
    for row, restore in zip(restored, reversed(planned), strict=True):
        if row.backup_type != _TYPE_LETTERS[restore["restore_type"]]:
            raise RestoreHistoryMissing(
                f"msdb says a restore of {database!r} was of backup type {row.backup_type!r}, "
                f"where bak2rds restored a {restore['restore_type'].lower()} backup "
                f"('{_TYPE_LETTERS[restore['restore_type']]}')"
            )
        # The header read before the restore must be what msdb says was restored.
        check_restored_matches(restore["backup"], _lsns(row))
    backup = restored[0]
    lsns = _lsns(backup)
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


def _lsns(row: RestoredBackup) -> dict[str, Lsn]:
    return {
        "first_lsn": Lsn.from_numeric(row.first_lsn),
        "checkpoint_lsn": Lsn.from_numeric(row.checkpoint_lsn),
        "last_lsn": Lsn.from_numeric(row.last_lsn),
    }

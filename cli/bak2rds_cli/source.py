"""``bak2rds check-source``: the source prerequisites of a native CDC start point (README,
"Source prerequisites for DMS CDC"), checked on the server before the backup is taken.

Every check reads catalog views or msdb only; nothing is changed. Each failing check comes
with the statement that fixes it, for the DBA to read and run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

DATABASE = """SELECT name, recovery_model_desc, log_reuse_wait_desc, is_published, state_desc
FROM sys.databases WHERE name = %s"""
DISTRIBUTOR = "EXEC sp_get_distributor"
UNPUBLISHED_TABLES = """SELECT s.name, t.name FROM sys.tables AS t
JOIN sys.schemas AS s ON s.schema_id = t.schema_id
WHERE t.is_ms_shipped = 0 AND t.is_replicated = 0 AND s.name NOT IN ('cdc', 'sys')"""
KEYLESS_TABLES = """SELECT SCHEMA_NAME(t.schema_id), t.name FROM sys.tables AS t
WHERE t.is_ms_shipped = 0 AND OBJECTPROPERTY(t.object_id, 'TableHasPrimaryKey') = 0
AND OBJECTPROPERTY(t.object_id, 'TableHasUniqueCnst') = 0
AND NOT EXISTS (SELECT 1 FROM sys.indexes AS i WHERE i.object_id = t.object_id
                AND i.is_unique = 1 AND i.has_filter = 0)"""
RECENT_LOG_BACKUPS = """SELECT TOP (50) bs.backup_start_date, bmf.device_type,
bmf.physical_device_name, bs.key_algorithm, bms.media_family_count, bms.software_name
FROM msdb.dbo.backupset AS bs
JOIN msdb.dbo.backupmediafamily AS bmf ON bmf.media_set_id = bs.media_set_id
JOIN msdb.dbo.backupmediaset AS bms ON bms.media_set_id = bs.media_set_id
WHERE bs.database_name = %s AND bs.type = 'L'
AND bs.backup_start_date > DATEADD(day, -7, GETDATE())
ORDER BY bs.backup_start_date DESC"""
FILESTREAM = "SELECT COUNT(*) FROM sys.database_files WHERE type_desc = 'FILESTREAM'"
SIZE_MB = "SELECT SUM(CAST(size AS bigint)) * 8 / 1024 FROM sys.database_files"

# RDS for SQL Server: storage up to 16 TiB ("Amazon RDS DB instance storage"); restores from
# files of at most 5 TB each (a larger database is backed up striped).
RDS_MAX_STORAGE_MB = 16 * 1024 * 1024
DISK_DEVICE = 2  # backupmediafamily.device_type: 2 disk, 7 virtual device, 9 URL
SHOWN = 10


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str
    fix: str = ""  # SQL (or what to do) when it failed


Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


def run_checks(query: Query, database: str) -> list[Check]:
    """``query(sql, params)`` runs one statement on the source (master) and returns its rows."""
    rows = query(DATABASE, (database,))
    if not rows:
        return [Check("Database exists", False, f"no database [{database}] on this server")]
    _, recovery, log_wait, published, state = rows[0]
    quoted = f"[{database.replace(']', ']]')}]"
    use = f"USE {quoted};\n"
    checks = [
        Check(
            "FULL recovery",
            recovery in {"FULL", "BULK_LOGGED"},
            f"recovery model {recovery}; the log waits for {log_wait} (log_reuse_wait_desc)",
            f"ALTER DATABASE {quoted} SET RECOVERY FULL;  -- then take the full backup",
        ),
        _distributor(query),
        Check(
            "Database published",
            bool(published),
            "published" if published else "no publication on it",
            f"EXEC sp_replicationdboption @dbname = N'{database}', @optname = N'publish', "
            "@value = N'true';",
        ),
        _tables_check(
            "Every table in a publication",
            query(use + UNPUBLISHED_TABLES, ()),
            "outside any publication",
            "EXEC sp_addarticle @publication = N'<publication>', @article = N'{t}', "
            "@source_owner = N'{s}', @source_object = N'{t}';",
        ),
        _tables_check(
            "Every table has a primary key or unique index",
            query(use + KEYLESS_TABLES, ()),
            "without a primary key or unique index",
            "ALTER TABLE [{s}].[{t}] ADD CONSTRAINT [PK_{t}] PRIMARY KEY (<key columns>);",
        ),
        _log_backups(query(RECENT_LOG_BACKUPS, (database,))),
        _filestream(query(use + FILESTREAM, ())),
        _size(query(use + SIZE_MB, ())),
    ]
    if state != "ONLINE":
        checks.insert(0, Check("Database online", False, f"state {state}"))
    return checks


def _distributor(query: Query) -> Check:
    rows = query(DISTRIBUTOR, ())
    installed = bool(rows and rows[0][0])
    return Check(
        "Distributor configured",
        installed,
        "installed" if installed else "this server has no distributor",
        "EXEC sp_adddistributor @distributor = @@SERVERNAME; EXEC sp_adddistributiondb "
        "@database = N'distribution';  -- see the DMS user guide, 'Setting up ongoing "
        "replication using the sysadmin role'",
    )


def _tables_check(name: str, rows: list[tuple[Any, ...]], what: str, fix: str) -> Check:
    tables = [(str(s), str(t)) for s, t in rows]
    listed = ", ".join(f"[{s}].[{t}]" for s, t in tables[:SHOWN])
    more = f" and {len(tables) - SHOWN} more" if len(tables) > SHOWN else ""
    return Check(
        name,
        not tables,
        f"{len(tables)} table(s) {what}: {listed}{more}" if tables else "all tables",
        "\n".join(fix.format(s=s, t=t) for s, t in tables[:SHOWN]),
    )


def _log_backups(rows: list[tuple[Any, ...]]) -> Check:
    unreadable = []
    for started, device, name, key_algorithm, families, software in rows:
        why = [
            reason
            for reason, bad in (
                ("to a URL", device == 9),
                ("by a third-party tool", device == 7 or _third_party(software)),
                ("to NUL (the log is thrown away)", str(name).upper() in {"NUL", "NUL:"}),
                ("encrypted", key_algorithm is not None),
                ("striped", (families or 1) > 1),
            )
            if bad
        ]
        if why:
            unreadable.append(f"{started}: {name} ({', '.join(why)})")
    return Check(
        "Log backups DMS can read (last 7 days)",
        not unreadable,
        f"{len(rows)} log backup(s), none DMS cannot read"
        if not unreadable
        else f"{len(unreadable)} DMS cannot read: " + "; ".join(unreadable[:3]),
        "Take log backups natively to disk, one file, unencrypted (BACKUP LOG ... TO DISK = "
        "N'...trn'), and keep them on the source until CDC has caught up.",
    )


def _filestream(rows: list[tuple[Any, ...]]) -> Check:
    count = int(rows[0][0]) if rows else 0
    return Check(
        "No FILESTREAM",
        count == 0,
        f"{count} FILESTREAM file group(s): RDS for SQL Server does not support FILESTREAM"
        if count
        else "none",
        "Move FILESTREAM data into varbinary(max) columns, or migrate another way.",
    )


def _size(rows: list[tuple[Any, ...]]) -> Check:
    size_mb = int(rows[0][0] or 0) if rows else 0
    return Check(
        "Fits RDS storage",
        size_mb <= RDS_MAX_STORAGE_MB,
        f"{size_mb:,} MB of data and log files (RDS for SQL Server: at most 16 TiB)",
        "Archive or split the database before migrating.",
    )


def _third_party(software: Any) -> bool:
    return bool(software) and "Microsoft SQL Server" not in str(software)

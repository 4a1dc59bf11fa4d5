"""The on-premises SQL Server as ``bak2rds check-source`` reads it: its catalog views and msdb.

It answers exactly the statements ``bak2rds_cli.source`` sends (any other raises, as a
misspelt query would fail on a server), from the state a test sets: what SQL Server's
``sys.databases``, ``sp_get_distributor``, ``sys.tables``, ``sys.database_files`` and msdb's
backup history would return for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bak2rds_cli import source


@dataclass
class LogBackup:
    started: datetime
    physical_device_name: str = r"D:\Backup\Northwind_log.trn"
    device_type: int = 2  # disk
    key_algorithm: str | None = None
    media_family_count: int = 1
    software_name: str = "Microsoft SQL Server"


@dataclass
class SourceDatabase:
    recovery_model: str = "FULL"
    log_reuse_wait: str = "LOG_BACKUP"
    published: bool = True
    state: str = "ONLINE"
    tables: dict[tuple[str, str], dict[str, bool]] = field(default_factory=dict)
    log_backups: list[LogBackup] = field(default_factory=list)
    filestream_files: int = 0
    size_mb: int = 2048

    def add_table(
        self, schema: str, name: str, *, replicated: bool = True, keyed: bool = True
    ) -> None:
        self.tables[(schema, name)] = {"replicated": replicated, "keyed": keyed}


@dataclass
class SimulatedSourceServer:
    distributor: bool = True
    databases: dict[str, SourceDatabase] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)

    def query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        self.statements.append(sql)
        database_name, sep, body = sql.removeprefix("USE ").partition(";\n")
        current = self.databases.get(database_name.strip("[]").replace("]]", "]")) if sep else None
        statement = body if sep else sql
        if statement == source.DATABASE:
            found = self.databases.get(str(params[0]))
            if found is None:
                return []
            return [
                (
                    params[0],
                    found.recovery_model,
                    found.log_reuse_wait,
                    found.published,
                    found.state,
                )
            ]
        if statement == source.DISTRIBUTOR:
            return [(1 if self.distributor else 0, "DIST" if self.distributor else None)]
        if statement == source.RECENT_LOG_BACKUPS:
            found = self.databases.get(str(params[0]))
            return [
                (
                    b.started,
                    b.device_type,
                    b.physical_device_name,
                    b.key_algorithm,
                    b.media_family_count,
                    b.software_name,
                )
                for b in (found.log_backups if found else [])
            ]
        if current is None:
            raise ValueError(f"the simulated source does not answer {sql!r}")
        if statement == source.UNPUBLISHED_TABLES:
            return [
                k
                for k, t in current.tables.items()
                if not t["replicated"] and k[0] not in {"cdc", "sys"}
            ]
        if statement == source.KEYLESS_TABLES:
            return [k for k, t in current.tables.items() if not t["keyed"]]
        if statement == source.FILESTREAM:
            return [(current.filestream_files,)]
        if statement == source.SIZE_MB:
            return [(current.size_mb,)]
        raise ValueError(f"the simulated source does not answer {sql!r}")

"""``bak2rds check-source`` against a simulated source server's catalog views and msdb."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymssql
import pytest
from rich.console import Console
from typer.testing import CliRunner

from bak2rds_cli import main
from localrun.sourceserver import LogBackup, SimulatedSourceServer, SourceDatabase

runner = CliRunner()


class _Cursor:
    def __init__(self, server: SimulatedSourceServer) -> None:
        self.server = server
        self.rows: list[tuple[Any, ...]] = []

    def __enter__(self) -> _Cursor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, sql: str, params: Any = None) -> None:
        self.rows = self.server.query(sql, params or ())

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class _Connection:
    def __init__(self, server: SimulatedSourceServer) -> None:
        self.server = server

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def cursor(self) -> _Cursor:
        return _Cursor(self.server)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> SimulatedSourceServer:
    simulated = SimulatedSourceServer()
    logins: list[dict[str, Any]] = []

    def connect(**kwargs: Any) -> _Connection:
        logins.append(kwargs)
        return _Connection(simulated)

    monkeypatch.setattr(pymssql, "connect", connect)
    monkeypatch.setenv(main.PASSWORD_VARIABLE, "from-the-environment")
    monkeypatch.setattr(main, "console", Console(width=250))
    simulated.logins = logins  # type: ignore[attr-defined]
    return simulated


def _ready() -> SourceDatabase:
    database = SourceDatabase(log_backups=[LogBackup(datetime(2026, 12, 1, 8, 0))])
    database.add_table("dbo", "Orders")
    database.add_table("dbo", "Customers")
    return database


def _check(*extra: str) -> Any:
    return runner.invoke(
        main.app, ["check-source", "--server", "onprem-sql", "--database", "Northwind", *extra]
    )


def test_a_ready_source_passes_every_check_and_exits_0(server: SimulatedSourceServer) -> None:
    server.databases["Northwind"] = _ready()

    result = _check("--user", "dms_reader")

    assert result.exit_code == 0, result.output
    assert "✗" not in result.output and "8 passed, 0 failed" in result.output
    (login,) = server.logins  # type: ignore[attr-defined]
    assert login["password"] == "from-the-environment" and login["user"] == "dms_reader"


def test_each_missing_prerequisite_fails_with_the_sql_that_fixes_it(
    server: SimulatedSourceServer,
) -> None:
    database = _ready()
    database.recovery_model, database.log_reuse_wait, database.published = (
        "SIMPLE",
        "NOTHING",
        False,
    )
    database.add_table("dbo", "AuditLog", replicated=False, keyed=False)
    database.log_backups = [
        LogBackup(datetime(2026, 12, 1, 9, 0), physical_device_name="NUL"),
        LogBackup(datetime(2026, 12, 1, 10, 0), key_algorithm="aes_256"),
        LogBackup(datetime(2026, 12, 1, 11, 0), device_type=9, physical_device_name="https://x"),
    ]
    database.filestream_files = 1
    server.databases["Northwind"] = database
    server.distributor = False

    result = _check()

    assert result.exit_code == 1
    out = result.output
    assert "1 passed, 7 failed" in out
    assert "ALTER DATABASE [Northwind] SET RECOVERY FULL;" in out
    assert "sp_adddistributor" in out
    assert "sp_replicationdboption @dbname = N'Northwind'" in out
    assert "@source_object = N'AuditLog'" in out
    assert "ALTER TABLE [dbo].[AuditLog] ADD CONSTRAINT [PK_AuditLog] PRIMARY KEY" in out
    assert "3 DMS cannot read" in out and "to NUL" in out and "encrypted" in out
    assert "FILESTREAM" in out


def test_a_database_that_is_not_there_fails(server: SimulatedSourceServer) -> None:
    result = _check()
    assert result.exit_code == 1 and "no database [Northwind]" in result.output


def test_the_password_is_never_an_argument() -> None:
    result = runner.invoke(main.app, ["check-source", "--help"])
    assert "--password " not in result.output and "--password-secret" in result.output

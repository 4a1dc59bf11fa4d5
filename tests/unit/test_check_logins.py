"""Check Logins on the simulated instance: users a native restore brought with no login."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bak2rds.adapters.restored_database import RestoredDatabase
from bak2rds.adapters.sqlserver import START_RESTORE, SqlServer
from bak2rds.steps import check_logins
from localrun.clock import ManualClock
from localrun.samples import backup_in_s3
from localrun.sqlcatalog import DatabaseUser, order_entry_users
from localrun.sqlserver import SimulatedRdsSqlServer

S3_ARN = "arn:aws:s3:::b/Sales.bak"


def _restored(
    sql_sim: SimulatedRdsSqlServer, clock: ManualClock, users: list[DatabaseUser] | None = None
) -> None:
    sql_sim.add_backup(S3_ARN, replace(backup_in_s3("Sales"), users=users))
    sql_sim.execute(
        START_RESTORE,
        ("Sales", S3_ARN, "FULL", 0),
        autocommit=True,
    )
    clock.advance(timedelta(hours=1).total_seconds())


def test_users_with_no_login_are_listed_with_the_statements_that_fix_them(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    _restored(sql_sim, clock)
    logins = check_logins.run(RestoredDatabase(sql, "Sales", "Sales-1"), clock.now())
    # dbo, and a user created WITHOUT LOGIN, are not orphans
    assert [u["user"] for u in logins["unmapped_users"]] == [
        "app_user",
        "CORP\\etl-batch",
        "report_reader",
    ]
    assert logins["count"] == 3
    app, windows, _ = logins["unmapped_users"]
    assert app["fix"][0] == (
        "CREATE LOGIN [app_user] WITH PASSWORD = N'<a new password>', "
        "SID = 0x2F8B1C9E6A4D4E0B9C1D7A5E3F2B8C41;"
    )
    assert "ALTER USER [app_user] WITH LOGIN = [app_user];" in app["fix"][1]
    assert windows == {
        "user": "CORP\\etl-batch",
        "windows": True,
        "fix": ["CREATE LOGIN [CORP\\etl-batch] FROM WINDOWS;"],
    }


def test_a_login_with_the_users_sid_maps_it(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    _restored(sql_sim, clock)
    app_user = next(u for u in order_entry_users() if u.name == "app_user")
    sql_sim.logins["app_user"] = app_user.sid  # the DBA ran the CREATE LOGIN ... SID = ...
    logins = check_logins.run(RestoredDatabase(sql, "Sales", "Sales-1"), clock.now())
    assert "app_user" not in [u["user"] for u in logins["unmapped_users"]]


def test_a_hostile_user_name_stays_a_name_in_the_fix(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    hostile = DatabaseUser("x]; DROP LOGIN admin; --", bytes.fromhex("abcdef01"))
    _restored(sql_sim, clock, [hostile])
    (user,) = check_logins.run(RestoredDatabase(sql, "Sales", "Sales-1"), clock.now())[
        "unmapped_users"
    ]
    assert user["fix"][0].startswith("CREATE LOGIN [x]]; DROP LOGIN admin; --] WITH PASSWORD")

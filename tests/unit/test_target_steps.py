"""Prepare Target and Restore Triggers And Keys on the simulated RDS instance's restored copy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pymssql import exceptions as pymssql_errors

from bak2rds.adapters.restored_database import RestoredDatabase
from bak2rds.adapters.sqlserver import START_RESTORE, SqlServer
from bak2rds.config import TargetPrepSettings
from bak2rds.errors import KeylessTables
from bak2rds.models import TargetPrep, TargetRestore
from bak2rds.steps import prepare_target, restore_triggers_and_keys
from localrun.clock import ManualClock
from localrun.samples import backup_in_s3
from localrun.sqlcatalog import ForeignKey, Table, Trigger, order_entry_tables
from localrun.sqlserver import SimulatedRdsSqlServer

DEFAULT_MAPPINGS = (
    '{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"all",'
    '"object-locator":{"schema-name":"%","table-name":"%"},"rule-action":"include"},'
    '{"rule-type":"selection","rule-id":"2","rule-name":"no-cdc",'
    '"object-locator":{"schema-name":"cdc","table-name":"%"},"rule-action":"exclude"}]}'
)
EXECUTION = "Sales-0123abcd"
FAIL = TargetPrepSettings(table_mappings=DEFAULT_MAPPINGS, keyless_tables="fail")
EXCLUDE = TargetPrepSettings(table_mappings=DEFAULT_MAPPINGS, keyless_tables="exclude")


def _restored(
    sql_sim: SimulatedRdsSqlServer, clock: ManualClock, tables: list[Table] | None = None
) -> None:
    backup = backup_in_s3("Sales")
    backup = type(backup)(**{**backup.__dict__, "tables": tables})
    sql_sim.add_backup("arn:aws:s3:::b/Sales.bak", backup)
    sql_sim.connect(user="admin", password=sql_sim.password, encryption="require", autocommit=True)
    sql_sim.execute(
        START_RESTORE,
        ("Sales", "arn:aws:s3:::b/Sales.bak", "FULL", 0),
        autocommit=True,
    )
    clock.advance(timedelta(hours=1).total_seconds())
    assert sql_sim.database_exists("Sales")


def _state(sql_sim: SimulatedRdsSqlServer) -> dict[str, tuple[bool, bool, str | None]]:
    """Every trigger and foreign key: (enabled, trusted, mark)."""
    found: dict[str, tuple[bool, bool, str | None]] = {}
    for table in sql_sim.tables("Sales"):
        for trigger in table.triggers:
            found[trigger.name] = (
                trigger.enabled,
                True,
                trigger.properties.get("bak2rds_disabled"),
            )
        for key in table.foreign_keys:
            found[key.name] = (key.enabled, key.trusted, key.properties.get("bak2rds_disabled"))
    return found


def _restore(
    database: RestoredDatabase,
    clock: ManualClock,
    prepared: TargetPrep,
    previous: TargetRestore | None = None,
) -> TargetRestore:
    return restore_triggers_and_keys.run(previous, prepared, database, lambda: True, clock.now())


def test_prepare_switches_off_exactly_what_was_on_and_restore_puts_it_back(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    _restored(sql_sim, clock)
    as_restored = _state(sql_sim)
    database = RestoredDatabase(sql, "Sales", EXECUTION)
    prepared = prepare_target.run(database, FAIL, clock.now())
    assert (prepared["triggers_off"], prepared["foreign_keys_off"]) == (2, 3)
    assert prepared["excluded_tables"] == []
    during = _state(sql_sim)
    assert not any(enabled for enabled, _, _ in during.values())
    assert during["trg_Orders_Old"] == (False, True, None)  # off before: never marked
    assert during["FK_OrderLines_Products"][2] == f"untrusted;{EXECUTION}"  # its trust before
    assert during["FK_Orders_Customers"][2] == f"trusted;{EXECUTION}"

    again = prepare_target.run(database, FAIL, clock.now())  # a retry: same answer, no change
    assert (again["triggers_off"], again["foreign_keys_off"]) == (2, 3)
    assert _state(sql_sim) == during

    restored = _restore(database, clock, prepared)
    assert (restored["triggers_on"], restored["foreign_keys_on"], restored["done"]) == (2, 3, True)
    assert restored["failed_checks"] == [] and restored["failed_count"] == 0
    assert _state(sql_sim) == as_restored  # the untrusted one enabled WITH NOCHECK, as it was


def test_a_crash_part_way_through_is_finished_by_the_retry(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    _restored(sql_sim, clock)
    as_restored = _state(sql_sim)
    database = RestoredDatabase(sql, "Sales", EXECUTION)
    original = sql_sim.execute
    calls = {"n": 0}

    def crash_on_the_fourth(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 4:
            raise pymssql_errors.OperationalError((20047, b"DBPROCESS is dead"))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    sql_sim.execute = crash_on_the_fourth  # type: ignore[method-assign,assignment]
    with pytest.raises(Exception, match="DBPROCESS is dead"):
        prepare_target.run(database, FAIL, clock.now())
    sql_sim.execute = original  # type: ignore[method-assign]
    partly = _state(sql_sim)
    assert 0 < sum(not enabled for enabled, _, mark in partly.values() if mark) < 5
    prepared = prepare_target.run(database, FAIL, clock.now())
    assert (prepared["triggers_off"], prepared["foreign_keys_off"]) == (2, 3)
    _restore(database, clock, prepared)
    assert _state(sql_sim) == as_restored


def test_a_foreign_key_that_fails_its_check_is_named_and_left_nocheck(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    _restored(sql_sim, clock)
    database = RestoredDatabase(sql, "Sales", EXECUTION)
    prepared = prepare_target.run(database, FAIL, clock.now())
    orders = next(t for t in sql_sim.tables("Sales") if t.name == "Orders")
    orders.foreign_keys[0].orphans = True  # rows applied while the key was off
    restored = _restore(database, clock, prepared)
    assert restored["done"] and restored["failed_count"] == 1
    (failed,) = restored["failed_checks"]
    assert failed["foreign_key"] == "[FK_Orders_Customers] on [dbo].[Orders]"
    assert "conflicted with the FOREIGN KEY constraint" in failed["reason"]
    assert _state(sql_sim)["FK_Orders_Customers"] == (
        False,
        False,
        f"trusted,check-failed;{EXECUTION}",
    )
    assert _state(sql_sim)["FK_OrderLines_Orders"] == (True, True, None)  # the others are back
    # the next call of the loop does not try it again, and still reports it with its reason
    statements = len(sql_sim.executed)
    again = _restore(database, clock, prepared, previous=restored)
    assert again["failed_count"] == 1 and again["failed_checks"] == restored["failed_checks"]
    assert not any("CHECK CONSTRAINT" in sql for sql, _ in sql_sim.executed[statements:])


def test_keyless_tables_in_scope_fail_before_anything_changes(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    tables = [
        *order_entry_tables(),
        Table("dbo", "AuditLog", unique_key=False),
        Table("cdc", "dbo_Orders_CT", unique_key=False),  # excluded by the mapping
    ]
    _restored(sql_sim, clock, tables)
    before = _state(sql_sim)
    with pytest.raises(KeylessTables, match=r"1 table\(s\) of \[Sales\].*\[dbo\]\.\[AuditLog\]"):
        prepare_target.run(RestoredDatabase(sql, "Sales", EXECUTION), FAIL, clock.now())
    assert _state(sql_sim) == before


def test_keyless_tables_can_be_left_out_instead(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    _restored(sql_sim, clock, [*order_entry_tables(), Table("dbo", "AuditLog", unique_key=False)])
    prepared = prepare_target.run(RestoredDatabase(sql, "Sales", EXECUTION), EXCLUDE, clock.now())
    assert prepared["keyless_policy"] == "exclude"
    assert prepared["excluded_tables"] == [{"schema": "dbo", "table": "AuditLog"}]
    assert prepared["triggers_off"] == 2


def test_hostile_names_are_only_ever_names(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    hostile = Table(
        "dbo",
        "x]; DROP TABLE [dbo].[Products]; --",
        triggers=[Trigger("t]]'; SHUTDOWN; --")],
        foreign_keys=[ForeignKey("FK_'; DROP DATABASE Sales; --")],
    )
    _restored(sql_sim, clock, [*order_entry_tables(), hostile])
    database = RestoredDatabase(sql, "Sales", EXECUTION)
    prepared = prepare_target.run(database, FAIL, clock.now())
    assert (prepared["triggers_off"], prepared["foreign_keys_off"]) == (3, 4)
    names = [t.name for t in sql_sim.tables("Sales")]
    assert names == ["Customers", "Orders", "OrderLines", "Products", hostile.name]
    (trigger,) = sql_sim.tables("Sales")[-1].triggers
    assert (trigger.enabled, trigger.properties) == (
        False,
        {"bak2rds_disabled": f"trigger;{EXECUTION}"},
    )
    assert _restore(database, clock, prepared)["done"]
    (key,) = sql_sim.tables("Sales")[-1].foreign_keys
    assert (sql_sim.tables("Sales")[-1].triggers[0].enabled, key.enabled, key.trusted) == (
        True,
        True,
        True,
    )


def test_restore_stops_when_time_runs_out_and_the_next_call_finishes(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    _restored(sql_sim, clock)
    database = RestoredDatabase(sql, "Sales", EXECUTION)
    prepared = prepare_target.run(database, FAIL, clock.now())
    first = restore_triggers_and_keys.run(None, prepared, database, lambda: False, clock.now())
    assert first["done"] is False and first["triggers_on"] + first["foreign_keys_on"] == 1
    second = restore_triggers_and_keys.run(first, prepared, database, lambda: True, clock.now())
    assert second["done"] is True
    assert (second["triggers_on"], second["foreign_keys_on"]) == (2, 3)
    assert second["started_at"] == first["started_at"]


def test_a_failed_check_found_after_a_crash_is_still_reported(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    _restored(sql_sim, clock)
    database = RestoredDatabase(sql, "Sales", EXECUTION)
    orders = next(t for t in sql_sim.tables("Sales") if t.name == "Orders")
    prepared = prepare_target.run(database, FAIL, clock.now())
    orders.foreign_keys[0].orphans = True
    database.switch_on(database.switches()[:3], lambda: True)  # then the invocation died
    restored = restore_triggers_and_keys.run(None, prepared, database, lambda: True, clock.now())
    assert restored["done"] and restored["failed_count"] == 1
    assert restored["failed_checks"][0]["foreign_key"] == "[FK_Orders_Customers] on [dbo].[Orders]"
    assert (restored["triggers_on"], restored["foreign_keys_on"]) == (2, 2)


def test_marks_another_migration_left_in_the_backup_are_not_taken_for_ours(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    tables = order_entry_tables()
    old = tables[1].triggers[1]  # trg_Orders_Old: disabled on the source
    old.properties["bak2rds_disabled"] = "trigger;Sales-earlier"
    _restored(sql_sim, clock, tables)
    database = RestoredDatabase(sql, "Sales", EXECUTION)
    prepared = prepare_target.run(database, FAIL, clock.now())
    assert prepared["triggers_off"] == 2
    _restore(database, clock, prepared)
    assert _state(sql_sim)["trg_Orders_Old"] == (False, True, "trigger;Sales-earlier")  # left as is


def test_a_database_that_is_gone_is_a_catalogued_error(
    sql: SqlServer, sql_sim: SimulatedRdsSqlServer, clock: ManualClock
) -> None:
    with pytest.raises(Exception, match="TARGET_DATABASE_MISSING: Cannot open database"):
        prepare_target.run(RestoredDatabase(sql, "Sales", EXECUTION), FAIL, clock.now())

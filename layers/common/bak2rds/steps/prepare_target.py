"""Prepare Target: the restored copy made safe for CDC to replay into, before the task starts.

DMS replays changes the source's triggers already made and, from ``first_lsn``, changes the
restore already holds (docs/design.md, "Replayed changes converge"). So on the restored
database every enabled DML trigger on a user table is disabled (a replayed change must not
fire it again: DMS's assessment ``sqlserver-check-for-triggers`` says to disable them) and
every enabled foreign key is set NOCHECK (a replay that passes through an intermediate state,
or a table left out of CDC, must not be refused). Restore Triggers And Keys switches exactly
these back on at the cutover, or on rejection.

First, tables in the CDC's scope with neither a primary key nor a unique index: a replayed
insert cannot find its row, so they cannot converge. ``KeylessTables = fail`` stops here,
before anything changes; ``exclude`` leaves them out of the task (Start CDC Task adds the
rules) and every later e-mail says so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bak2rds.adapters.restored_database import Switch
from bak2rds.config import TargetPrepSettings
from bak2rds.errors import KeylessTables
from bak2rds.messages import listed
from bak2rds.models import TargetPrep
from bak2rds.naming import quoted
from bak2rds.table_scope import in_scope

MAX_EXCLUDED_TABLES = 500  # each is a rule in the task's table mappings


class TargetCatalogue(Protocol):
    """What this step needs of the restored database (``RestoredDatabase`` in AWS)."""

    database: str

    def keyless_tables(self) -> list[tuple[str, str]]: ...
    def switches(self) -> list[Switch]: ...
    def switch_off(self, switches: list[Switch]) -> None: ...


def run(database: TargetCatalogue, settings: TargetPrepSettings, now: datetime) -> TargetPrep:
    keyless = [
        (schema, table)
        for schema, table in database.keyless_tables()
        if in_scope(settings.table_mappings, schema, table)
    ]
    if keyless and settings.keyless_tables == "fail":
        raise KeylessTables(
            f"{len(keyless)} table(s) of [{database.database}] in the CDC's scope have no "
            f"primary key or unique index: {_names(keyless)}"
        )
    if len(keyless) > MAX_EXCLUDED_TABLES:
        raise KeylessTables(
            f"{len(keyless)} keyless tables are more than the {MAX_EXCLUDED_TABLES} bak2rds "
            f"excludes one by one; narrow DmsTableMappings instead: {_names(keyless)}"
        )
    switches = database.switches()
    database.switch_off([s for s in switches if not s.disabled])
    off = [s for s in switches if s.ours or not s.disabled]  # now all marked as ours
    return {
        "prepared_at": now.isoformat(),
        "triggers_off": sum(s.kind == "trigger" for s in off),
        "foreign_keys_off": sum(s.kind == "foreign key" for s in off),
        "keyless_policy": "exclude" if settings.keyless_tables == "exclude" else "fail",
        "excluded_tables": [{"schema": schema, "table": table} for schema, table in keyless],
    }


def _names(tables: list[tuple[str, str]]) -> str:
    return listed([quoted(schema, table) for schema, table in tables])

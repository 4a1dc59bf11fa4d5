"""The restored database on RDS: its keys, and the triggers and foreign keys CDC must not wake.

Every statement runs in the restored database (its own connection) and takes names only as
parameters: SQL Server quotes them (``QUOTENAME``) inside a fixed batch that runs the DDL
through ``sp_executesql``, so a table named ``x]; DROP TABLE y`` is only ever a name.

bak2rds records what it switched off *on the object itself*, as the extended property
``bak2rds_disabled``, in the same transaction as the switch. Its value is what the object was
and which migration switched it off: ``trigger;<execution>``, ``trusted;<execution>`` or
``untrusted;<execution>`` for a foreign key (its trust before), with ``,check-failed`` once a
``WITH CHECK`` failed (``trusted,check-failed;<execution>``). So a retry after a crash knows
exactly what it did, however many objects there are (the execution state has a 256 KB limit;
a database can have thousands of foreign keys); a mark another migration left in the backup
is never taken for this one's; and a DBA can list it all with one query (README, "Triggers
and foreign keys").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bak2rds.adapters.sqlserver import Session, SqlServer, number_and_message
from bak2rds.errors import Bak2RdsError, TransientDependencyError
from bak2rds.naming import quoted

MARK = "bak2rds_disabled"
CHECK_FAILED = ",check-failed"
Kind = Literal["trigger", "foreign key"]

KEYLESS_TABLES = """
SELECT s.name AS schema_name, t.name AS table_name
FROM sys.tables AS t JOIN sys.schemas AS s ON s.schema_id = t.schema_id
WHERE t.is_ms_shipped = 0 AND t.name NOT LIKE N'awsdms[_]%'
  AND NOT EXISTS (SELECT 1 FROM sys.indexes AS i
                  WHERE i.object_id = t.object_id AND i.is_unique = 1 AND i.has_filter = 0
                    AND i.is_disabled = 0 AND i.is_hypothetical = 0)
ORDER BY s.name, t.name
""".strip()

# Enabled DML triggers on user tables and enabled foreign keys, and whatever carries a mark.
SWITCHES = """
SELECT N'trigger' AS kind, OBJECT_SCHEMA_NAME(tr.parent_id) AS schema_name,
       OBJECT_NAME(tr.parent_id) AS table_name, tr.name AS object_name,
       tr.is_disabled AS is_disabled, CAST(0 AS bit) AS is_not_trusted,
       CONVERT(nvarchar(400), ep.value) AS mark
FROM sys.triggers AS tr
JOIN sys.tables AS t ON t.object_id = tr.parent_id AND t.is_ms_shipped = 0
LEFT JOIN sys.extended_properties AS ep
  ON ep.class = 1 AND ep.major_id = tr.object_id AND ep.minor_id = 0
     AND ep.name = N'bak2rds_disabled'
WHERE tr.parent_class = 1 AND tr.is_ms_shipped = 0 AND (tr.is_disabled = 0 OR ep.value IS NOT NULL)
UNION ALL
SELECT N'foreign key', OBJECT_SCHEMA_NAME(fk.parent_object_id), OBJECT_NAME(fk.parent_object_id),
       fk.name, fk.is_disabled, fk.is_not_trusted, CONVERT(nvarchar(400), ep.value)
FROM sys.foreign_keys AS fk
LEFT JOIN sys.extended_properties AS ep
  ON ep.class = 1 AND ep.major_id = fk.object_id AND ep.minor_id = 0
     AND ep.name = N'bak2rds_disabled'
WHERE fk.is_ms_shipped = 0 AND (fk.is_disabled = 0 OR ep.value IS NOT NULL)
ORDER BY schema_name, table_name, kind, object_name
""".strip()

_ATOMIC = "SET XACT_ABORT ON; BEGIN TRANSACTION; {0}; {1}; COMMIT TRANSACTION;"
_PROPERTY_ARGS = (
    "@level0type = N'SCHEMA', @level0name = %s, @level1type = N'TABLE', @level1name = %s, "
    "@level2type = %s, @level2name = %s"
)
ADD_MARK = f"EXEC sys.sp_addextendedproperty @name = N'{MARK}', @value = %s, {_PROPERTY_ARGS}"
UPDATE_MARK = f"EXEC sys.sp_updateextendedproperty @name = N'{MARK}', @value = %s, {_PROPERTY_ARGS}"
DROP_MARK = f"EXEC sys.sp_dropextendedproperty @name = N'{MARK}', {_PROPERTY_ARGS}"


def _ddl(head: str, middle: str) -> str:
    """``head [schema].[table] middle [constraint]``, names given as parameters, quoted by
    SQL Server and run by sp_executesql."""
    return (
        f"DECLARE @statement nvarchar(max) = N'{head} ' + QUOTENAME(%s) + N'.' + QUOTENAME(%s)"
        f" + N' {middle} ' + QUOTENAME(%s); EXEC sys.sp_executesql @statement"
    )


# Parameters: the trigger's schema and name, then its table's (the same schema).
DISABLE_TRIGGER = (
    "DECLARE @statement nvarchar(max) = N'DISABLE TRIGGER ' + QUOTENAME(%s) + N'.' + "
    "QUOTENAME(%s) + N' ON ' + QUOTENAME(%s) + N'.' + QUOTENAME(%s); "
    "EXEC sys.sp_executesql @statement"
)
ENABLE_TRIGGER = DISABLE_TRIGGER.replace("N'DISABLE TRIGGER '", "N'ENABLE TRIGGER '")
NOCHECK_CONSTRAINT = _ddl("ALTER TABLE", "NOCHECK CONSTRAINT")
CHECK_CONSTRAINT = _ddl("ALTER TABLE", "WITH CHECK CHECK CONSTRAINT")
ENABLE_CONSTRAINT_UNTRUSTED = _ddl("ALTER TABLE", "WITH NOCHECK CHECK CONSTRAINT")

_CONSTRAINT_CONFLICT = 547  # "The ALTER TABLE statement conflicted with the FOREIGN KEY ..."


# Database users whose SID matches no login of the instance: a native restore brings users,
# not logins. Left out: dbo, guest, INFORMATION_SCHEMA and sys (principal_id 1-4), users
# without a login (authentication_type 0) and contained users (2, DATABASE).
ORPHANED_USERS = """
SELECT dp.name AS user_name, dp.authentication_type AS authentication_type,
       CONVERT(varchar(200), dp.sid, 1) AS sid_hex
FROM sys.database_principals AS dp
LEFT JOIN sys.server_principals AS sp ON sp.sid = dp.sid
WHERE dp.type IN ('S', 'U', 'G') AND dp.principal_id > 4
  AND dp.authentication_type IN (1, 3) AND sp.sid IS NULL
ORDER BY dp.name
""".strip()
_WINDOWS = 3  # authentication_type: a Windows user or group, whose SID the domain gives


@dataclass(frozen=True)
class OrphanedUser:
    name: str
    windows: bool
    sid_hex: str  # 0x..., as CONVERT(varchar, sid, 1) writes it


@dataclass(frozen=True)
class Switch:
    """A trigger or foreign key that is on, or that carries a mark."""

    kind: Kind
    schema: str
    table: str
    name: str
    disabled: bool
    trusted: bool  # a foreign key SQL Server trusts (triggers: always)
    mark: str | None  # the extended property's value, as found
    ours: bool  # marked by this migration

    @property
    def quoted(self) -> str:
        """[schema].[table] and the object, as SQL Server's QUOTENAME writes them."""
        return f"{quoted(self.name)} on {quoted(self.schema, self.table)}"

    @property
    def state(self) -> str:
        """What our mark recorded: trigger, trusted, untrusted (+ ,check-failed)."""
        return (self.mark or "").rsplit(";", 1)[0]

    @property
    def check_failed(self) -> bool:
        return self.ours and self.state.endswith(CHECK_FAILED)


class RestoredDatabase:
    def __init__(self, sql: SqlServer, database: str, execution: str) -> None:
        self._sql = sql
        self.database = database
        self._owner = execution  # the execution name: whose marks are ours

    def keyless_tables(self) -> list[tuple[str, str]]:
        with self._sql.session(self.database) as session:
            rows = session.run(KEYLESS_TABLES)
        return [(str(row["schema_name"]), str(row["table_name"])) for row in rows]

    def switches(self) -> list[Switch]:
        with self._sql.session(self.database) as session:
            rows = session.run(SWITCHES)
        found = []
        for row in rows:
            mark = None if row["mark"] is None else str(row["mark"])
            found.append(
                Switch(
                    kind="trigger" if row["kind"] == "trigger" else "foreign key",
                    schema=str(row["schema_name"]),
                    table=str(row["table_name"]),
                    name=str(row["object_name"]),
                    disabled=bool(row["is_disabled"]),
                    trusted=not row["is_not_trusted"],
                    mark=mark,
                    ours=mark is not None and mark.rsplit(";", 1)[-1] == self._owner,
                )
            )
        return found

    def switch_off(self, switches: list[Switch]) -> None:
        """Mark and disable each that is on (one transaction each: mark and switch go
        together). An object marked by another migration is marked again as ours."""
        with self._sql.session(self.database) as session:
            for switch in switches:
                off, params = _off_statement(switch)
                if switch.ours:  # marked by an earlier run, then switched on by someone
                    session.run(off, params)
                    continue
                before = "trigger" if switch.kind == "trigger" else _trust(switch.trusted)
                mark = ADD_MARK if switch.mark is None else UPDATE_MARK
                session.run(
                    _ATOMIC.format(mark, off), (self._value(before), *_where(switch), *params)
                )

    def switch_on(
        self, switches: list[Switch], keep_going: Callable[[], bool]
    ) -> list[tuple[Switch, str | None]]:
        """Enable each of ours as it was and drop its mark, while ``keep_going()``. A foreign
        key whose rows no longer pass WITH CHECK, or whose check outlasts the query timeout,
        is left off and marked check-failed (its trust kept), with the reason returned; after
        a timeout the call ends (its connection was cancelled), and the next one goes on."""
        done: list[tuple[Switch, str | None]] = []
        with self._sql.session(self.database) as session:
            for switch in switches:
                if done and not keep_going():  # at least one per call: always progress
                    break
                reason, timed_out = self._switch_on(switch, session)
                done.append((switch, reason))
                if timed_out:
                    break
        return done

    def _switch_on(self, switch: Switch, session: Session) -> tuple[str | None, bool]:
        on, params = _on_statement(switch)
        try:
            session.run(_ATOMIC.format(on, DROP_MARK), (*params, *_where(switch)))
        except Bak2RdsError as error:
            failed = _check_failure(switch, error)
            if failed is None:
                raise
            with self._sql.session(self.database) as fresh:
                fresh.run(UPDATE_MARK, (self._value(switch.state + CHECK_FAILED), *_where(switch)))
            return failed, isinstance(error, TransientDependencyError)
        return None, False

    def _value(self, state: str) -> str:
        return f"{state};{self._owner}"

    def orphaned_users(self) -> list[OrphanedUser]:
        """Users no login of the instance maps to (``ORPHANED_USERS``)."""
        with self._sql.session(self.database) as session:
            rows = session.run(ORPHANED_USERS)
        return [
            OrphanedUser(
                name=str(row["user_name"]),
                windows=int(row["authentication_type"]) == _WINDOWS,
                sid_hex=str(row["sid_hex"]),
            )
            for row in rows
        ]


def _trust(trusted: bool) -> str:
    return "trusted" if trusted else "untrusted"


def _where(switch: Switch) -> tuple[str, str, str, str]:
    """sp_*extendedproperty's level arguments: schema, table, TRIGGER|CONSTRAINT, name."""
    return (switch.schema, switch.table, _level2(switch), switch.name)


def _level2(switch: Switch) -> str:
    return "TRIGGER" if switch.kind == "trigger" else "CONSTRAINT"


def _off_statement(switch: Switch) -> tuple[str, tuple[str, ...]]:
    if switch.kind == "trigger":
        return DISABLE_TRIGGER, (switch.schema, switch.name, switch.schema, switch.table)
    return NOCHECK_CONSTRAINT, (switch.schema, switch.table, switch.name)


def _on_statement(switch: Switch) -> tuple[str, tuple[str, ...]]:
    if switch.kind == "trigger":
        return ENABLE_TRIGGER, (switch.schema, switch.name, switch.schema, switch.table)
    untrusted = switch.state.startswith("untrusted")
    check = ENABLE_CONSTRAINT_UNTRUSTED if untrusted else CHECK_CONSTRAINT
    return check, (switch.schema, switch.table, switch.name)


def _check_failure(switch: Switch, error: Bak2RdsError) -> str | None:
    if switch.kind != "foreign key":
        return None
    number, message = number_and_message(error.__cause__ or error)
    if number == _CONSTRAINT_CONFLICT:
        return message
    if isinstance(error, TransientDependencyError) and "timed out" in message.lower():
        return "WITH CHECK did not finish within the query timeout"
    return None

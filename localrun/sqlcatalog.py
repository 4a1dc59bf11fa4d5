"""A restored database's user tables, as the simulated RDS instance knows them.

What a backup holds is what the test says (``BackupInS3.tables``; a small order-entry
database by default): tables with or without a unique key, their DML triggers and foreign
keys, each enabled or not, trusted or not, and whether the table's rows would fail a foreign
key's ``WITH CHECK`` (``orphans``, set by a test: rows DMS applied while the key was off).

``CatalogueSession`` answers the statements bak2rds sends in such a database, as SQL Server
does (Microsoft's Transact-SQL reference for each):

* the catalogue queries (``sys.tables``/``sys.indexes`` for keyless tables;
  ``sys.triggers``, ``sys.foreign_keys`` and ``sys.extended_properties`` for switches);
* ``sp_addextendedproperty`` (error 15233 if the property exists), ``sp_updateextendedproperty``
  and ``sp_dropextendedproperty`` (15217 if it does not), on a trigger or a constraint of a
  table (15135 if there is no such object);
* ``sp_executesql`` of a statement built with ``QUOTENAME``: ``DISABLE``/``ENABLE TRIGGER``
  (error 1088 for an unknown trigger) and ``ALTER TABLE ... [WITH CHECK|WITH NOCHECK] CHECK |
  NOCHECK CONSTRAINT`` (4917 for an unknown constraint; ``WITH CHECK`` over orphaned rows fails
  with 547 and leaves the key as it was);
* ``SET XACT_ABORT ON; BEGIN TRANSACTION; ...; COMMIT TRANSACTION;``: an error rolls every
  statement of the batch back.

Identifiers in the executed statement must be bracket-quoted as QUOTENAME writes them; a
name spliced in unquoted is a syntax error, as it would be for most names.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pymssql import exceptions as pymssql_errors

Row = tuple[Any, ...]
MARK = "bak2rds_disabled"


@dataclass
class Trigger:
    name: str
    enabled: bool = True
    properties: dict[str, str] = field(default_factory=dict)  # extended properties


@dataclass
class ForeignKey:
    name: str
    enabled: bool = True
    trusted: bool = True
    orphans: bool = False  # rows that fail WITH CHECK
    properties: dict[str, str] = field(default_factory=dict)


@dataclass
class Identity:
    """A table's identity column: IDENT_CURRENT and the values its rows hold."""

    column: str
    current: int | None  # None: no row was ever inserted (IDENT_CURRENT is then the seed)
    maximum: int | None  # MAX(column); None for an empty table
    minimum: int | None = None
    increment: int = 1


@dataclass
class Sequence_:
    """A sequence of the database (sys.sequences)."""

    schema: str
    name: str
    current_value: int


@dataclass
class Table:
    schema: str
    name: str
    unique_key: bool = True  # a primary key or an unfiltered unique index
    triggers: list[Trigger] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    identity: Identity | None = None


@dataclass
class DatabaseUser:
    """A principal of the restored database (sys.database_principals)."""

    name: str
    sid: bytes
    authentication: int = (
        1  # authentication_type: 0 none (no login), 1 instance, 2 contained, 3 Windows
    )
    principal_id: int = 5  # 1-4 are dbo, guest, INFORMATION_SCHEMA, sys


def order_entry_users() -> list[DatabaseUser]:
    """The users a backup holds when the test does not say: the application's SQL user, a
    reporting user, a Windows group, a user without a login, and dbo."""
    return [
        DatabaseUser("dbo", b"\x01", principal_id=1),
        DatabaseUser("app_user", bytes.fromhex("2f8b1c9e6a4d4e0b9c1d7a5e3f2b8c41")),
        DatabaseUser("report_reader", bytes.fromhex("7c3e9a1b5d2f4e6a8b0c1d2e3f405162")),
        DatabaseUser(
            "CORP\\etl-batch", bytes.fromhex("010500000000000515000000a1b2c3d4"), authentication=3
        ),
        DatabaseUser(
            "audit_writer", bytes.fromhex("aa11bb22cc33dd44ee55ff6677889900"), authentication=0
        ),
    ]


def order_entry_tables() -> list[Table]:
    """The database a backup holds when the test does not say: keys, triggers, foreign keys."""
    return [
        Table(
            "dbo",
            "Customers",
            triggers=[Trigger("trg_Customers_Audit")],
            identity=Identity("CustomerID", current=500, maximum=500, minimum=1),
        ),
        Table(
            "dbo",
            "Orders",
            triggers=[Trigger("trg_Orders_Stock"), Trigger("trg_Orders_Old", enabled=False)],
            foreign_keys=[ForeignKey("FK_Orders_Customers")],
            identity=Identity("OrderID", current=10250, maximum=10250, minimum=10001),
        ),
        Table(
            "dbo",
            "OrderLines",
            foreign_keys=[
                ForeignKey("FK_OrderLines_Orders"),
                ForeignKey("FK_OrderLines_Products", trusted=False),  # enabled WITH NOCHECK
            ],
        ),
        Table("dbo", "Products", identity=Identity("ProductID", current=77, maximum=77, minimum=1)),
    ]


def order_entry_sequences() -> list[Sequence_]:
    """The sequences a backup holds when the test does not say."""
    return [Sequence_("dbo", "InvoiceNumbers", 70001)]


def _error(number: int, message: str) -> Exception:
    return pymssql_errors.OperationalError(number, message.encode())


_QUOTED = r"\[((?:[^\]]|\]\])+)\]"
_DDL = [
    (rf"(DISABLE|ENABLE) TRIGGER {_QUOTED}\.{_QUOTED} ON {_QUOTED}\.{_QUOTED}", "trigger"),
    (
        rf"ALTER TABLE {_QUOTED}\.{_QUOTED} (WITH CHECK |WITH NOCHECK )?(CHECK|NOCHECK) "
        rf"CONSTRAINT {_QUOTED}",
        "constraint",
    ),
]
_PROPERTY = (
    r"EXEC sys\.sp_(add|update|drop)extendedproperty @name = N'(\w+)'"
    r"(?:, @value = (%s))?, @level0type = N'SCHEMA', @level0name = %s, "
    r"@level1type = N'TABLE', @level1name = %s, @level2type = %s, @level2name = %s"
)
_DECLARE = (
    r"DECLARE @statement nvarchar\(max\) = (.+)",
    r"EXEC sys\.sp_executesql @statement",
)
# a pattern the simulator matches, not SQL it runs
_RANGE = (
    rf"SELECT CONVERT\(nvarchar\(40\), MIN\({_QUOTED}\)\) AS min_value, "  # noqa: S608
    rf"CONVERT\(nvarchar\(40\), MAX\({_QUOTED}\)\) AS max_value FROM {_QUOTED}\.{_QUOTED}"
)
_RESEED = (
    r"DECLARE @table nvarchar\(600\) = QUOTENAME\(%s\) \+ N'\.' \+ QUOTENAME\(%s\)",
    r"DBCC CHECKIDENT \(@table, RESEED, %s\) WITH NO_INFOMSGS",
)


class CatalogueSession:
    """One batch run against one database's tables."""

    def __init__(
        self,
        tables: list[Table],
        database: str,
        users: list[DatabaseUser] | None = None,
        login_sids: frozenset[bytes] = frozenset(),
        sequences: list[Sequence_] | None = None,
        apply_exceptions: list[dict[str, str]] | None = None,
    ) -> None:
        self._tables = tables
        self._database = database
        self._users = users or []
        self._login_sids = login_sids  # sys.server_principals
        self._sequences = sequences or []
        self._apply_exceptions = apply_exceptions  # None: no such table

    # ------------------------------------------------------------------ queries
    @staticmethod
    def query_handlers() -> list[tuple[str, str]]:
        return [
            (
                r"SELECT s\.name AS schema_name, t\.name AS table_name FROM sys\.tables AS t "
                r"JOIN sys\.schemas AS s .* NOT EXISTS \(SELECT 1 FROM sys\.indexes AS i .*\) "
                r"ORDER BY s\.name, t\.name",
                "keyless",
            ),
            (r"SELECT N'trigger' AS kind, .* UNION ALL SELECT N'foreign key', .*", "switches"),
            (
                r"SELECT dp\.name AS user_name, .* FROM sys\.database_principals AS dp "
                r"LEFT JOIN sys\.server_principals AS sp ON sp\.sid = dp\.sid .*",
                "unmapped_users",
            ),
            (r"SELECT s\.name AS schema_name, .* FROM sys\.identity_columns AS c .*", "identities"),
            (r"SELECT s\.name AS schema_name, .* FROM sys\.sequences AS q .*", "sequences"),
            (
                r"SELECT COUNT_BIG\(\*\) AS exceptions FROM dbo\.awsdms_apply_exceptions "
                r"WHERE TASK_NAME = %s",
                "exception_count",
            ),
            (
                r"SELECT TOP \(20\) TABLE_OWNER AS table_owner, .* FROM "
                r"dbo\.awsdms_apply_exceptions WHERE TASK_NAME = %s ORDER BY ERROR_TIME DESC",
                "recent_exceptions",
            ),
            (r"SELECT .* FROM dmslogs\.awsdms_apply_exceptions .*", "no_dmslogs_schema"),
        ]

    def _exceptions_of(self, task_name: str) -> list[dict[str, str]]:
        if self._apply_exceptions is None:
            raise _error(208, "Invalid object name 'dbo.awsdms_apply_exceptions'.")
        return [e for e in self._apply_exceptions if e["TASK_NAME"] == task_name]

    def no_dmslogs_schema(self, task_name: str) -> tuple[list[str], list[Row]]:
        """DMS writes the table under dbo here (its default control schema on SQL Server)."""
        raise _error(208, "Invalid object name 'dmslogs.awsdms_apply_exceptions'.")

    def exception_count(self, task_name: str) -> tuple[list[str], list[Row]]:
        return ["exceptions"], [(len(self._exceptions_of(task_name)),)]

    def recent_exceptions(self, task_name: str) -> tuple[list[str], list[Row]]:
        rows = sorted(self._exceptions_of(task_name), key=lambda e: e["ERROR_TIME"], reverse=True)
        columns = ["table_owner", "table_name", "error_time", "error"]
        keys = ("TABLE_OWNER", "TABLE_NAME", "ERROR_TIME", "ERROR")
        return columns, [tuple(e[k][:500] for k in keys) for e in rows[:20]]

    def identities(self) -> tuple[list[str], list[Row]]:
        """Identity columns with IDENT_CURRENT, as nvarchar (NULL: never inserted into)."""
        rows = [
            (
                t.schema,
                t.name,
                t.identity.column,
                None if t.identity.current is None else str(t.identity.current),
                str(t.identity.increment),
            )
            for t in self._tables
            if t.identity is not None
        ]
        columns = ["schema_name", "table_name", "column_name", "current_value", "increment_value"]
        return columns, sorted(rows, key=lambda r: (r[0].lower(), r[1].lower()))

    def sequences(self) -> tuple[list[str], list[Row]]:
        rows = [(q.schema, q.name, str(q.current_value)) for q in self._sequences]
        return ["schema_name", "sequence_name", "current_value"], sorted(rows)

    def unmapped_users(self) -> tuple[list[str], list[Row]]:
        rows = [
            (u.name, u.authentication, "0x" + u.sid.hex().upper())
            for u in self._users
            if u.principal_id > 4 and u.authentication in (1, 3) and u.sid not in self._login_sids
        ]
        # ORDER BY dp.name under a case-insensitive collation, as a default instance has
        return ["user_name", "authentication_type", "sid_hex"], sorted(
            rows, key=lambda r: r[0].lower()
        )

    def keyless(self) -> tuple[list[str], list[Row]]:
        rows = [(t.schema, t.name) for t in self._tables if not t.unique_key]
        return ["schema_name", "table_name"], sorted(rows)

    def switches(self) -> tuple[list[str], list[Row]]:
        rows: list[Row] = []
        for table in self._tables:
            for trigger in table.triggers:
                mark = trigger.properties.get(MARK)
                if trigger.enabled or mark is not None:
                    rows.append(
                        (
                            "trigger",
                            table.schema,
                            table.name,
                            trigger.name,
                            not trigger.enabled,
                            False,
                            mark,
                        )
                    )
            for key in table.foreign_keys:
                mark = key.properties.get(MARK)
                if key.enabled or mark is not None:
                    rows.append(
                        (
                            "foreign key",
                            table.schema,
                            table.name,
                            key.name,
                            not key.enabled,
                            not key.trusted,
                            mark,
                        )
                    )
        rows.sort(key=lambda r: (r[1], r[2], r[0], r[3]))
        columns = [
            "kind",
            "schema_name",
            "table_name",
            "object_name",
            "is_disabled",
            "is_not_trusted",
            "mark",
        ]
        return columns, rows

    # ------------------------------------------------------------------ batches
    def run_batch(self, text: str, params: Sequence[Any]) -> tuple[list[str], list[Row]] | None:
        """Run a batch of property and DDL statements; None if it is not one."""
        statements = [s.strip() for s in text.split(";") if s.strip()]
        if [
            re.fullmatch(p, st) is not None for p, st in zip(_RESEED, statements, strict=False)
        ] == [
            True,
            True,
        ] and len(statements) == 2:
            return self._reseed(list(params))
        if not any(
            re.match(r"EXEC sys\.sp_\w+extendedproperty|DECLARE @statement", s) for s in statements
        ):
            return None
        values = list(params)
        saved = copy.deepcopy(self._tables)
        pending: str | None = None
        try:
            for statement in statements:
                if statement in {"SET XACT_ABORT ON", "BEGIN TRANSACTION", "COMMIT TRANSACTION"}:
                    continue
                declared = re.fullmatch(_DECLARE[0], statement)
                if declared:
                    pending = _evaluate(declared[1], values)
                elif re.fullmatch(_DECLARE[1], statement) and pending is not None:
                    if re.fullmatch(_RANGE, pending):
                        return self._range(pending)
                    self._ddl(pending)
                    pending = None
                elif not self._property(statement, values):
                    raise _error(102, f"Incorrect syntax near '{statement[:40]}'.")
        except Exception:
            self._tables[:] = saved  # XACT_ABORT: the whole transaction rolls back
            raise
        return [], []

    def _range(self, statement: str) -> tuple[list[str], list[Row]]:
        """SELECT MIN/MAX of a table's identity column (only those are asked for)."""
        match = re.fullmatch(_RANGE, statement)
        assert match is not None
        low_column, high_column, schema, name = (_unquote(g) for g in match.groups())
        table = self._table(schema, name)
        if table is None:
            raise _error(208, f"Invalid object name '{schema}.{name}'.")
        identity = table.identity
        if identity is None or {low_column.lower(), high_column.lower()} != {
            identity.column.lower()
        }:
            raise _error(207, f"Invalid column name '{high_column}'.")
        values = (identity.minimum, identity.maximum)
        return ["min_value", "max_value"], [tuple(None if v is None else str(v) for v in values)]

    def _reseed(self, values: list[Any]) -> tuple[list[str], list[Row]]:
        schema, name, value = values
        table = self._table(str(schema), str(name))
        if table is None or table.identity is None:
            raise _error(
                7997, f"'{name}' does not contain an identity column."
            )  # DBCC CHECKIDENT's message
        table.identity.current = int(value)
        return [], []

    def _property(self, statement: str, values: list[Any]) -> bool:
        match = re.fullmatch(_PROPERTY, statement)
        if not match:
            return False
        verb, name, value_form = match[1], match[2], match[3]
        value = values.pop(0) if value_form else ""
        schema, table_name, level2, object_name = (values.pop(0) for _ in range(4))
        target = self._object(schema, table_name, level2, object_name)
        if target is None:
            raise _error(
                15135,
                f"Object is invalid. Extended properties are not permitted on "
                f"'{schema}.{table_name}.{object_name}', or the object does not exist.",
            )
        there = name in target.properties
        if verb == "add" and there:
            raise _error(15233, f"Property cannot be added. Property '{name}' already exists.")
        if verb in {"update", "drop"} and not there:
            raise _error(
                15217, f"Property cannot be updated or deleted. Property '{name}' does not exist."
            )
        if verb == "drop":
            del target.properties[name]
        else:
            target.properties[name] = str(value)
        return True

    def _object(
        self, schema: str, table_name: str, level2: str, name: str
    ) -> Trigger | ForeignKey | None:
        table = self._table(schema, table_name)
        if table is None:
            return None
        found: list[Trigger] | list[ForeignKey] = (
            table.triggers if level2.upper() == "TRIGGER" else table.foreign_keys
        )
        return next((o for o in found if o.name.lower() == name.lower()), None)

    def _table(self, schema: str, name: str) -> Table | None:
        return next(
            (
                t
                for t in self._tables
                if (t.schema.lower(), t.name.lower()) == (schema.lower(), name.lower())
            ),
            None,
        )

    def _ddl(self, statement: str) -> None:
        trigger = re.fullmatch(_DDL[0][0], statement)
        if trigger:
            verb, trigger_schema, trigger_name, schema, table_name = (
                _unquote(g) if i else g for i, g in enumerate(trigger.groups())
            )
            found = self._object(schema, table_name, "TRIGGER", trigger_name)
            if found is None or trigger_schema.lower() != schema.lower():
                raise _error(
                    1088,
                    f'Cannot find the object "{trigger_name}" because it does not exist or you '
                    "do not have permissions.",
                )
            assert isinstance(found, Trigger)
            found.enabled = verb == "ENABLE"
            return
        constraint = re.fullmatch(_DDL[1][0], statement)
        if constraint is None:
            raise _error(102, f"Incorrect syntax near '{statement[:40]}'.")
        schema, table_name = _unquote(constraint[1]), _unquote(constraint[2])
        check_existing, action, name = constraint[3], constraint[4], _unquote(constraint[5])
        key = self._object(schema, table_name, "CONSTRAINT", name)
        if key is None:
            raise _error(4917, f"Constraint '{name}' does not exist.")
        assert isinstance(key, ForeignKey)
        if action == "NOCHECK":
            key.enabled, key.trusted = False, False
            return
        if check_existing == "WITH CHECK " and key.orphans:
            raise _error(
                547,
                f'The ALTER TABLE statement conflicted with the FOREIGN KEY constraint "{name}". '
                f'The conflict occurred in database "{self._database}", table '
                f'"{schema}.{table_name}".',
            )
        key.enabled, key.trusted = True, check_existing == "WITH CHECK "


def _unquote(inside: str) -> str:
    """The name inside [ ] as QUOTENAME wrote it: a doubled ] is one."""
    return inside.replace("]]", "]")


def _evaluate(expression: str, values: list[Any]) -> str:
    """N'...' + QUOTENAME(%s) + ...: the statement text SQL Server builds."""
    parts = [p.strip() for p in expression.split(" + ")]
    text = []
    for part in parts:
        if part == "QUOTENAME(%s)":
            text.append("[" + str(values.pop(0)).replace("]", "]]") + "]")
        elif part.startswith("N'") and part.endswith("'"):
            text.append(part[2:-1])
        else:
            raise _error(102, f"Incorrect syntax near '{part[:40]}'.")
    return "".join(text)

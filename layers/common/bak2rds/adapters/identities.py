"""The restored database's identity columns and sequences, read (and reseeded) after the
drain: what DMS carries as row values but not as a table's next identity or a sequence's
next value.

Names are never spliced into SQL by bak2rds: the server quotes them (``QUOTENAME``) from
parameters, and the one dynamic statement runs through ``sp_executesql``. Values are read as
``nvarchar`` and kept as text, since ``decimal(38,0)`` identities exceed JSON's exact integers.
"""

from __future__ import annotations

from dataclasses import dataclass

from bak2rds.adapters.sqlserver import SqlServer

# Every user table's identity column with IDENT_CURRENT (the last value generated, or the
# seed while no row was ever inserted) and its increment (Transact-SQL reference,
# sys.identity_columns and IDENT_CURRENT).
IDENTITY_COLUMNS = """
SELECT s.name AS schema_name, t.name AS table_name, c.name AS column_name,
       CONVERT(nvarchar(40), IDENT_CURRENT(QUOTENAME(s.name) + N'.' + QUOTENAME(t.name)))
         AS current_value,
       CONVERT(nvarchar(40), c.increment_value) AS increment_value
FROM sys.identity_columns AS c
JOIN sys.tables AS t ON t.object_id = c.object_id
JOIN sys.schemas AS s ON s.schema_id = t.schema_id
WHERE t.is_ms_shipped = 0
ORDER BY s.name, t.name
""".strip()
# The values an identity column holds (parameters: column twice, schema, table).
COLUMN_RANGE = (
    "DECLARE @statement nvarchar(max) = N'SELECT CONVERT(nvarchar(40), MIN(' + QUOTENAME(%s) + "
    "N')) AS min_value, CONVERT(nvarchar(40), MAX(' + QUOTENAME(%s) + N')) AS max_value FROM ' "
    "+ QUOTENAME(%s) + N'.' + QUOTENAME(%s); EXEC sys.sp_executesql @statement"
)
# DBCC CHECKIDENT takes the table's name as a variable and sets the current identity value.
RESEED = (
    "DECLARE @table nvarchar(600) = QUOTENAME(%s) + N'.' + QUOTENAME(%s); "
    "DBCC CHECKIDENT (@table, RESEED, %s) WITH NO_INFOMSGS"
)
SEQUENCES = """
SELECT s.name AS schema_name, q.name AS sequence_name,
       CONVERT(nvarchar(40), q.current_value) AS current_value
FROM sys.sequences AS q
JOIN sys.schemas AS s ON s.schema_id = q.schema_id
ORDER BY s.name, q.name
""".strip()


@dataclass(frozen=True)
class IdentityColumn:
    schema: str
    table: str
    column: str
    current: int | None
    increment: int


@dataclass(frozen=True)
class SequenceValue:
    schema: str
    name: str
    current: int | None


class Identities:
    def __init__(self, sql: SqlServer, database: str) -> None:
        self._sql = sql
        self._database = database

    def columns(self) -> list[IdentityColumn]:
        with self._sql.session(self._database) as session:
            rows = session.run(IDENTITY_COLUMNS)
        return [
            IdentityColumn(
                str(row["schema_name"]),
                str(row["table_name"]),
                str(row["column_name"]),
                _number(row["current_value"]),
                _number(row["increment_value"]) or 1,
            )
            for row in rows
        ]

    def range_of(self, column: IdentityColumn) -> tuple[int | None, int | None]:
        """MIN and MAX of the column (None, None for an empty table)."""
        arguments = (column.column, column.column, column.schema, column.table)
        with self._sql.session(self._database) as session:
            rows = session.run(COLUMN_RANGE, arguments)
        row = rows[0] if rows else {}
        return _number(row.get("min_value")), _number(row.get("max_value"))

    def reseed(self, column: IdentityColumn, value: int) -> None:
        with self._sql.session(self._database) as session:
            session.run(RESEED, (column.schema, column.table, int(value)))

    def sequences(self) -> list[SequenceValue]:
        with self._sql.session(self._database) as session:
            rows = session.run(SEQUENCES)
        return [
            SequenceValue(
                str(row["schema_name"]), str(row["sequence_name"]), _number(row["current_value"])
            )
            for row in rows
        ]


def _number(text: object) -> int | None:
    return None if text is None else int(str(text))

"""Check Identities: after the drain, which identity columns would hand out a value a row
already has, and what the sequences stand at.

DMS applies each row with the values it had on the source, identity columns included; the
table's identity value on RDS is whatever the copy's engine made of that, and a sequence's
next value is not data DMS replicates at all. A column whose current identity value is below
the highest value its rows hold (above the lowest, for a negative increment) would make the
application's next insert fail on its key: it is listed with the DBCC CHECKIDENT that fixes it,
and reseeded to that value with ReseedIdentities = on. Sequences are listed with their values
and the query that reads them on the source, to compare.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bak2rds.adapters.identities import SEQUENCES, IdentityColumn, SequenceValue
from bak2rds.errors import TransientDependencyError
from bak2rds.models import Identities as IdentitiesResult
from bak2rds.models import IdentityBehind
from bak2rds.naming import quoted

SHOWN = 50


class IdentityReader(Protocol):
    """The restored database's identities (``bak2rds.adapters.identities.Identities``)."""

    def columns(self) -> list[IdentityColumn]: ...
    def range_of(self, column: IdentityColumn) -> tuple[int | None, int | None]: ...
    def reseed(self, column: IdentityColumn, value: int) -> None: ...
    def sequences(self) -> list[SequenceValue]: ...


# MIN/MAX of a column without an index scans its table. The application waits for the
# cutover e-mail: after this (and one query of at most SQL_QUERY_TIMEOUT_SECONDS, 300) the
# columns left are reported unchecked, well within the function's 900 s.
TIME_BUDGET_SECONDS = 240


def run(
    identities: IdentityReader,
    reseed: bool,
    now: datetime,
    clock: Callable[[], float] = time.monotonic,
) -> IdentitiesResult:
    started = clock()
    columns = identities.columns()
    behind: list[IdentityBehind] = []
    checked = 0
    for column in columns:
        if clock() - started > TIME_BUDGET_SECONDS:
            break
        try:
            low_high = identities.range_of(column)
        except TransientDependencyError:  # a query that timed out: the rest stay unchecked
            break
        checked += 1
        highest = _highest(column, *low_high)
        if highest is None:
            continue
        if reseed:
            identities.reseed(column, highest)
        name = quoted(column.schema, column.table)
        behind.append(
            {
                "table": name,
                "column": column.column,
                "current": None if column.current is None else str(column.current),
                "highest": str(highest),
                "reseeded": reseed,
                "fix": f"DBCC CHECKIDENT ({_literal(name)}, RESEED, {highest});",
            }
        )
    sequences = identities.sequences()
    return {
        "checked_at": now.isoformat(),
        "columns": len(columns),
        "checked": checked,
        "behind": behind[:SHOWN],
        "behind_count": len(behind),
        "reseed": reseed,
        "sequences": [
            {
                "sequence": quoted(q.schema, q.name),
                "current_value": None if q.current is None else str(q.current),
            }
            for q in sequences[:SHOWN]
        ],
        "sequence_count": len(sequences),
        "compare_query": " ".join(SEQUENCES.split()),
    }


def _highest(column: IdentityColumn, low: int | None, high: int | None) -> int | None:
    """The value to reseed to when the next identity could collide; None when it cannot."""
    if column.increment > 0 and high is not None:
        return high if column.current is None or column.current < high else None
    if column.increment < 0 and low is not None:
        return low if column.current is None or column.current > low else None
    return None


def _literal(text: str) -> str:
    """A T-SQL string literal of ``text`` (quotes doubled), for the statement a DBA runs."""
    return "N'" + text.replace("'", "''") + "'"

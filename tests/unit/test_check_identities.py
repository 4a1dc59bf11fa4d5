"""Check Identities: which identity would collide, and a check that stops in time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bak2rds.adapters.identities import IdentityColumn, SequenceValue
from bak2rds.steps import check_identities
from bak2rds.steps.check_identities import _highest


@pytest.mark.parametrize(
    ("increment", "current", "low", "high", "expected"),
    [
        (1, 10250, 10001, 10400, 10400),  # behind the rows DMS applied
        (1, 10400, 10001, 10400, None),  # at the highest row: the next value is free
        (1, 10500, 10001, 10400, None),  # past it (deleted rows, or a gap)
        (1, 5, None, None, None),  # an empty table
        (-1, -10, -50, -1, -50),  # a negative increment counts down: MIN matters
        (-1, -60, -50, -1, None),
    ],
)
def test_an_identity_collides_only_when_behind_its_rows_in_its_direction(
    increment: int, current: int, low: int | None, high: int | None, expected: int | None
) -> None:
    column = IdentityColumn("dbo", "T", "Id", current, increment)
    assert _highest(column, low, high) == expected


def test_the_check_stops_at_its_time_budget_and_says_how_many_it_checked() -> None:
    class Slow:
        def columns(self) -> list[IdentityColumn]:
            return [IdentityColumn("dbo", f"T{n}", "Id", 1, 1) for n in range(5)]

        def range_of(self, column: IdentityColumn) -> tuple[int | None, int | None]:
            return 1, 1

        def reseed(self, column: IdentityColumn, value: int) -> None:
            raise AssertionError("nothing is behind")

        def sequences(self) -> list[SequenceValue]:
            return []

    ticks = iter([0.0, 0.0, 100.0, 700.0, 700.0, 700.0, 700.0])
    found = check_identities.run(
        Slow(), False, datetime(2026, 12, 2, tzinfo=UTC), lambda: next(ticks)
    )
    assert (found["columns"], found["checked"], found["behind_count"]) == (5, 2, 0)

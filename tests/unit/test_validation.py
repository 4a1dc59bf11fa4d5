"""bak2rds.validation: DMS's per-table counts, what is shown first, and what blocks Approve."""

from __future__ import annotations

from bak2rds.adapters.dms import TableStatistic
from bak2rds.validation import SHOWN_TABLES, blocking_reason, summarize

NOW = "2026-12-02T08:00:00+00:00"


def table(name: str, state: str = "Validated", **counts: int) -> TableStatistic:
    return TableStatistic(
        "dbo",
        name,
        "Table completed",
        counts.get("inserts", 0),
        counts.get("updates", 0),
        counts.get("deletes", 0),
        validation_state=state,
        validation_failed=counts.get("failed", 0),
        validation_pending=counts.get("pending", 0),
        validation_suspended=counts.get("suspended", 0),
    )


def test_tables_with_failed_then_suspended_then_pending_records_come_first() -> None:
    got = summarize(
        [
            table("A"),
            table("B", "Pending records", pending=5),
            table("C", "Suspended records", suspended=1),
            table("D", "Mismatched records", failed=2, inserts=7, updates=2, deletes=1),
        ],
        True,
        NOW,
    )
    assert [t["table"] for t in got["tables"]] == [
        "[dbo].[D]",
        "[dbo].[C]",
        "[dbo].[B]",
        "[dbo].[A]",
    ]
    assert got["tables"][0]["changes"] == 10
    assert (got["failed_records"], got["pending_records"], got["suspended_records"]) == (2, 5, 1)
    assert got["unfinished_tables"] == 1  # B


def test_at_most_50_tables_are_kept_but_every_record_is_counted() -> None:
    many = [table(f"T{n:03}", "Pending records", pending=1) for n in range(120)]
    got = summarize([*many, table("Bad", "Mismatched records", failed=1)], True, NOW)
    assert len(got["tables"]) == SHOWN_TABLES
    assert got["tables"][0]["table"] == "[dbo].[Bad]"  # never cut off
    assert (got["table_count"], got["pending_records"]) == (121, 120)


def test_failed_records_always_block_and_pending_ones_only_when_validation_must_finish() -> None:
    failed = summarize([table("Orders", "Mismatched records", failed=3)], True, NOW)
    pending = summarize([table("Orders", "Pending records", pending=3)], True, NOW)
    preparing = summarize([table("Orders", "Preparing table")], True, NOW)
    done = summarize([table("Orders")], True, NOW)

    assert "3 record(s) failed DMS validation in [dbo].[Orders]" in str(
        blocking_reason(failed, must_finish=False)
    )
    assert blocking_reason(pending, must_finish=False) is None
    assert "3 record(s) pending" in str(blocking_reason(pending, must_finish=True))
    assert "1 table(s) are still being validated" in str(blocking_reason(preparing, True))
    assert blocking_reason(done, must_finish=True) is None


def test_with_validation_off_nothing_blocks_and_tables_say_not_enabled() -> None:
    got = summarize([table("Orders", state="")], False, NOW)
    assert got["tables"][0]["state"] == "Not enabled"
    assert blocking_reason(got, must_finish=True) is None

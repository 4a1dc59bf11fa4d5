"""DMS data validation of the CDC task, per table, and whether it lets a cutover go ahead.

The task is created with ``ValidationSettings.EnableValidation`` (parameter DataValidation).
"For a CDC only task with validation enabled, all pre-existing data in a table is validated
before starting validation of new data" (DMS user guide, "AWS DMS data validation"): on a
restored copy of hundreds of GB that first pass takes a while, so records stay pending long
after CDC has caught up. Pending records are shown and do not block unless the operator asks
(ValidationMustFinish); records that failed validation always block Approve: source and RDS
disagree on them. DescribeTableStatistics gives the counts (DMS API reference,
TableStatistics: ValidationState, ValidationPendingRecords, ValidationFailedRecords,
ValidationSuspendedRecords).
"""

from __future__ import annotations

from collections.abc import Iterable

from bak2rds.adapters.dms import TableStatistic
from bak2rds.messages import listed
from bak2rds.models import TableValidation, Validation
from bak2rds.naming import quoted

SHOWN_TABLES = 50  # the execution state and the approval record stay small
NOT_ENABLED = "Not enabled"
# ValidationState values of a table whose validation has not finished, or stopped or never
# ran ("Error", "Table error", "No primary key"): with ValidationMustFinish they block too
# (DMS API reference, TableStatistics).
UNFINISHED_STATES = frozenset(
    {
        "Pending records",
        "Pending validation",
        "Preparing table",
        "Pending revalidation",
        "Error",
        "Table error",
        "No primary key",
    }
)


def summarize(statistics: Iterable[TableStatistic], enabled: bool, now: str) -> Validation:
    """Every table's validation, those with failed, suspended, then pending records first."""
    tables: list[TableValidation] = [
        {
            "table": quoted(t.schema, t.table),
            "changes": t.inserts + t.updates + t.deletes,
            "state": t.validation_state or (NOT_ENABLED if not enabled else ""),
            "failed": t.validation_failed,
            "pending": t.validation_pending,
            "suspended": t.validation_suspended,
        }
        for t in statistics
    ]
    tables.sort(key=lambda t: (-t["failed"], -t["suspended"], -t["pending"], t["table"]))
    return {
        "enabled": enabled,
        "measured_at": now,
        "tables": tables[:SHOWN_TABLES],
        "table_count": len(tables),
        "failed_records": sum(t["failed"] for t in tables),
        "pending_records": sum(t["pending"] for t in tables),
        "suspended_records": sum(t["suspended"] for t in tables),
        "unfinished_tables": sum(_unfinished(t) for t in tables),
    }


def blocking_reason(validation: Validation, must_finish: bool) -> str | None:
    """Why Approve must wait, or None. Failed records always block; with ``must_finish``,
    pending or suspended records and tables still being validated do too."""
    if not validation["enabled"]:
        return None
    failed = [t["table"] for t in validation["tables"] if t["failed"]]
    if validation["failed_records"]:
        return (
            f"{validation['failed_records']:,} record(s) failed DMS validation in "
            f"{listed(failed, 10)}: the source and RDS disagree on them"
        )
    if must_finish and (validation["pending_records"] or validation["suspended_records"]):
        return (
            f"DMS validation has not finished: {validation['pending_records']:,} record(s) "
            f"pending, {validation['suspended_records']:,} suspended (ValidationMustFinish is on)"
        )
    if must_finish and validation["unfinished_tables"]:
        return (
            f"DMS validation has not finished: {validation['unfinished_tables']} table(s) are "
            "still being validated, or their validation stopped (ValidationMustFinish is on)"
        )
    return None


def _unfinished(table: TableValidation) -> bool:
    return table["state"] in UNFINISHED_STATES

"""Read Apply Exceptions: what the DMS task could not apply on RDS, for the cutover report."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bak2rds.adapters.apply_exceptions import ApplyException
from bak2rds.models import AppliedExceptions
from bak2rds.naming import quoted


class ExceptionReader(Protocol):
    def of_task(self, task_name: str) -> tuple[int, list[ApplyException]] | None: ...


def run(reader: ExceptionReader, task_arn: str, now: datetime) -> AppliedExceptions:
    # DMS's TASK_NAME is "the external resource ID of the task", the last part of its ARN.
    found = reader.of_task(task_arn.rsplit(":", 1)[-1])
    count, recent = found if found is not None else (0, [])
    return {
        "checked_at": now.isoformat(),
        "table_found": found is not None,
        "count": count,
        "recent": [
            {
                "table": quoted(e.schema, e.table),
                "error_time": e.error_time,
                "error": e.error,
            }
            for e in recent
        ],
    }

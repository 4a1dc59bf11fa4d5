"""What DMS could not apply, as it recorded it in the RDS database.

"The Apply Exceptions table (dmslogs.awsdms_apply_exceptions) is always created on database
targets" (DMS user guide, "Control table task settings"), while the same page gives ``dbo`` as
the control tables' default schema on SQL Server (bak2rds's tasks set no ControlSchema): both
are looked in. Its columns are
TASK_NAME (the task's external resource id, the last part of its ARN), TABLE_OWNER,
TABLE_NAME, ERROR_TIME, STATEMENT and ERROR. The replayed changes between the backup's first
and last LSN are logged there by design (LOG_ERROR: a row already there, or already gone;
docs/design.md, "Replayed changes converge"), so the count alone is not an alarm. STATEMENT is
not read: it holds the application's row values, which the report must not copy around.
"""

from __future__ import annotations

from dataclasses import dataclass

from bak2rds.adapters.sqlserver import SqlServer, number_and_message
from bak2rds.errors import Bak2RdsError

SHOWN = 20
_NO_SUCH_TABLE = 208  # "Invalid object name"

# The DMS guide names the table dmslogs.awsdms_apply_exceptions and, for SQL Server targets,
# the control tables' default schema dbo: both are looked in, dbo first.
SCHEMAS = ("dbo", "dmslogs")
COUNT = (
    "SELECT COUNT_BIG(*) AS exceptions FROM {schema}.awsdms_apply_exceptions WHERE TASK_NAME = %s"
)
RECENT = """
SELECT TOP (20) TABLE_OWNER AS table_owner, TABLE_NAME AS table_name,
       CONVERT(nvarchar(30), ERROR_TIME, 126) AS error_time,
       LEFT(CONVERT(nvarchar(max), ERROR), 500) AS error
FROM {schema}.awsdms_apply_exceptions
WHERE TASK_NAME = %s
ORDER BY ERROR_TIME DESC
""".strip()


@dataclass(frozen=True)
class ApplyException:
    schema: str
    table: str
    error_time: str
    error: str


class ApplyExceptions:
    def __init__(self, sql: SqlServer, database: str) -> None:
        self._sql = sql
        self._database = database

    def of_task(self, task_name: str) -> tuple[int, list[ApplyException]] | None:
        """How many the task recorded and the latest 20; None when there is no such table."""
        for schema in SCHEMAS:  # constants: no name from outside reaches the SQL
            try:
                with self._sql.session(self._database) as session:
                    count = session.run(COUNT.format(schema=schema), (task_name,))
                    rows = session.run(RECENT.format(schema=schema), (task_name,))
            except Bak2RdsError as error:
                if number_and_message(error.__cause__ or error)[0] == _NO_SUCH_TABLE:
                    continue
                raise
            return self._found(count, rows)
        return None

    @staticmethod
    def _found(
        count: list[dict[str, object]], rows: list[dict[str, object]]
    ) -> tuple[int, list[ApplyException]]:
        return int(str(next(iter(count[0].values())))) if count else 0, [
            ApplyException(
                str(row["table_owner"]),
                str(row["table_name"]),
                str(row["error_time"]),
                str(row["error"]),
            )
            for row in rows
        ]

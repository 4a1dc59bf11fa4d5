"""Write Cutover Report: the report of this cutover or rejection, JSON and HTML, in the
staging bucket under ``reports/<database>/<execution name>`` (bak2rds.report)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bak2rds import report
from bak2rds.models import MigrationState, ReportWritten


class ReportWriter(Protocol):
    """Where reports go (``bak2rds.adapters.s3.StagingBucket`` in AWS)."""

    def put(self, bucket: str, key: str, body: str, content_type: str) -> None: ...


def run(
    state: MigrationState,
    execution_arn: str,
    execution_name: str,
    bucket: ReportWriter,
    now: datetime,
) -> ReportWritten:
    migration = state["migration"]
    written_at = now.isoformat()
    built = report.build(state, execution_arn, written_at)
    json_key, html_key = report.report_keys(migration["database_name"], execution_name)
    # Written again whole on a retry: the same execution's report, never another's.
    bucket.put(migration["bucket"], json_key, report.to_json(built), "application/json")
    bucket.put(migration["bucket"], html_key, report.to_html(built), "text/html; charset=utf-8")
    return {
        "bucket": migration["bucket"],
        "json_key": json_key,
        "html_key": html_key,
        "written_at": written_at,
    }

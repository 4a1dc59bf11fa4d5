"""Assess CDC Task: DMS's own premigration assessment of this migration's task, during the
restore, so that a source DMS cannot replicate from is known before CDC would start.

Only the individual assessments of the *source* run (DMS user guide, "SQL Server
assessments"): the restored database does not exist yet, and what the target needs is
checked later (Test Target Connection; Prepare Target switches off its triggers, which is what
``sqlserver-check-for-triggers`` asks). Each is run only if DMS lists it as applicable to the
task (DescribeApplicableIndividualAssessments), so a renamed or retired assessment is skipped
rather than refused. The results go to the staging bucket under ``assessments/<execution>/``.

A failed check stops the migration (DMS_ASSESSMENT_FAILED, naming each); a run that ends in
``warning``, or that DMS could not run at all (``error-*``), goes on with what DMS said in the
"CDC started" e-mail: the assessment informs, the task's own start is the test.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from bak2rds.adapters.dms import AssessmentRun, AssessmentSpec, ReplicationTask
from bak2rds.clock import parse_timestamp
from bak2rds.config import AssessmentSettings
from bak2rds.errors import AssessmentFailed
from bak2rds.models import Assessment, AssessmentNote, Cdc, Migration
from bak2rds.steps.start_cdc_task import failed_before_start

# The SQL Server source checks of the DMS user guide ("SQL Server assessments") that matter for
# a CDC-only task started at a native LSN.
SOURCE_ASSESSMENTS = (
    "sqlserver-check-user-permission-for-cdc",
    "sqlserver-check-for-recovery-model",
    "sqlserver-check-for-full-backup",
    "sqlserver-check-for-backup-broken-chain",
    "sqlserver-check-for-encrypted-backups",
    "sqlserver-check-for-backup-url",
    "sqlserver-check-for-backup-multiple-stripes",
    "sqlserver-check-attribute-for-enable-ms-cdc-onprem",
    "sqlserver-check-for-max-text-repl-size",
    "sqlserver-check-for-computed-fields",
    "sqlserver-check-for-columnstore-indexes",
    "sqlserver-check-for-memory-optimized-tables",
    "sqlserver-check-for-temporal-tables",
    "sqlserver-check-for-delayed-durability",
    "sqlserver-check-for-accelerated-data-recovery",
    "all-check-source-selection-rules",
)
IN_PROGRESS = frozenset({"starting", "provisioning", "running", "cancelling", "deleting"})
TASK_WAIT_SECONDS = 60  # DMS creates a task in a few minutes
RUN_WAIT_SECONDS = 60
# Longer than any assessment should take; then bak2rds stops waiting and says so.
MAX_WAIT = timedelta(hours=2)
_NOT_CREATED = frozenset({"creating", "modifying"})


class TaskAssessor(Protocol):
    """What this step needs of DMS (``bak2rds.adapters.dms.Dms`` in AWS)."""

    def describe_task(self, arn: str) -> ReplicationTask: ...
    def applicable_assessments(self, task_arn: str) -> list[str]: ...
    def find_assessment_run(self, task_arn: str, name: str) -> AssessmentRun | None: ...
    def start_assessment_run(self, spec: AssessmentSpec) -> AssessmentRun: ...
    def individual_assessments(self, run_arn: str) -> dict[str, str]: ...


def run(
    previous: Assessment | None,
    migration: Migration,
    cdc: Cdc,
    execution_name: str,
    settings: AssessmentSettings,
    dms: TaskAssessor,
    now: datetime,
) -> Assessment:
    started_at = previous["started_at"] if previous else now.isoformat()
    if not settings.enabled:
        return {
            "enabled": False,
            "status": "off",
            "started_at": started_at,
            "done": True,
            "wait_seconds": 0,
        }
    folder = f"assessments/{execution_name}"
    results = f"s3://{migration['bucket']}/{folder}/"
    found = dms.find_assessment_run(cdc["task_arn"], cdc["task_id"])
    if found is None:
        task = dms.describe_task(cdc["task_arn"])
        if task.status in _NOT_CREATED:  # "your migration task must already be created"
            return {
                "enabled": True,
                "status": f"waiting for the task ({task.status})",
                "started_at": started_at,
                "done": False,
                "wait_seconds": TASK_WAIT_SECONDS,
            }
        if task.status != "ready":
            raise failed_before_start(task)
        applicable = set(dms.applicable_assessments(task.arn))
        included = [name for name in SOURCE_ASSESSMENTS if name in applicable]
        if not included:
            note: AssessmentNote = {"name": "assessment run", "status": "none applicable"}
            return {
                "enabled": True,
                "status": "none applicable",
                "started_at": started_at,
                "done": True,
                "wait_seconds": 0,
                "included": [],
                "notes": [note],
            }
        found = dms.start_assessment_run(
            AssessmentSpec(
                task.arn,
                cdc["task_id"],
                settings.role_arn,
                migration["bucket"],
                folder,
                tuple(included),
            )
        )
    answer: Assessment = {
        "enabled": True,
        "status": found.status,
        "started_at": started_at,
        "done": False,
        "wait_seconds": 0,
        "run_arn": found.arn,
        "results": results,
    }
    if found.status in IN_PROGRESS:  # minutes long: a look a minute ends with the restore
        if now - parse_timestamp(started_at) < MAX_WAIT:
            return {**answer, "wait_seconds": RUN_WAIT_SECONDS}
        late: AssessmentNote = {
            "name": "assessment run",
            "status": f"still {found.status} after {int(MAX_WAIT.total_seconds() // 3600)} h: "
            "bak2rds stopped waiting for it",
        }
        return {**answer, "done": True, "notes": [late]}
    statuses = dms.individual_assessments(found.arn)
    failed = sorted(name for name, status in statuses.items() if status == "failed")
    if failed:  # a failed run with no failed check is DMS's trouble: told, below
        raise AssessmentFailed(
            f"{len(failed)} check(s) failed: {', '.join(failed) or '(none listed)'}. DMS: "
            f"{found.last_failure_message or 'no message'}. Each check's result: {results}"
        )
    notes: list[AssessmentNote] = [
        {"name": name, "status": status}
        for name, status in sorted(statuses.items())
        if status != "passed"
    ]
    if found.status != "passed":  # a warning, or DMS could not run it: say what DMS said
        said = f" ({found.last_failure_message})" if found.last_failure_message else ""
        notes.insert(0, {"name": "assessment run", "status": found.status + said})
    return {**answer, "done": True, "included": sorted(statuses), "notes": notes}

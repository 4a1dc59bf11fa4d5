"""Assess CDC Task with an in-memory DMS: when it starts the run, what it runs, what stops the
migration and what is only told."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from bak2rds.adapters.dms import AssessmentRun, AssessmentSpec, ReplicationTask
from bak2rds.config import AssessmentSettings
from bak2rds.errors import AssessmentFailed
from bak2rds.models import Assessment
from bak2rds.steps import assess_cdc_task
from localrun.clock import ManualClock
from tests import states

ON = AssessmentSettings(enabled=True, role_arn="arn:aws:iam::123456789012:role/assess")
EXECUTION = "Northwind-3f9a1c2b7d4e"


@dataclass
class FakeDms:
    status: str = "ready"
    applicable: list[str] = field(default_factory=lambda: list(assess_cdc_task.SOURCE_ASSESSMENTS))
    run: AssessmentRun | None = None
    statuses: dict[str, str] = field(default_factory=dict)
    specs: list[AssessmentSpec] = field(default_factory=list)

    def describe_task(self, arn: str) -> ReplicationTask:
        return ReplicationTask(arn, states.CDC["task_id"], self.status, "", "", False)

    def applicable_assessments(self, task_arn: str) -> list[str]:
        return self.applicable

    def find_assessment_run(self, task_arn: str, name: str) -> AssessmentRun | None:
        return self.run if self.run and self.run.name == name else None

    def start_assessment_run(self, spec: AssessmentSpec) -> AssessmentRun:
        self.specs.append(spec)
        self.run = AssessmentRun("arn:run", spec.name, "starting", "")
        self.statuses = dict.fromkeys(spec.include_only, "pending")
        return self.run

    def individual_assessments(self, run_arn: str) -> dict[str, str]:
        return self.statuses

    def ends(self, status: str, message: str = "", **statuses: str) -> None:
        assert self.run is not None
        self.run = replace(self.run, status=status, last_failure_message=message)
        self.statuses = {name: "passed" for name in self.statuses}
        self.statuses.update({name.replace("_", "-"): s for name, s in statuses.items()})


def _assess(dms: FakeDms, clock: ManualClock, previous: Assessment | None = None) -> Assessment:
    return assess_cdc_task.run(
        previous, states.MIGRATION, states.CDC, EXECUTION, ON, dms, clock.now()
    )


def test_it_waits_for_the_task_then_runs_only_applicable_source_checks_once(
    clock: ManualClock,
) -> None:
    dms = FakeDms(status="creating")
    dms.applicable = [*assess_cdc_task.SOURCE_ASSESSMENTS[:3], "sqlserver-check-for-triggers"]
    first = _assess(dms, clock)
    assert (first["done"], first["wait_seconds"], dms.specs) == (False, 60, [])
    dms.status = "ready"
    clock.advance(60)
    running = _assess(dms, clock, first)
    (spec,) = dms.specs
    assert spec.include_only == assess_cdc_task.SOURCE_ASSESSMENTS[:3]  # no target check
    assert (spec.bucket, spec.folder) == ("bak2rds-staging", f"assessments/{EXECUTION}")
    assert spec.name == states.CDC["task_id"] and spec.role_arn == ON.role_arn
    assert running["done"] is False and running["started_at"] == first["started_at"]
    again = _assess(dms, clock, running)  # a retry or the next look: the same run
    assert len(dms.specs) == 1 and again["run_arn"] == "arn:run"


def test_a_passed_run_is_done_with_nothing_to_tell(clock: ManualClock) -> None:
    dms = FakeDms()
    _assess(dms, clock)
    dms.ends("passed")
    done = _assess(dms, clock)
    assert done["done"] and done["notes"] == []
    assert done["results"] == f"s3://bak2rds-staging/assessments/{EXECUTION}/"
    assert len(done["included"]) == len(assess_cdc_task.SOURCE_ASSESSMENTS)


def test_a_failed_check_stops_the_migration_naming_each(clock: ManualClock) -> None:
    dms = FakeDms()
    _assess(dms, clock)
    dms.ends(
        "failed",
        "The DMS user lacks VIEW SERVER STATE",
        sqlserver_check_user_permission_for_cdc="failed",
        sqlserver_check_for_full_backup="failed",
    )
    with pytest.raises(AssessmentFailed) as caught:
        _assess(dms, clock)
    text = str(caught.value)
    assert text.startswith("DMS_ASSESSMENT_FAILED: 2 check(s) failed: ")
    assert "sqlserver-check-for-full-backup, sqlserver-check-user-permission-for-cdc" in text
    assert "The DMS user lacks VIEW SERVER STATE" in text
    assert f"s3://bak2rds-staging/assessments/{EXECUTION}/" in text


@pytest.mark.parametrize(
    ("run_status", "message"),
    [("warning", "1 assessment with warnings"), ("error-provisioning", "no capacity")],
)
def test_warnings_and_a_run_dms_could_not_finish_are_told_not_fatal(
    clock: ManualClock, run_status: str, message: str
) -> None:
    dms = FakeDms()
    _assess(dms, clock)
    dms.ends(run_status, message, sqlserver_check_for_computed_fields="warning")
    done = _assess(dms, clock)
    assert done["done"] is True
    assert done["notes"][0] == {"name": "assessment run", "status": f"{run_status} ({message})"}
    assert {"name": "sqlserver-check-for-computed-fields", "status": "warning"} in done["notes"]


def test_a_run_in_progress_is_looked_at_every_minute(clock: ManualClock) -> None:
    dms = FakeDms()
    started = _assess(dms, clock)
    for status in ("starting", "provisioning", "running"):
        assert dms.run is not None
        dms.run = replace(dms.run, status=status)
        looked = _assess(dms, clock, started)
        assert (looked["done"], looked["wait_seconds"]) == (False, 60)


def test_off_runs_nothing(clock: ManualClock) -> None:
    dms = FakeDms()
    off = assess_cdc_task.run(
        None, states.MIGRATION, states.CDC, EXECUTION, replace(ON, enabled=False), dms, clock.now()
    )
    assert (off["done"], off["status"], dms.specs) == (True, "off", [])


def test_a_failed_run_with_no_failed_check_is_told_not_fatal(clock: ManualClock) -> None:
    dms = FakeDms()
    _assess(dms, clock)
    dms.ends("failed", "Could not connect to the target endpoint")
    done = _assess(dms, clock)
    assert done["done"] is True
    assert done["notes"][0]["status"] == "failed (Could not connect to the target endpoint)"


def test_a_run_that_never_ends_is_given_up_after_two_hours(clock: ManualClock) -> None:
    dms = FakeDms()
    started = _assess(dms, clock)
    clock.advance(2 * 3600)
    late = _assess(dms, clock, started)
    assert late["done"] is True
    assert late["notes"] == [
        {
            "name": "assessment run",
            "status": "still starting after 2 h: bak2rds stopped waiting for it",
        }
    ]

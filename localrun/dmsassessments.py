"""DMS premigration assessment runs, which moto does not have.

After the DMS API reference (StartReplicationTaskAssessmentRun, DescribeApplicableIndividual-
Assessments, DescribeReplicationTaskAssessmentRuns, DescribeReplicationTaskIndividualAssessments)
and the DMS user guide ("Specifying, starting, and viewing premigration assessment runs",
"SQL Server assessments", "Creating prerequisites for premigration assessments"):

* the applicable assessments of a SQL Server task are the guide's SQL Server list;
* a run is refused for a task that is not created yet ("your migration task must already be
  created": ``InvalidResourceStateFault`` while ``creating``), for a name the task already
  used (``ResourceAlreadyExistsFault``), for an assessment that does not apply, for a role
  DMS cannot assume (the role must exist and trust ``dms.amazonaws.com``) and for a bucket
  that does not exist (``S3ResourceNotFoundFault``);
* a run is ``starting``, ``provisioning`` for ``provisioning_for``, ``running`` for
  ``per_assessment`` each, then ``failed`` (an assessment a test failed with
  ``fail(name, message)``), ``warning`` (one ``warn(name)`` marked), ``error-provisioning`` /
  ``error-executing`` (``break_runs(status, message)``) or ``passed``, with
  ``AssessmentProgress`` counts and ``LastFailureMessage``;
* the results are written to the bucket when the run ends: ``summary.json`` and one
  ``<assessment>.json`` each, under the run's folder (the guide names the files; the JSON in
  them here is ours).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from moto.dms.exceptions import DmsClientError, InvalidResourceStateFault, ResourceNotFoundFault
from moto.iam.models import iam_backends
from moto.s3.models import s3_backends

if TYPE_CHECKING:
    from localrun.dms import SimulatedDms

# DMS user guide, "SQL Server assessments" (source and target checks of a SQL Server task).
SQL_SERVER_ASSESSMENTS = (
    "all-check-source-selection-rules",
    "sqlserver-check-attribute-for-enable-ms-cdc-onprem",
    "sqlserver-check-for-accelerated-data-recovery",
    "sqlserver-check-for-backup-multiple-stripes",
    "sqlserver-check-for-backup-url",
    "sqlserver-check-for-columnstore-indexes",
    "sqlserver-check-for-computed-fields",
    "sqlserver-check-for-delayed-durability",
    "sqlserver-check-for-encrypted-backups",
    "sqlserver-check-for-full-backup",
    "sqlserver-check-for-max-text-repl-size",
    "sqlserver-check-for-memory-optimized-tables",
    "sqlserver-check-for-temporal-tables",
    "sqlserver-check-for-triggers",
    "sqlserver-check-target-privileges",
    "sqlserver-check-user-permission-for-cdc",
)


class DmsError(DmsClientError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


@dataclass
class AssessmentRun:
    arn: str
    task_arn: str
    name: str
    bucket: str
    folder: str
    included: list[str]
    created_at: datetime
    written: bool = False


@dataclass
class SimulatedAssessments:
    dms: SimulatedDms
    provisioning_for: timedelta = timedelta(minutes=2)
    per_assessment: timedelta = timedelta(seconds=15)
    runs: dict[str, AssessmentRun] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # assessment -> DMS's message
    warnings: set[str] = field(default_factory=set)
    broken: tuple[str, str] | None = None  # (error status, message) of every run

    # ------------------------------------------------------------------ test controls
    def fail(self, name: str, message: str) -> None:
        self.failures[name] = message

    def warn(self, name: str) -> None:
        self.warnings.add(name)

    def break_runs(self, status: str, message: str) -> None:
        self.broken = (status, message)

    # ------------------------------------------------------------------ the API
    def applicable(self, params: dict[str, Any]) -> str:
        self._task(params.get("ReplicationTaskArn", ""))
        return json.dumps({"IndividualAssessmentNames": list(SQL_SERVER_ASSESSMENTS)})

    def start(self, params: dict[str, Any]) -> str:
        task_arn = params.get("ReplicationTaskArn", "")
        task = self._task(task_arn)
        if task.status == "creating":
            raise InvalidResourceStateFault(f"Replication task {task.id} is not created yet")
        name = str(params.get("AssessmentRunName", ""))
        if any(r.task_arn == task_arn and r.name == name for r in self.runs.values()):
            raise DmsError("ResourceAlreadyExistsFault", f"Assessment run {name} already exists")
        included = list(params.get("IncludeOnly") or SQL_SERVER_ASSESSMENTS)
        unknown = sorted(set(included) - set(SQL_SERVER_ASSESSMENTS))
        if unknown:
            raise DmsError(
                "InvalidParameterValueException",
                f"Individual assessments not applicable to this task: {', '.join(unknown)}",
            )
        self._check_role(str(params.get("ServiceAccessRoleArn", "")))
        bucket = str(params.get("ResultLocationBucket", ""))
        if bucket not in s3_backends[self.dms.account_id]["aws"].buckets:
            raise DmsError("S3ResourceNotFoundFault", f"The S3 bucket {bucket} does not exist")
        arn = f"arn:aws:dms:{self.dms.region}:{self.dms.account_id}:assessment-run:{name}"
        self.runs[arn] = AssessmentRun(
            arn,
            task_arn,
            name,
            bucket,
            str(params.get("ResultLocationFolder", "")).strip("/"),
            included,
            self.dms.clock.now(),
        )
        return json.dumps({"ReplicationTaskAssessmentRun": self._describe(self.runs[arn])})

    def describe_runs(self, params: dict[str, Any]) -> str:
        found = [self._describe(r) for r in self.runs.values() if _matches(params, r)]
        return json.dumps({"ReplicationTaskAssessmentRuns": found})

    def describe_individual(self, params: dict[str, Any]) -> str:
        items = []
        for run in self.runs.values():
            if not _matches(params, run):
                continue
            for name in run.included:
                items.append(
                    {
                        "ReplicationTaskIndividualAssessmentArn": f"{run.arn}:{name}",
                        "ReplicationTaskAssessmentRunArn": run.arn,
                        "IndividualAssessmentName": name,
                        "Status": self._individual_status(run, name),
                    }
                )
        return json.dumps({"ReplicationTaskIndividualAssessments": items})

    # ------------------------------------------------------------------ lifecycle
    def _status(self, run: AssessmentRun) -> str:
        since = self.dms.clock.now() - run.created_at
        if since < timedelta(seconds=10):
            return "starting"
        if since < self.provisioning_for:
            return "provisioning"
        if self.broken is not None and self.broken[0] == "error-provisioning":
            return self._ended(run, "error-provisioning")
        if since < self.provisioning_for + self.per_assessment * len(run.included):
            return "running"
        if self.broken is not None:
            return self._ended(run, self.broken[0])
        if any(name in self.failures for name in run.included):
            return self._ended(run, "failed")
        if any(name in self.warnings for name in run.included):
            return self._ended(run, "warning")
        return self._ended(run, "passed")

    def _completed(self, run: AssessmentRun) -> int:
        running_for = self.dms.clock.now() - run.created_at - self.provisioning_for
        return max(0, min(len(run.included), int(running_for / self.per_assessment)))

    def _individual_status(self, run: AssessmentRun, name: str) -> str:
        status = self._status(run)
        if status in {"starting", "provisioning"} or status == "error-provisioning":
            return "pending"
        if run.included.index(name) >= self._completed(run):
            return "error" if status == "error-executing" else "pending"
        if name in self.failures:
            return "failed"
        return "warning" if name in self.warnings else "passed"

    def _ended(self, run: AssessmentRun, status: str) -> str:
        if not run.written:  # DMS writes the results when the run ends
            run.written = True
            s3 = s3_backends[self.dms.account_id]["aws"]
            prefix = f"{run.folder}/" if run.folder else ""
            summary = {"run": run.name, "status": status, "assessments": run.included}
            s3.put_object(run.bucket, f"{prefix}summary.json", json.dumps(summary).encode())
            for name in run.included:
                result = {"name": name, "status": self._individual_status(run, name)}
                if name in self.failures:
                    result["message"] = self.failures[name]
                s3.put_object(run.bucket, f"{prefix}{name}.json", json.dumps(result).encode())
        return status

    def _describe(self, run: AssessmentRun) -> dict[str, Any]:
        status = self._status(run)
        message = ""
        if status == "failed":
            message = next(self.failures[n] for n in run.included if n in self.failures)
        elif self.broken is not None and status == self.broken[0]:
            message = self.broken[1]
        return {
            "ReplicationTaskAssessmentRunArn": run.arn,
            "ReplicationTaskArn": run.task_arn,
            "AssessmentRunName": run.name,
            "Status": status,
            "LastFailureMessage": message,
            "ResultLocationBucket": run.bucket,
            "ResultLocationFolder": run.folder,
            "AssessmentProgress": {
                "IndividualAssessmentCount": len(run.included),
                "IndividualAssessmentCompletedCount": self._completed(run),
            },
        }

    def _task(self, arn: str) -> Any:
        task = self.dms._backend().replication_tasks.get(arn)
        if task is None:
            raise ResourceNotFoundFault("Replication Task not found")
        self.dms._refresh()
        return task

    def _check_role(self, arn: str) -> None:
        roles = iam_backends[self.dms.account_id]["aws"].roles.values()
        role = next((r for r in roles if r.arn == arn), None)
        trusts_dms = role is not None and "dms.amazonaws.com" in json.dumps(
            role.assume_role_policy_document
        )
        if not trusts_dms:
            raise DmsError(
                "AccessDeniedFault", f"DMS cannot assume the role {arn} to write the results"
            )


def _matches(params: dict[str, Any], run: AssessmentRun) -> bool:
    for entry in params.get("Filters") or []:
        values = set(entry.get("Values") or [])
        if entry.get("Name") == "replication-task-arn" and run.task_arn not in values:
            return False
        if entry.get("Name") == "replication-task-assessment-run-arn" and run.arn not in values:
            return False
    return True

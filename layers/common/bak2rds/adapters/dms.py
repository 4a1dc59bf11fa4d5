"""AWS DMS: the endpoints and the CDC-only replication task of one migration."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from bak2rds.adapters.aws import aws_call, error_code
from bak2rds.errors import Bak2RdsError, DmsRequestRejected

# Replayed changes must converge on the restored copy without losing any: CDC starts at the
# backup's first_lsn, so changes already in the backup arrive again. The argument, with the
# DMS sentences it rests on, is docs/design.md's "Replayed changes converge".
TASK_SETTINGS: dict[str, Any] = {
    "TargetMetadata": {
        # Full LOB mode: no LOB is truncated whatever its size (limited mode truncates above
        # LobMaxSize with only a warning). 64 KB chunks, as the DMS guide recommends.
        "SupportLobs": True,
        "FullLobMode": True,
        "LobChunkSize": 64,
        "LimitedSizeLobMode": False,
        "BatchApplyEnabled": False,  # transactional apply: batch apply takes limited LOB mode only
    },
    "FullLoadSettings": {"TargetTablePrepMode": "DO_NOTHING"},
    "Logging": {"EnableLogging": True},
    "ErrorBehavior": {
        # Never INSERT_RECORD (delete, then insert, under live constraints) nor UPDATE_RECORD
        # (which "completely disables LOB column support for the task").
        "ApplyErrorInsertPolicy": "LOG_ERROR",  # row already there: a replayed insert
        "ApplyErrorUpdatePolicy": "LOG_ERROR",  # row missing: it is deleted later in the log
        "ApplyErrorDeletePolicy": "IGNORE_RECORD",  # row already gone
        "ApplyErrorEscalationPolicy": "LOG_ERROR",  # expected conflicts never suspend a table
    },
}


def task_settings(validation: bool) -> dict[str, Any]:
    """TASK_SETTINGS, with DMS data validation on or off (parameter DataValidation). The
    other ValidationSettings keep DMS's defaults (DMS user guide, "Data validation task
    settings"): 5 threads, validation suspended for a table after 1,000 failed rows and for
    the task after 10,000."""
    return {**TASK_SETTINGS, "ValidationSettings": {"EnableValidation": validation}}


_REJECTED = frozenset(
    {
        "InvalidParameterValueException",
        "InvalidParameterCombinationException",
        "InvalidResourceStateFault",
        "ResourceNotFoundFault",
        "ResourceQuotaExceededFault",
        "KMSKeyNotAccessibleFault",
        "StorageQuotaExceededFault",
    }
)


@dataclass(frozen=True)
class ReplicationTask:
    arn: str
    identifier: str
    status: str
    stop_reason: str
    last_failure_message: str
    started: bool  # start-replication was called at least once
    source_endpoint_arn: str = ""
    target_endpoint_arn: str = ""
    table_mappings: str = ""  # JSON, as DMS holds it

    @property
    def reason(self) -> str:
        """Why DMS says it failed or stopped."""
        return self.last_failure_message or self.stop_reason or "no reason given"

    @property
    def resource_id(self) -> str:
        """The id DMS uses in CloudWatch dimensions: the last part of the ARN."""
        return self.arn.rsplit(":", 1)[-1]


def _rejected(error: ClientError) -> Bak2RdsError | None:
    if error_code(error) in _REJECTED:
        message = error.response.get("Error", {}).get("Message", "")
        return DmsRequestRejected(f"{error_code(error)}: {message}")
    return None


def _unmapped(error: ClientError) -> Bak2RdsError | None:
    return None


Mapping = Callable[[ClientError], Bak2RdsError | None]


def _call(
    what: str,
    call: Callable[[], Any],
    tolerated: str,
    rejected: Mapping = _rejected,
    refuse_the_rest: bool = False,
) -> Any | None:
    """One DMS call: its answer, or None when DMS answers with the ``tolerated`` error code
    (the one the caller handles: "not found", "already exists"...). Other refusals are mapped
    by ``rejected``, then by ``aws_call``'s generic rules (throttling, 5xx, access denied);
    with ``refuse_the_rest`` any error left is a DmsRequestRejected too."""

    def permanent(error: ClientError) -> Bak2RdsError | None:
        return None if error_code(error) == tolerated else rejected(error)

    try:
        with aws_call(what, permanent=permanent):
            return call()
    except ClientError as error:
        if error_code(error) == tolerated:
            return None
        if refuse_the_rest:
            message = error.response.get("Error", {}).get("Message", "")
            raise DmsRequestRejected(f"{error_code(error)}: {message}") from error
        raise


@dataclass(frozen=True)
class TableStatistic:
    """One table of a task, from DescribeTableStatistics."""

    schema: str
    table: str
    state: str  # "Table completed", "Table error", ... (DMS API reference, TableStatistics)
    inserts: int
    updates: int
    deletes: int
    validation_state: str = ""  # "Validated", "Pending records", "Mismatched records", ...
    validation_pending: int = 0
    validation_failed: int = 0
    validation_suspended: int = 0


@dataclass(frozen=True)
class AssessmentRun:
    """A premigration assessment run (DMS API reference, ReplicationTaskAssessmentRun)."""

    arn: str
    name: str
    status: str  # starting, provisioning, running, passed, warning, failed, error-...
    last_failure_message: str


@dataclass(frozen=True)
class AssessmentSpec:
    task_arn: str
    name: str
    role_arn: str  # the role DMS assumes to write the results
    bucket: str
    folder: str
    include_only: tuple[str, ...]


@dataclass(frozen=True)
class CdcTaskSpec:
    """A CDC-only task to create: its identifier, where it runs and what it replicates."""

    identifier: str
    replication_instance_arn: str
    source_endpoint_arn: str
    target_endpoint_arn: str
    table_mappings: str  # JSON
    tags: dict[str, str]
    validation: bool = True  # ValidationSettings.EnableValidation


@dataclass(frozen=True)
class EndpointSpec:
    """A SQL Server endpoint to create. Credentials, server and port are in the secret:
    DMS takes either a secret or clear-text UserName/Password/ServerName/Port, never both
    (DMS API reference, ``MicrosoftSQLServerSettings``)."""

    identifier: str
    role: str  # "source" or "target" (DMS's EndpointType)
    database_name: str
    secret_arn: str
    access_role_arn: str
    ssl_mode: str
    tags: dict[str, str]


@dataclass(frozen=True)
class DmsEndpoint:
    arn: str
    identifier: str
    role: str
    database_name: str
    tags: dict[str, str]
    status: str = "active"  # "deleting" once DeleteEndpoint was accepted


@dataclass(frozen=True)
class ConnectionTest:
    """A connection test of one endpoint from the replication instance."""

    status: str  # testing, successful, failed, deleting
    failure_message: str


class Dms:
    def __init__(self, dms_client: Any) -> None:
        self._dms = dms_client

    # ------------------------------------------------------------------ endpoints
    def find_endpoint(self, identifier: str) -> DmsEndpoint | None:
        return self._find_endpoint("endpoint-id", identifier)

    def endpoint(self, arn: str) -> DmsEndpoint | None:
        """The endpoint with this ARN, or None once it is gone."""
        return self._find_endpoint("endpoint-arn", arn)

    def _find_endpoint(self, by: str, value: str) -> DmsEndpoint | None:
        response = _call(
            "DMS DescribeEndpoints",
            lambda: self._dms.describe_endpoints(Filters=[{"Name": by, "Values": [value]}]),
            tolerated="ResourceNotFoundFault",  # DMS's answer to "no match"
            rejected=_unmapped,
        )
        endpoints = response.get("Endpoints", []) if response else []
        return self._endpoint(endpoints[0]) if endpoints else None

    def create_endpoint(self, spec: EndpointSpec) -> DmsEndpoint:
        """Create the endpoint; one that already exists (a retry that lost the answer to
        an earlier CreateEndpoint) is found and returned instead."""
        response = _call(
            "DMS CreateEndpoint",
            lambda: self._dms.create_endpoint(
                EndpointIdentifier=spec.identifier,
                EndpointType=spec.role,
                EngineName="sqlserver",
                DatabaseName=spec.database_name,
                SslMode=spec.ssl_mode,
                MicrosoftSQLServerSettings={
                    "DatabaseName": spec.database_name,
                    "SecretsManagerSecretId": spec.secret_arn,
                    "SecretsManagerAccessRoleArn": spec.access_role_arn,
                },
                Tags=[{"Key": key, "Value": value} for key, value in spec.tags.items()],
            ),
            tolerated="ResourceAlreadyExistsFault",
        )
        if response is not None:
            return self._endpoint(response["Endpoint"])
        found = self.find_endpoint(spec.identifier)
        if found is None:
            raise DmsRequestRejected(
                f"DMS says endpoint {spec.identifier} exists but does not list it"
            )
        return found

    def test_connection(self, instance_arn: str, endpoint_arn: str) -> ConnectionTest:
        response = _call(
            "DMS TestConnection",
            lambda: self._dms.test_connection(
                ReplicationInstanceArn=instance_arn, EndpointArn=endpoint_arn
            ),
            tolerated="InvalidResourceStateFault",  # a test is under way
        )
        return _connection(response["Connection"]) if response else ConnectionTest("testing", "")

    def connection(self, instance_arn: str, endpoint_arn: str) -> ConnectionTest | None:
        """The endpoint's last connection test from the instance; None if it has none."""
        response = _call(
            "DMS DescribeConnections",
            lambda: self._dms.describe_connections(
                Filters=[
                    {"Name": "endpoint-arn", "Values": [endpoint_arn]},
                    {"Name": "replication-instance-arn", "Values": [instance_arn]},
                ]
            ),
            tolerated="ResourceNotFoundFault",
        )
        connections = response.get("Connections", []) if response else []
        return _connection(connections[0]) if connections else None

    def delete_endpoint(self, arn: str) -> None:
        """Delete the endpoint; one already gone is not an error."""
        _call(
            "DMS DeleteEndpoint",
            lambda: self._dms.delete_endpoint(EndpointArn=arn),
            tolerated="ResourceNotFoundFault",
        )

    def tags(self, arn: str) -> dict[str, str] | None:
        """The resource's tags; None when it no longer exists."""
        response = _call(
            "DMS ListTagsForResource",
            lambda: self._dms.list_tags_for_resource(ResourceArn=arn),
            tolerated="ResourceNotFoundFault",
        )
        if response is None:
            return None
        return {str(tag["Key"]): str(tag.get("Value", "")) for tag in response.get("TagList", [])}

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        _call(
            "DMS AddTagsToResource",
            lambda: self._dms.add_tags_to_resource(
                ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
            ),
            tolerated="ResourceNotFoundFault",  # gone: the stop that follows says so
        )

    def _endpoint(self, raw: dict[str, Any]) -> DmsEndpoint:
        settings = raw.get("MicrosoftSQLServerSettings") or {}
        arn = str(raw["EndpointArn"])
        return DmsEndpoint(
            arn=arn,
            identifier=str(raw.get("EndpointIdentifier", "")),
            role=str(raw.get("EndpointType", "")).lower(),
            database_name=str(settings.get("DatabaseName") or raw.get("DatabaseName") or ""),
            tags=self.tags(arn) or {},
            status=str(raw.get("Status", "")),
        )

    # ------------------------------------------------------------------ tasks

    def find_task(self, identifier: str) -> ReplicationTask | None:
        try:
            with aws_call("DMS DescribeReplicationTasks"):
                response = self._dms.describe_replication_tasks(
                    Filters=[{"Name": "replication-task-id", "Values": [identifier]}],
                    WithoutSettings=True,
                )
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundFault":
                return None
            raise
        tasks = response.get("ReplicationTasks", [])
        return _task(tasks[0]) if tasks else None

    def describe_task(self, arn: str) -> ReplicationTask:
        with aws_call("DMS DescribeReplicationTasks", permanent=_rejected):
            response = self._dms.describe_replication_tasks(
                Filters=[{"Name": "replication-task-arn", "Values": [arn]}], WithoutSettings=True
            )
        tasks = response.get("ReplicationTasks", [])
        if not tasks:
            raise DmsRequestRejected(f"the DMS task {arn} no longer exists")
        return _task(tasks[0])

    def create_cdc_task(self, spec: CdcTaskSpec) -> ReplicationTask:
        """Create the task; one that already exists (a retried create that got no answer)
        is found and returned instead."""
        response = _call(
            "DMS CreateReplicationTask",
            lambda: self._dms.create_replication_task(
                ReplicationTaskIdentifier=spec.identifier,
                SourceEndpointArn=spec.source_endpoint_arn,
                TargetEndpointArn=spec.target_endpoint_arn,
                ReplicationInstanceArn=spec.replication_instance_arn,
                MigrationType="cdc",
                TableMappings=spec.table_mappings,
                ReplicationTaskSettings=json.dumps(task_settings(spec.validation)),
                Tags=[{"Key": key, "Value": value} for key, value in spec.tags.items()],
            ),
            tolerated="ResourceAlreadyExistsFault",
            refuse_the_rest=True,
        )
        if response is not None:
            return _task(response["ReplicationTask"])
        found = self.find_task(spec.identifier)
        if found is None:
            raise DmsRequestRejected(f"DMS says task {spec.identifier} exists but does not list it")
        return found

    def start_cdc(self, arn: str, cdc_start_position: str) -> ReplicationTask:
        with aws_call("DMS StartReplicationTask", permanent=_rejected):
            response = self._dms.start_replication_task(
                ReplicationTaskArn=arn,
                StartReplicationTaskType="start-replication",
                CdcStartPosition=cdc_start_position,
            )
        return _task(response["ReplicationTask"])

    def modify_table_mappings(self, arn: str, table_mappings: str) -> ReplicationTask:
        """Give a task that is not running new table mappings; DMS takes it to ``modifying``,
        then back to ``ready``."""
        with aws_call("DMS ModifyReplicationTask", permanent=_rejected):
            response = self._dms.modify_replication_task(
                ReplicationTaskArn=arn, TableMappings=table_mappings
            )
        return _task(response["ReplicationTask"])

    def table_statistics(self, arn: str) -> list[TableStatistic]:
        """Every table's CDC counts and state (DescribeTableStatistics, all pages)."""

        def fetch(marker: dict[str, str]) -> Any:
            return _call(
                "DMS DescribeTableStatistics",
                lambda: self._dms.describe_table_statistics(
                    ReplicationTaskArn=arn, MaxRecords=500, **marker
                ),
                tolerated="ResourceNotFoundFault",
            )

        return [_statistic(t) for page in _paged(fetch) for t in page.get("TableStatistics", [])]

    def applicable_assessments(self, task_arn: str) -> list[str]:
        """The individual assessments DMS can run for this task."""

        def fetch(marker: dict[str, str]) -> Any:
            with aws_call("DMS DescribeApplicableIndividualAssessments", permanent=_rejected):
                return self._dms.describe_applicable_individual_assessments(
                    ReplicationTaskArn=task_arn, **marker
                )

        return [
            name for page in _paged(fetch) for name in page.get("IndividualAssessmentNames", [])
        ]

    def find_assessment_run(self, task_arn: str, name: str) -> AssessmentRun | None:
        """This task's run named ``name`` (a retry finds the run it started)."""
        page = _call(
            "DMS DescribeReplicationTaskAssessmentRuns",
            lambda: self._dms.describe_replication_task_assessment_runs(
                Filters=[{"Name": "replication-task-arn", "Values": [task_arn]}]
            ),
            tolerated="ResourceNotFoundFault",
        )
        runs = (page or {}).get("ReplicationTaskAssessmentRuns", [])
        return next((_run(r) for r in runs if r.get("AssessmentRunName") == name), None)

    def start_assessment_run(self, spec: AssessmentSpec) -> AssessmentRun:
        with aws_call("DMS StartReplicationTaskAssessmentRun", permanent=_rejected):
            response = self._dms.start_replication_task_assessment_run(
                ReplicationTaskArn=spec.task_arn,
                ServiceAccessRoleArn=spec.role_arn,
                ResultLocationBucket=spec.bucket,
                ResultLocationFolder=spec.folder,
                ResultEncryptionMode="SSE_S3",
                AssessmentRunName=spec.name,
                IncludeOnly=list(spec.include_only),
            )
        return _run(response["ReplicationTaskAssessmentRun"])

    def individual_assessments(self, run_arn: str) -> dict[str, str]:
        """Each individual assessment of a run: its name and status (passed, failed, ...)."""
        by_run = [{"Name": "replication-task-assessment-run-arn", "Values": [run_arn]}]

        def fetch(marker: dict[str, str]) -> Any:
            with aws_call("DMS DescribeReplicationTaskIndividualAssessments", permanent=_rejected):
                return self._dms.describe_replication_task_individual_assessments(
                    Filters=by_run, **marker
                )

        return {
            str(item.get("IndividualAssessmentName")): str(item.get("Status"))
            for page in _paged(fetch)
            for item in page.get("ReplicationTaskIndividualAssessments", [])
        }

    def delete_task(self, arn: str) -> ReplicationTask | None:
        """Ask DMS to delete the (stopped) task; None once it is gone."""
        response = _call(
            "DMS DeleteReplicationTask",
            lambda: self._dms.delete_replication_task(ReplicationTaskArn=arn),
            tolerated="ResourceNotFoundFault",
        )
        return _task(response["ReplicationTask"]) if response else None

    def stop_task(self, arn: str) -> ReplicationTask:
        """Ask DMS to stop the task; a task that is not running is left as it is."""
        try:
            with aws_call("DMS StopReplicationTask"):
                response = self._dms.stop_replication_task(ReplicationTaskArn=arn)
        except ClientError as error:
            # Stopped, stopping or failed already: a retried stop changes nothing.
            if error_code(error) == "InvalidResourceStateFault":
                return self.describe_task(arn)
            mapped = _rejected(error)
            raise (mapped or error) from error
        return _task(response["ReplicationTask"])

    def replication_instance_identifier(self, arn: str) -> str:
        """The instance's name, which CloudWatch uses as a dimension (the ARN ends in an id)."""
        with aws_call("DMS DescribeReplicationInstances", permanent=_rejected):
            response = self._dms.describe_replication_instances(
                Filters=[{"Name": "replication-instance-arn", "Values": [arn]}]
            )
        instances = response.get("ReplicationInstances", [])
        if not instances:
            raise DmsRequestRejected(f"the DMS replication instance {arn} does not exist")
        return str(instances[0]["ReplicationInstanceIdentifier"])


def _task(raw: dict[str, Any]) -> ReplicationTask:
    return ReplicationTask(
        arn=str(raw["ReplicationTaskArn"]),
        identifier=str(raw.get("ReplicationTaskIdentifier", "")),
        status=str(raw.get("Status", "")),
        stop_reason=str(raw.get("StopReason", "")),
        last_failure_message=str(raw.get("LastFailureMessage", "")),
        started=bool(raw.get("ReplicationTaskStartDate")),
        source_endpoint_arn=str(raw.get("SourceEndpointArn", "")),
        target_endpoint_arn=str(raw.get("TargetEndpointArn", "")),
        table_mappings=str(raw.get("TableMappings", "")),
    )


def _paged(fetch: Callable[[dict[str, str]], Any]) -> Iterator[dict[str, Any]]:
    """Every page of a DMS Describe call; ``fetch`` takes the Marker argument (none at first)
    and answers None when the call's tolerated error says there is nothing."""
    marker: dict[str, str] = {}
    while (page := fetch(marker)) is not None:
        yield page
        if not page.get("Marker"):
            return
        marker = {"Marker": str(page["Marker"])}


def _run(raw: dict[str, Any]) -> AssessmentRun:
    return AssessmentRun(
        arn=str(raw["ReplicationTaskAssessmentRunArn"]),
        name=str(raw.get("AssessmentRunName", "")),
        status=str(raw.get("Status", "")),
        last_failure_message=str(raw.get("LastFailureMessage", "")),
    )


def _statistic(raw: dict[str, Any]) -> TableStatistic:
    return TableStatistic(
        schema=str(raw.get("SchemaName", "")),
        table=str(raw.get("TableName", "")),
        state=str(raw.get("TableState", "")),
        inserts=int(raw.get("Inserts", 0)),
        updates=int(raw.get("Updates", 0)),
        deletes=int(raw.get("Deletes", 0)),
        validation_state=str(raw.get("ValidationState", "")),
        validation_pending=int(raw.get("ValidationPendingRecords", 0)),
        validation_failed=int(raw.get("ValidationFailedRecords", 0)),
        validation_suspended=int(raw.get("ValidationSuspendedRecords", 0)),
    )


def _connection(raw: dict[str, Any]) -> ConnectionTest:
    return ConnectionTest(
        status=str(raw.get("Status", "")), failure_message=str(raw.get("LastFailureMessage", ""))
    )

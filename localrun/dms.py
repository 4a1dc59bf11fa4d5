"""AWS DMS where moto falls short: task lifecycle, CDC start position, CDC latency metrics.

moto's DMS backend stores tasks, instances and endpoints, and answers the API; this module
wraps a few of its methods so the tasks behave like DMS over *simulated* time:

* a new task is ``creating`` for ``ready_after``, then ``ready`` (moto: ``creating`` forever);
* ``StartReplicationTask`` is refused unless the task is ``ready`` (moto starts from any
  state); the ``StartReplicationTaskType`` and ``CdcStartPosition`` are recorded and
  checked for a DMS-accepted form (moto drops both); the task is ``starting`` for
  ``starting_for``, then ``running``;
* ``refuse_task_creation(message)`` makes ``CreateReplicationTask`` fail as DMS refuses a
  request (``InvalidParameterValueException`` with that message);
* ``fail(task, message)`` makes a task ``failed`` with DMS's ``StopReason`` and
  ``LastFailureMessage`` (fields moto never returns);
* while a task runs, DMS publishes ``AWS/DMS`` ``CDCLatencySource``/``CDCLatencyTarget``
  each minute, with the dimensions DMS uses (``ReplicationInstanceIdentifier`` = the
  instance's name, ``ReplicationTaskIdentifier`` = the last part of the task ARN). The
  latency starts at ``CdcLatencyProfile.initial_seconds`` and falls as CDC catches up; the
  datapoints go into moto's CloudWatch backend, so ``GetMetricData`` reads them as usual;
* task ARNs end in a random resource id like DMS's (moto: the task identifier), so code that
  confuses the identifier with the resource id fails locally as it would in AWS;
* ``DescribeReplicationTasks`` with filters that match nothing raises
  ``ResourceNotFoundFault`` as DMS does (moto: an empty list);
* ``StopReplicationTask`` is accepted from ``running`` or ``starting`` only
  (``InvalidResourceStateFault`` otherwise, as DMS); the task is ``stopping`` for
  ``stopping_for``, then ``stopped`` with ``StopReason`` "Stop Reason NORMAL", and DMS
  publishes no latency after the stop request (moto: ``stopped`` at once);
* ``DeleteReplicationTask`` is refused while the task is ``starting``, ``running`` or
  ``stopping`` (``InvalidResourceStateFault``; DMS user guide, "Deleting a replication
  instance": "you must stop and delete the tasks"); an accepted delete leaves the task
  ``deleting`` for ``deleting_for`` before it is gone, so its endpoints cannot be deleted
  until then (moto deletes it at once);
* ``stop_source_writes(task)`` stands for the operator stopping writes to the source at
  cutover: from then on the latency falls to ``CdcLatencyProfile.drained_seconds`` within
  seconds, as DMS has nothing left to apply;
* ``ModifyReplicationTask`` (moto has none) takes new table mappings while the task is not
  running (``InvalidResourceStateFault`` otherwise); the task is ``modifying`` for
  ``modifying_for``, then ``ready``;
* ``DescribeTableStatistics`` (moto has none) lists, once the task started, every table of
  the target database its mappings select (``tables_of``), ``TableState`` "Table completed",
  or "Table error" for a table ``suspend_table`` names; the task stays ``running``, as DMS
  leaves it when it suspends a table (DMS API reference, TableStatistics). With
  ``ValidationSettings.EnableValidation`` in the task's settings each table reports
  validation: "for a CDC only task with validation enabled, all pre-existing data in a table
  is validated before starting validation of new data" (DMS user guide, "AWS DMS data
  validation"), so every table is "Pending records" (``ValidationPendingRecords``
  ``pending_rows``) for ``validating_for`` after the start, then "Validated"; without it,
  "Not enabled". ``set_validation`` sets a table's counts (failed records make it
  "Mismatched records"), ``set_changes`` its Inserts/Updates/Deletes;
* a start is checked against the source (``start_refusal``): a native start point on a
  source database with no publication, or one the source's log no longer holds, makes the
  task ``failed`` once it was ``starting`` for ``starting_for``, with DMS's message (the
  missing-LSN text is the DMS user guide's, "Capturing data changes for ongoing replication
  from SQL Server"; DMS documents no text for a missing publication, so that one is ours).

* as a task becomes ``running``, ``stopped``, ``failed`` or is gone, DMS sends a "DMS
  Replication Task State Change" event to EventBridge (``take_events``; the runtime delivers
  them to the template's rules). The stand-in notices a status when it brings tasks to the
  clock's time (any DMS call, ``fail``, ``take_events``), so a ``fails_at`` failure is
  announced at the next look, not at its exact second;
* ``AddTagsToResource`` (moto has none) tags a task or endpoint that exists
  (``ResourceNotFoundFault`` otherwise);
* premigration assessment runs (moto has none): ``localrun.dmsassessments``.

Not modelled: full load, task settings validation, resume, row counts in table statistics.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import string
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends
from moto.dms.exceptions import DmsClientError, InvalidResourceStateFault, ResourceNotFoundFault
from moto.dms.models import DatabaseMigrationServiceBackend, FakeReplicationTask, dms_backends
from moto.dms.responses import DatabaseMigrationServiceResponse

from localrun.clock import ManualClock
from localrun.dmsassessments import SimulatedAssessments
from localrun.events import aws_event

# CdcStartPosition forms DMS accepts: a native LSN (fn_dblog form), a checkpoint, a time.
_NATIVE_LSN = re.compile(r"[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{4}")
_CHECKPOINT = re.compile(r"checkpoint:V1#.+")
_START_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


# The EventBridge events DMS sends when a task changes state, by the status it reaches
# (category, eventType, detailMessage). The DMS user guide ("Working with Amazon EventBridge
# events and notifications") shows the form with REPLICATION_TASK_STARTED and lists the
# messages; the other eventType names are not in it (bak2rds does not rely on them).
TASK_EVENTS = {
    "running": ("StateChange", "REPLICATION_TASK_STARTED", "The replication task has started."),
    "stopped": ("StateChange", "REPLICATION_TASK_STOPPED", "The replication task has stopped."),
    "failed": ("Failure", "REPLICATION_TASK_FAILED", "The replication task has failed."),
    "deleted": ("Deletion", "REPLICATION_TASK_DELETED", "Replication task was deleted."),
}


class InvalidParameterValueException(DmsClientError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidParameterValueException", message)


@dataclass(frozen=True)
class CdcLatencyProfile:
    """How CDC latency evolves once a task runs: from ``initial_seconds``, falling by
    ``catch_up_per_second`` each simulated second, to ``floor_seconds``; the target side
    trails the source side by ``target_lag_seconds``."""

    initial_seconds: float = 1800.0
    catch_up_per_second: float = 1.5
    floor_seconds: float = 4.0
    target_lag_seconds: float = 2.0
    drained_seconds: float = 0.0  # once writes to the source stop
    drain_per_second: float = 1.0

    def source_at(self, running_for: timedelta) -> float:
        falling = self.initial_seconds - self.catch_up_per_second * running_for.total_seconds()
        return round(max(self.floor_seconds, falling), 1)

    def target_at(self, running_for: timedelta) -> float:
        return round(self.source_at(running_for) + self.target_lag_seconds, 1)

    def drained(self, latency: float, since_writes_stopped: timedelta) -> float:
        falling = latency - self.drain_per_second * since_writes_stopped.total_seconds()
        return round(max(self.drained_seconds, falling), 1)


@dataclass
class SimulatedTask:
    """What the stand-in knows of one DMS task, beyond what moto stores."""

    arn: str
    identifier: str
    replication_instance_arn: str
    created_at: datetime
    start_type: str | None = None
    cdc_start_position: str | None = None
    start_requested_at: datetime | None = None
    failure: str | None = None
    stop_requested_at: datetime | None = None
    delete_requested_at: datetime | None = None
    writes_stopped_at: datetime | None = None  # the operator stopped writes to the source
    fails_at: datetime | None = None  # with ``failure``: a start DMS cannot go on with
    modifying_until: datetime | None = None
    suspended: set[tuple[str, str]] = field(default_factory=set)  # (schema, table)
    validation: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    changes: dict[tuple[str, str], tuple[int, int, int]] = field(default_factory=dict)
    metrics_until: datetime | None = None  # last minute a datapoint was published for
    status_history: list[tuple[datetime, str]] = field(default_factory=list)

    @property
    def resource_id(self) -> str:
        return self.arn.rsplit(":", 1)[-1]


class SimulatedDms:
    def __init__(
        self,
        clock: ManualClock,
        account_id: str,
        region: str,
        ready_after: timedelta = timedelta(minutes=3),
        starting_for: timedelta = timedelta(minutes=1),
        latency: CdcLatencyProfile | None = None,
        stopping_for: timedelta = timedelta(seconds=40),
        deleting_for: timedelta = timedelta(seconds=45),
        modifying_for: timedelta = timedelta(seconds=40),
        validating_for: timedelta = timedelta(minutes=20),
        tables_of: Callable[[FakeReplicationTask], list[tuple[str, str]]] | None = None,
        start_refusal: Callable[[FakeReplicationTask, str | None], str | None] | None = None,
    ) -> None:
        self.clock = clock
        self.account_id = account_id
        self.region = region
        self.ready_after = ready_after
        self.starting_for = starting_for
        self.stopping_for = stopping_for
        self.deleting_for = deleting_for
        self.modifying_for = modifying_for
        # the first pass of validation over the restored rows, and how many it holds pending
        self.validating_for = validating_for
        self.pending_rows = 1000
        self.tables_of = tables_of or (lambda task: [])
        self.start_refusal = start_refusal or (lambda task, position: None)
        self.deleted_tasks: list[str] = []  # identifiers, once DMS has removed them
        self.extra_latency: tuple[datetime, float] | None = None  # since when, how much
        self.latency = latency or CdcLatencyProfile()
        self.tasks: dict[str, SimulatedTask] = {}
        self.creation_refusal: str | None = None  # refuse_task_creation's message
        # EventBridge events DMS sent, as a task reached a status (``take_events``)
        self.events: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self.assessments = SimulatedAssessments(self)

    # ------------------------------------------------------------------ test controls
    def task(self, arn_or_identifier: str) -> SimulatedTask:
        with self._lock:
            for task in self.tasks.values():
                if arn_or_identifier in (task.arn, task.identifier):
                    return task
        raise KeyError(f"no DMS task {arn_or_identifier!r}")

    def status(self, arn_or_identifier: str) -> str:
        with self._lock:
            task = self.task(arn_or_identifier)
            self._refresh()
            if task.arn not in self._backend().replication_tasks:
                return "deleted"
            return str(self._moto_task(task.arn).status)

    def fail(self, arn_or_identifier: str, message: str) -> None:
        """The task fails now, as DMS reports it (status, StopReason, LastFailureMessage)."""
        with self._lock:
            self.task(arn_or_identifier).failure = message
            self._refresh()

    def suspend_table(self, arn_or_identifier: str, schema: str, table: str) -> None:
        """DMS stops replicating one table of the task (it reports "Table error")."""
        with self._lock:
            self.task(arn_or_identifier).suspended.add((schema, table))

    def set_validation(
        self,
        arn_or_identifier: str,
        schema: str,
        table: str,
        *,
        failed: int = 0,
        pending: int = 0,
        suspended: int = 0,
        state: str | None = None,
    ) -> None:
        """A table's validation from now on, as DescribeTableStatistics reports it."""
        if state is None:
            state = (
                "Mismatched records"
                if failed
                else "Suspended records"
                if suspended
                else "Pending records"
                if pending
                else "Validated"
            )
        with self._lock:
            self.task(arn_or_identifier).validation[(schema, table)] = {
                "ValidationState": state,
                "ValidationFailedRecords": failed,
                "ValidationPendingRecords": pending,
                "ValidationSuspendedRecords": suspended,
            }

    def set_changes(
        self,
        arn_or_identifier: str,
        schema: str,
        table: str,
        inserts: int,
        updates: int,
        deletes: int,
    ) -> None:
        with self._lock:
            self.task(arn_or_identifier).changes[(schema, table)] = (inserts, updates, deletes)

    def refuse_task_creation(self, message: str | None) -> None:
        """From now on CreateReplicationTask fails with ``message`` as DMS's
        InvalidParameterValueException (None: it works again)."""
        self.creation_refusal = message

    def fall_behind(self, seconds: float) -> None:
        """From now on every task's latency is ``seconds`` higher (a batch job on the
        source, say); ``fall_behind(0)`` ends it."""
        with self._lock:
            self.extra_latency = (self.clock.now(), seconds)

    def stop_source_writes(self, arn_or_identifier: str | None = None) -> None:
        """The operator stops writes to the source (of one task, or of every task) now."""
        with self._lock:
            tasks = (
                [self.task(arn_or_identifier)] if arn_or_identifier else list(self.tasks.values())
            )
            for task in tasks:
                task.writes_stopped_at = task.writes_stopped_at or self.clock.now()

    # ------------------------------------------------------------------ moto wiring
    @contextlib.contextmanager
    def installed(self) -> Iterator[SimulatedDms]:
        """Patch moto's DMS and CloudWatch backends for the duration of the block."""
        stand_in = self
        create = DatabaseMigrationServiceBackend.create_replication_task
        describe = DatabaseMigrationServiceBackend.describe_replication_tasks
        to_dict = FakeReplicationTask.to_dict
        get_metric_data = CloudWatchBackend.get_metric_data

        def create_replication_task(
            backend: DatabaseMigrationServiceBackend, **kwargs: Any
        ) -> FakeReplicationTask:
            if stand_in.creation_refusal is not None:
                raise InvalidParameterValueException(stand_in.creation_refusal)
            task = create(backend, **kwargs)
            return stand_in._adopt(backend, task)

        def describe_replication_tasks(
            backend: DatabaseMigrationServiceBackend, filters: list[dict[str, Any]], **kwargs: Any
        ) -> list[FakeReplicationTask]:
            with stand_in._lock:
                stand_in._refresh()
                found = list(describe(backend, filters=filters, **kwargs))
            if filters and not found:
                raise ResourceNotFoundFault("No Replication Tasks found matching provided filters")
            return found

        def start_replication_task(response: DatabaseMigrationServiceResponse) -> str:
            return stand_in._start(
                response.dms_backend,
                arn=response._get_param("ReplicationTaskArn"),
                start_type=response._get_param("StartReplicationTaskType"),
                position=response._get_param("CdcStartPosition"),
            )

        def delete_replication_task(
            backend: DatabaseMigrationServiceBackend, replication_task_arn: str
        ) -> FakeReplicationTask:
            return stand_in._delete(backend, replication_task_arn)

        def stop_replication_task(response: DatabaseMigrationServiceResponse) -> str:
            return stand_in._stop(response.dms_backend, response._get_param("ReplicationTaskArn"))

        def modify_replication_task(response: DatabaseMigrationServiceResponse) -> str:
            return stand_in._modify(
                response.dms_backend,
                response._get_param("ReplicationTaskArn"),
                response._get_param("TableMappings"),
            )

        def describe_table_statistics(response: DatabaseMigrationServiceResponse) -> str:
            return stand_in._table_statistics(
                response.dms_backend, response._get_param("ReplicationTaskArn")
            )

        def answered_by(
            method: Callable[[dict[str, Any]], str], names: tuple[str, ...]
        ) -> Callable[[DatabaseMigrationServiceResponse], str]:
            def respond(response: DatabaseMigrationServiceResponse) -> str:
                with stand_in._lock:
                    return method({name: response._get_param(name) for name in names})

            return respond

        assessment_patches = [
            (
                "describe_applicable_individual_assessments",
                self.assessments.applicable,
                ("ReplicationTaskArn",),
            ),
            (
                "start_replication_task_assessment_run",
                self.assessments.start,
                (
                    "ReplicationTaskArn",
                    "ServiceAccessRoleArn",
                    "ResultLocationBucket",
                    "ResultLocationFolder",
                    "AssessmentRunName",
                    "IncludeOnly",
                ),
            ),
            (
                "describe_replication_task_assessment_runs",
                self.assessments.describe_runs,
                ("Filters",),
            ),
            (
                "describe_replication_task_individual_assessments",
                self.assessments.describe_individual,
                ("Filters",),
            ),
        ]

        def task_to_dict(task: FakeReplicationTask) -> dict[str, Any]:
            return stand_in._describe(task, to_dict(task))

        def cloudwatch_get_metric_data(backend: CloudWatchBackend, **kwargs: Any) -> Any:
            stand_in.publish_metrics()
            return get_metric_data(backend, **kwargs)

        patches: list[Patch] = [
            (DatabaseMigrationServiceBackend, "create_replication_task", create_replication_task),
            (
                DatabaseMigrationServiceBackend,
                "describe_replication_tasks",
                describe_replication_tasks,
            ),
            (DatabaseMigrationServiceResponse, "start_replication_task", start_replication_task),
            (DatabaseMigrationServiceResponse, "stop_replication_task", stop_replication_task),
            (DatabaseMigrationServiceResponse, "modify_replication_task", modify_replication_task),
            (
                DatabaseMigrationServiceResponse,
                "describe_table_statistics",
                describe_table_statistics,
            ),
            (
                DatabaseMigrationServiceBackend,
                "delete_replication_task",
                delete_replication_task,
            ),
            (FakeReplicationTask, "to_dict", task_to_dict),
            *(
                (DatabaseMigrationServiceResponse, action, answered_by(method, names))
                for action, method, names in assessment_patches
            ),
            (CloudWatchBackend, "get_metric_data", cloudwatch_get_metric_data),
            (DatabaseMigrationServiceResponse, "add_tags_to_resource", add_tags_to_resource),
        ]
        with patched(patches):
            yield self

    def _backend(self) -> DatabaseMigrationServiceBackend:
        return dms_backends[self.account_id][self.region]

    def _moto_task(self, arn: str) -> FakeReplicationTask:
        return self._backend().replication_tasks[arn]

    def _adopt(
        self, backend: DatabaseMigrationServiceBackend, task: FakeReplicationTask
    ) -> FakeReplicationTask:
        """Give a new task a DMS-style ARN and start its simulated life."""
        with self._lock:
            old_arn = task.arn
            task.arn = f"{old_arn.rsplit(':', 1)[0]}:{resource_id()}"
            backend.replication_tasks[task.arn] = backend.replication_tasks.pop(old_arn)
            tags = backend.tagger.list_tags_for_resource(old_arn)["Tags"]
            backend.tagger.delete_all_tags_for_resource(old_arn)
            backend.tagger.tag_resource(task.arn, tags)
            now = self.clock.now()
            task.creation_date = now
            self.tasks[task.arn] = SimulatedTask(
                arn=task.arn,
                identifier=task.id,
                replication_instance_arn=task.replication_instance_arn,
                created_at=now,
            )
            self._refresh()
            return task

    def _known(
        self,
        backend: DatabaseMigrationServiceBackend,
        arn: str,
        missing: str = "Replication Task not found",
    ) -> tuple[FakeReplicationTask, SimulatedTask]:
        """The task ``arn`` brought to the clock's time, or DMS's not-found fault."""
        self._refresh()
        if arn not in backend.replication_tasks or arn not in self.tasks:
            raise ResourceNotFoundFault(missing)
        return backend.replication_tasks[arn], self.tasks[arn]

    def _start(
        self,
        backend: DatabaseMigrationServiceBackend,
        arn: str,
        start_type: str | None,
        position: str | None,
    ) -> str:
        with self._lock:
            task, simulated = self._known(backend, arn)
            if start_type not in {"start-replication", "resume-processing", "reload-target"}:
                raise InvalidParameterValueException(
                    f"Invalid StartReplicationTaskType: {start_type}"
                )
            if task.status != "ready" or simulated.start_requested_at is not None:
                raise InvalidResourceStateFault(
                    f"Replication task is in state {task.status}, cannot be started with "
                    f"{start_type} (it must be ready and never started)"
                )
            if position is not None and not any(
                form.fullmatch(position) for form in (_NATIVE_LSN, _CHECKPOINT, _START_TIME)
            ):
                raise InvalidParameterValueException(f"Invalid CdcStartPosition: {position}")
            simulated.start_type, simulated.cdc_start_position = start_type, position
            simulated.start_requested_at = self.clock.now()
            refusal = self.start_refusal(task, position)
            if refusal is not None:  # DMS accepts the start, then the capture fails
                simulated.failure = refusal
                simulated.fails_at = simulated.start_requested_at + self.starting_for
            self._refresh()
            return json.dumps({"ReplicationTask": task.to_dict()})

    def _modify(
        self, backend: DatabaseMigrationServiceBackend, arn: str, table_mappings: str | None
    ) -> str:
        with self._lock:
            task, simulated = self._known(backend, arn)
            if task.status not in {"ready", "stopped", "failed"}:
                raise InvalidResourceStateFault(
                    f"Replication task is in state {task.status}: it can be modified only when "
                    "it is not running"
                )
            if table_mappings is not None:
                json.loads(table_mappings)  # DMS refuses a mapping that is not JSON
                task.table_mappings = table_mappings
            simulated.modifying_until = self.clock.now() + self.modifying_for
            self._refresh()
            return json.dumps({"ReplicationTask": task.to_dict()})

    def _table_statistics(self, backend: DatabaseMigrationServiceBackend, arn: str) -> str:
        with self._lock:
            task, simulated = self._known(backend, arn)
            tables = self.tables_of(task) if simulated.start_requested_at else []
            statistics = [
                {
                    "SchemaName": schema,
                    "TableName": table,
                    "TableState": (
                        "Table error"
                        if (schema, table) in simulated.suspended
                        else "Table completed"
                    ),
                    **dict(
                        zip(
                            ("Inserts", "Updates", "Deletes"),
                            simulated.changes.get((schema, table), (0, 0, 0)),
                            strict=True,
                        )
                    ),
                    "Ddls": 0,
                    **self._validation_of(task, simulated, (schema, table)),
                }
                for schema, table in tables
            ]
            return json.dumps({"ReplicationTaskArn": arn, "TableStatistics": statistics})

    def _validation_of(
        self, task: FakeReplicationTask, simulated: SimulatedTask, table: tuple[str, str]
    ) -> dict[str, Any]:
        settings = json.loads(task.replication_task_settings or "{}")
        if not settings.get("ValidationSettings", {}).get("EnableValidation"):
            return {"ValidationState": "Not enabled"}
        if table in simulated.suspended:  # not validated: "Table error" (API reference)
            return {"ValidationState": "Table error"}
        if table in simulated.validation:
            return simulated.validation[table]
        started = simulated.start_requested_at
        if started is not None and self.clock.now() < started + self.validating_for:
            return {
                "ValidationState": "Pending records",
                "ValidationPendingRecords": self.pending_rows,
                "ValidationFailedRecords": 0,
                "ValidationSuspendedRecords": 0,
            }
        return {
            "ValidationState": "Validated",
            "ValidationPendingRecords": 0,
            "ValidationFailedRecords": 0,
            "ValidationSuspendedRecords": 0,
        }

    def _stop(self, backend: DatabaseMigrationServiceBackend, arn: str) -> str:
        with self._lock:
            task, simulated = self._known(backend, arn)
            if task.status not in {"running", "starting"} or simulated.stop_requested_at:
                raise InvalidResourceStateFault(
                    f"Replication task is in state {task.status}, it cannot be stopped"
                )
            simulated.stop_requested_at = self.clock.now()
            self._refresh()
            return json.dumps({"ReplicationTask": task.to_dict()})

    def _delete(self, backend: DatabaseMigrationServiceBackend, arn: str) -> FakeReplicationTask:
        with self._lock:
            task, simulated = self._known(backend, arn, "Replication task could not be found.")
            if task.status in {"starting", "running", "stopping"}:
                raise InvalidResourceStateFault(
                    f"Replication task {task.id} is {task.status}: stop it before deleting it"
                )
            simulated.delete_requested_at = simulated.delete_requested_at or self.clock.now()
            self._refresh()
            return task

    def _describe(self, task: FakeReplicationTask, described: dict[str, Any]) -> dict[str, Any]:
        simulated = self.tasks.get(task.arn)
        if simulated is None:
            return described
        started = simulated.start_requested_at
        described["ReplicationTaskStartDate"] = started.isoformat() if started else None
        if simulated.cdc_start_position is not None:
            described["CdcStartPosition"] = simulated.cdc_start_position
        if simulated.failure is not None and described.get("Status") == "failed":
            described["StopReason"] = "Stop Reason FATAL_ERROR"
            described["LastFailureMessage"] = simulated.failure
        elif described.get("Status") == "stopped":
            described["StopReason"] = "Stop Reason NORMAL"
        return described

    def _refresh(self) -> None:
        """Bring every task's status to the clock's time."""
        now = self.clock.now()
        backend = self._backend()
        for simulated in self.tasks.values():
            task = backend.replication_tasks.get(simulated.arn)
            if task is None:
                continue
            deleted = simulated.delete_requested_at
            if deleted is not None and now >= deleted + self.deleting_for:
                del backend.replication_tasks[simulated.arn]  # gone, as DMS leaves it
                self.deleted_tasks.append(simulated.identifier)
                self.events.append(self._task_event(simulated, "deleted", now))
                continue
            status = self._status_at(simulated, now)
            if status != task.status:
                task.status = status
                simulated.status_history.append((now, status))
                if status in TASK_EVENTS:
                    self.events.append(self._task_event(simulated, status, now))
            task.start_date = simulated.start_requested_at

    def take_events(self) -> list[dict[str, Any]]:
        """The EventBridge events DMS sent since the last call (oldest first)."""
        with self._lock:
            self._refresh()
            taken, self.events = self.events, []
            return taken

    def _task_event(self, task: SimulatedTask, status: str, now: datetime) -> dict[str, Any]:
        category, event_type, message = TASK_EVENTS[status]
        if status in {"failed", "stopped"}:
            message = f"{message} {task.failure or 'Stop Reason NORMAL'}"
        return aws_event(
            "DMS Replication Task State Change",
            "aws.dms",
            account=self.account_id,
            region=self.region,
            time=now,
            resources=[task.arn],
            detail={
                "type": "ReplicationTask",
                "category": category,
                "eventType": event_type,
                "resourceLink": (
                    f"https://console.aws.amazon.com/dms/v2/home?region={self.region}"
                    f"#taskDetails/{task.identifier}"
                ),
                "detailMessage": message,
            },
        )

    def _status_at(self, task: SimulatedTask, now: datetime) -> str:
        if task.delete_requested_at is not None:
            return "deleting"
        if task.failure is not None and (task.fails_at is None or now >= task.fails_at):
            return "failed"
        if task.stop_requested_at is not None:
            done = now >= task.stop_requested_at + self.stopping_for
            return "stopped" if done else "stopping"
        if task.start_requested_at is None:
            if task.modifying_until is not None and now < task.modifying_until:
                return "modifying"
            return "ready" if now >= task.created_at + self.ready_after else "creating"
        return "running" if now >= self._running_since(task) else "starting"

    def _running_since(self, task: SimulatedTask) -> datetime:
        assert task.start_requested_at is not None
        return task.start_requested_at + self.starting_for

    # ------------------------------------------------------------------ CloudWatch
    def publish_metrics(self) -> None:
        """Publish the per-minute CDC latency datapoints of running tasks up to now."""
        with self._lock:
            self._refresh()
            now = self.clock.now()
            for task in self.tasks.values():
                if task.start_requested_at is None or task.failure is not None:
                    continue
                since = self._running_since(task)
                minute = _minute(max(since, now - timedelta(minutes=15)))
                if task.metrics_until is not None:
                    minute = max(minute, task.metrics_until + timedelta(minutes=1))
                last = min(now, task.stop_requested_at or now)  # nothing after a stop
                while minute <= last:
                    if minute >= since:
                        self._put_latency(task, minute, minute - since)
                    task.metrics_until = minute
                    minute += timedelta(minutes=1)

    def _put_latency(self, task: SimulatedTask, at: datetime, running_for: timedelta) -> None:
        source = self.latency.source_at(running_for)
        target = self.latency.target_at(running_for)
        if self.extra_latency is not None and at >= _minute(self.extra_latency[0]):
            source, target = source + self.extra_latency[1], target + self.extra_latency[1]
        if task.writes_stopped_at is not None and at >= task.writes_stopped_at:
            since = at - task.writes_stopped_at
            source, target = (
                self.latency.drained(source, since),
                self.latency.drained(target, since),
            )
        instance = self._backend().replication_instances.get(task.replication_instance_arn)
        dimensions = [
            {"Name": "ReplicationInstanceIdentifier", "Value": instance.id if instance else ""},
            {"Name": "ReplicationTaskIdentifier", "Value": task.resource_id},
        ]
        cloudwatch_backends[self.account_id][self.region].put_metric_data(
            "AWS/DMS",
            [
                {
                    "MetricName": name,
                    "Value": value,
                    "Unit": "Seconds",
                    "Dimensions": dimensions,
                    "Timestamp": at.astimezone(UTC).replace(tzinfo=None),  # moto keeps naive UTC
                }
                for name, value in (("CDCLatencySource", source), ("CDCLatencyTarget", target))
            ],
        )


Patch = tuple[type, str, Callable[..., Any]]  # (class, attribute, replacement)


@contextlib.contextmanager
def patched(patches: list[Patch]) -> Iterator[None]:
    """Replace each class attribute for the duration of the block (moto's backends)."""
    with contextlib.ExitStack() as stack:
        for owner, name, replacement in patches:
            stack.enter_context(mock.patch.object(owner, name, replacement, create=True))
        yield


def add_tags_to_resource(response: DatabaseMigrationServiceResponse) -> str:
    """DMS AddTagsToResource (moto has none): tags a task or an endpoint that exists
    (``ResourceNotFoundFault`` otherwise, as DMS answers)."""
    backend = response.dms_backend
    arn = str(response._get_param("ResourceArn"))
    known = {*backend.replication_tasks, *(e.endpoint_arn for e in backend.endpoints.values())}
    if arn not in known:
        raise ResourceNotFoundFault(f"Resource {arn} not found")
    tags = response._get_param("Tags") or []
    backend.tag_resource(arn, {str(t["Key"]): str(t.get("Value", "")) for t in tags})
    return "{}"


def resource_id() -> str:
    """A DMS-style resource id: 26 upper-case letters and digits, starting with a letter."""
    alphabet = string.ascii_uppercase + string.digits
    return random.choice(string.ascii_uppercase) + "".join(random.choices(alphabet, k=25))


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)

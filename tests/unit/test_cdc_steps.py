"""Create CDC Task, Start CDC Task and Check CDC with in-memory DMS and CloudWatch fakes."""

from dataclasses import dataclass, field, replace
from datetime import datetime

import pytest

from bak2rds.adapters.cloudwatch import CdcLatency
from bak2rds.adapters.dms import CdcTaskSpec, ReplicationTask, TableStatistic
from bak2rds.config import CdcSettings, DmsSettings
from bak2rds.errors import CdcTaskFailed, DmsRequestRejected
from bak2rds.models import Cdc, TargetPrep
from bak2rds.steps import check_cdc, create_cdc_task, start_cdc_task
from bak2rds.table_scope import exclusions_of, in_scope
from localrun.clock import ManualClock
from tests import states

SETTINGS = DmsSettings(
    replication_instance_arn="arn:aws:dms:us-east-1:123456789012:rep:RI",
    table_mappings='{"rules":[]}',
    validation=True,
)
ALL_TABLES = (
    '{"rules":[{"rule-type":"selection","rule-id":"1","rule-name":"all",'
    '"object-locator":{"schema-name":"%","table-name":"%"},"rule-action":"include"}]}'
)
MIGRATION = states.MIGRATION
NOW = ManualClock().now()
START_LSN = states.START_LSN
TARGET_PREP = states.TARGET_PREP


@dataclass
class FakeDms:
    specs: list[CdcTaskSpec] = field(default_factory=list)
    task_tags: dict[str, dict[str, str]] = field(default_factory=dict)
    tasks: dict[str, ReplicationTask] = field(default_factory=dict)
    started_at: dict[str, str] = field(default_factory=dict)
    modified: list[str] = field(default_factory=list)
    statistics: list[TableStatistic] = field(default_factory=list)
    created: int = 0

    def find_task(self, identifier: str) -> ReplicationTask | None:
        return next((t for t in self.tasks.values() if t.identifier == identifier), None)

    def describe_task(self, arn: str) -> ReplicationTask:
        return self.tasks[arn]

    def create_cdc_task(self, spec: CdcTaskSpec) -> ReplicationTask:
        self.created += 1
        self.specs.append(spec)
        task = ReplicationTask(
            f"arn:aws:dms:us-east-1:123456789012:task:T{self.created}",
            spec.identifier,
            "creating",
            "",
            "",
            False,
            spec.source_endpoint_arn,
            spec.target_endpoint_arn,
        )
        self.tasks[task.arn] = task
        self.task_tags[task.arn] = dict(spec.tags)
        return task

    def start_cdc(self, arn: str, cdc_start_position: str) -> ReplicationTask:
        self.started_at[arn] = cdc_start_position
        self.tasks[arn] = replace(self.tasks[arn], status="starting", started=True)
        return self.tasks[arn]

    def modify_table_mappings(self, arn: str, table_mappings: str) -> ReplicationTask:
        self.modified.append(table_mappings)
        self.tasks[arn] = replace(
            self.tasks[arn], status="modifying", table_mappings=table_mappings
        )
        return self.tasks[arn]

    def table_statistics(self, arn: str) -> list[TableStatistic]:
        return self.statistics

    def set_status(self, arn: str, status: str, reason: str = "") -> None:
        self.tasks[arn] = replace(self.tasks[arn], status=status, last_failure_message=reason)

    def tags(self, arn: str) -> dict[str, str] | None:
        return self.task_tags.get(arn)

    def replication_instance_identifier(self, arn: str) -> str:
        return "ri-name"


@dataclass
class FakeMetrics:
    latency: CdcLatency = field(default_factory=lambda: CdcLatency(None, None))
    asked: list[tuple[str, str]] = field(default_factory=list)

    def latest_latency(self, instance: str, task: str, now: datetime) -> CdcLatency:
        self.asked.append((instance, task))
        return self.latency


def _created(dms: FakeDms) -> Cdc:
    return create_cdc_task.run("Northwind-0123abcd", states.DMS, dms, SETTINGS, "bak2rds")


def test_the_task_is_created_once_and_found_again_on_retry() -> None:
    dms = FakeDms()
    first = _created(dms)
    again = _created(dms)
    assert first["task_arn"] == again["task_arn"]
    assert first["task_id"] == "bak2rds-northwind-0123abcd"
    assert first["replication_instance_id"] == "ri-name"
    assert dms.created == 1


def test_a_task_with_this_migrations_name_that_it_did_not_make_is_never_used() -> None:
    dms = FakeDms()
    cdc = _created(dms)
    dms.task_tags[cdc["task_arn"]] = {"bak2rds:stack": "other", "bak2rds:execution": "x"}
    with pytest.raises(DmsRequestRejected, match="not made by this migration"):
        _created(dms)
    dms.task_tags[cdc["task_arn"]] = dict(dms.specs[0].tags)
    dms.tasks[cdc["task_arn"]] = replace(dms.tasks[cdc["task_arn"]], source_endpoint_arn="other")
    with pytest.raises(DmsRequestRejected, match="joins other endpoints"):
        _created(dms)
    assert dms.created == 1


def test_the_task_joins_this_migrations_endpoints_and_is_tagged_with_it() -> None:
    dms = FakeDms()
    _created(dms)
    (spec,) = dms.specs
    assert (spec.source_endpoint_arn, spec.target_endpoint_arn) == (
        states.DMS["source_endpoint_arn"],
        states.DMS["target_endpoint_arn"],
    )
    assert spec.replication_instance_arn == states.DMS["replication_instance_arn"]
    assert spec.tags == {"bak2rds:stack": "bak2rds", "bak2rds:execution": "Northwind-0123abcd"}


def test_the_task_starts_at_the_start_lsn_only_once_it_is_ready() -> None:
    dms = FakeDms()
    cdc = _created(dms)
    waiting = start_cdc_task.run(cdc, START_LSN, TARGET_PREP, dms, NOW)
    assert waiting["started"] is False
    dms.set_status(cdc["task_arn"], "ready")
    started = start_cdc_task.run(cdc, START_LSN, TARGET_PREP, dms, NOW)
    assert started["started"] is True
    assert dms.started_at == {cdc["task_arn"]: "00000014:000000f3:0001"}
    # a retry after the start went through does not start it again
    dms.started_at.clear()
    assert start_cdc_task.run(cdc, START_LSN, TARGET_PREP, dms, NOW)["started"] is True
    assert dms.started_at == {}


def test_keyless_tables_are_excluded_from_the_task_before_it_starts() -> None:
    dms = FakeDms()
    cdc = _created(dms)
    dms.tasks[cdc["task_arn"]] = replace(
        dms.tasks[cdc["task_arn"]], status="ready", table_mappings=ALL_TABLES
    )
    prepared: TargetPrep = {
        **TARGET_PREP,
        "keyless_policy": "exclude",
        "excluded_tables": [
            {"schema": "dbo", "table": "Audit_Log"},
            {"schema": "etl", "table": "50%"},
        ],
    }
    modifying = start_cdc_task.run(cdc, START_LSN, prepared, dms, NOW)
    assert (modifying["started"], modifying["status"], dms.started_at) == (False, "modifying", {})
    (mappings,) = dms.modified
    assert exclusions_of(mappings) == {("dbo", "Audit_Log"), ("etl", "50%")}
    assert not in_scope(mappings, "dbo", "Audit_Log") and not in_scope(mappings, "etl", "50%")
    assert in_scope(mappings, "dbo", "AuditXLog") and in_scope(mappings, "etl", "500")
    dms.set_status(cdc["task_arn"], "ready")  # DMS holds the new mappings: now it starts
    assert start_cdc_task.run(cdc, START_LSN, prepared, dms, NOW)["started"] is True
    assert len(dms.modified) == 1


def test_a_task_that_failed_before_start_is_reported() -> None:
    dms = FakeDms()
    cdc = _created(dms)
    dms.set_status(cdc["task_arn"], "failed", "endpoint test failed")
    with pytest.raises(CdcTaskFailed, match="endpoint test failed"):
        start_cdc_task.run(cdc, START_LSN, TARGET_PREP, dms, NOW)


def _check(cdc: Cdc, dms: FakeDms, metrics: FakeMetrics, clock: ManualClock) -> Cdc:
    return check_cdc.run(
        cdc,
        dms,
        metrics,
        CdcSettings(60, 3, validation=True, validation_must_finish=False),
        clock.now(),
    )


def test_ready_after_three_consecutive_checks_under_the_threshold() -> None:
    dms, metrics, clock = FakeDms(), FakeMetrics(), ManualClock()
    cdc = _created(dms)
    dms.set_status(cdc["task_arn"], "running")
    metrics.latency = CdcLatency(3600, 3500)
    cdc = _check(cdc, dms, metrics, clock)
    assert (cdc["ready"], cdc["good_checks"], cdc["latency_seconds"]) == (False, 0, 3600)
    assert metrics.asked == [("ri-name", "T1")]  # CloudWatch dimension is the ARN's resource id
    metrics.latency = CdcLatency(20, 45)
    for expected in (1, 2):
        clock.advance(cdc["wait_seconds"])
        cdc = _check(cdc, dms, metrics, clock)
        assert (cdc["ready"], cdc["good_checks"]) == (False, expected)
    metrics.latency = CdcLatency(20, 61)  # one bad check resets the streak
    cdc = _check(cdc, dms, metrics, clock)
    assert cdc["good_checks"] == 0
    metrics.latency = CdcLatency(5, 5)
    for _ in range(3):
        cdc = _check(cdc, dms, metrics, clock)
    assert cdc["ready"] is True


def test_missing_datapoints_never_count_as_caught_up() -> None:
    dms, metrics, clock = FakeDms(), FakeMetrics(CdcLatency(0, None)), ManualClock()
    cdc = _created(dms)
    dms.set_status(cdc["task_arn"], "running")
    for _ in range(5):
        cdc = _check(cdc, dms, metrics, clock)
    assert cdc["ready"] is False


@pytest.mark.parametrize(
    ("status", "code"), [("failed", "DMS_TASK_FAILED"), ("stopped", "DMS_TASK_STOPPED")]
)
def test_a_task_that_fails_or_stops_while_catching_up_ends_the_migration(
    status: str, code: str
) -> None:
    dms, metrics, clock = FakeDms(), FakeMetrics(), ManualClock()
    cdc = _created(dms)
    dms.set_status(cdc["task_arn"], status, "Last Error: log backup chain broken")
    with pytest.raises(CdcTaskFailed, match="log backup chain broken") as caught:
        _check(cdc, dms, metrics, clock)
    assert caught.value.code == code


def test_a_suspended_table_ends_the_wait_with_its_name() -> None:
    dms, metrics, clock = FakeDms(), FakeMetrics(CdcLatency(5, 5)), ManualClock()
    cdc = _created(dms)
    dms.set_status(cdc["task_arn"], "running")
    dms.statistics = [
        TableStatistic("dbo", "Orders", "Table completed", 10, 2, 0),
        TableStatistic("dbo", "Customers", "Table completed", 1, 0, 0),
    ]
    assert _check(cdc, dms, metrics, clock)["tables"] == 2
    dms.statistics[1] = replace(dms.statistics[1], state="Table error")
    with pytest.raises(
        CdcTaskFailed, match=r"1 table\(s\) are suspended.*\[dbo\]\.\[Customers\]"
    ) as caught:
        _check(cdc, dms, metrics, clock)
    assert caught.value.code == "DMS_TABLE_SUSPENDED"


def test_a_start_position_dms_cannot_read_is_told_apart_from_other_failures() -> None:
    dms, metrics, clock = FakeDms(), FakeMetrics(), ManualClock()
    cdc = _created(dms)
    dms.set_status(
        cdc["task_arn"],
        "failed",
        "[SOURCE_CAPTURE ]E: Failed to access LSN '00000014:000000f3:0001' in the backup log sets "
        "since BACKUP/LOG-s are not available. [1020465] (sqlserver_endpoint_capture.c:764)",
    )
    with pytest.raises(CdcTaskFailed, match="Failed to access LSN") as caught:
        _check(cdc, dms, metrics, clock)
    assert caught.value.code == "DMS_START_POSITION_UNAVAILABLE"


def _poll_while_preparing(cdc: Cdc, dms: FakeDms, clock: ManualClock, waits: list[int]) -> None:
    for _ in range(1000):
        cdc = start_cdc_task.run(cdc, START_LSN, TARGET_PREP, dms, clock.now())
        waits.append(cdc["wait_seconds"])
        clock.advance(cdc["wait_seconds"])


def test_a_task_that_never_becomes_ready_stops_the_migration_after_two_hours() -> None:
    dms, clock = FakeDms(), ManualClock()
    waits: list[int] = []
    with pytest.raises(DmsRequestRejected, match=r"still 'creating' after 1[23]\d minutes"):
        _poll_while_preparing(_created(dms), dms, clock, waits)
    # backing off keeps two hours of waiting to a few dozen checks, not 240
    assert waits[0] == 30
    assert len(waits) < 60

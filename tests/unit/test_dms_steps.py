"""Create DMS Endpoints, the connection tests and Remove DMS Resources, with an in-memory DMS."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

import pytest

from bak2rds.adapters.dms import ConnectionTest, DmsEndpoint, EndpointSpec, ReplicationTask
from bak2rds.config import DmsEndpointSettings
from bak2rds.errors import DmsEndpointUnreachable, DmsRequestRejected
from bak2rds.models import DmsCleanup, Migration, MigrationState
from bak2rds.steps import create_dms_endpoints, dms_connection, remove_dms_resources
from localrun.clock import ManualClock
from tests import states

EXECUTION = "Sales-0123abcd"
SETTINGS = DmsEndpointSettings(
    replication_instance_arn="arn:aws:dms:us-east-1:123456789012:rep:RI",
    access_role_arn="arn:aws:iam::123456789012:role/dms-secrets",
    source_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:src",
    source_ssl_mode="require",
    target_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:tgt",
    target_ssl_mode="none",
)
STACK = "bak2rds"


@dataclass
class FakeDms:
    endpoints: dict[str, DmsEndpoint] = field(default_factory=dict)  # by identifier
    specs: list[EndpointSpec] = field(default_factory=list)
    tests: dict[str, list[ConnectionTest]] = field(default_factory=dict)  # answers, in order
    tasks: dict[str, ReplicationTask] = field(default_factory=dict)
    task_tags: dict[str, dict[str, str]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)

    def find_endpoint(self, identifier: str) -> DmsEndpoint | None:
        return self.endpoints.get(identifier)

    def create_endpoint(self, spec: EndpointSpec) -> DmsEndpoint:
        self.specs.append(spec)
        endpoint = DmsEndpoint(
            f"arn:aws:dms:us-east-1:123456789012:endpoint:E{len(self.specs)}",
            spec.identifier,
            spec.role,
            spec.database_name,
            dict(spec.tags),
        )
        self.endpoints[spec.identifier] = endpoint
        return endpoint

    def test_connection(self, instance_arn: str, endpoint_arn: str) -> ConnectionTest:
        return ConnectionTest("testing", "")

    def connection(self, instance_arn: str, endpoint_arn: str) -> ConnectionTest | None:
        answers = self.tests.get(endpoint_arn) or [ConnectionTest("testing", "")]
        return answers.pop(0) if len(answers) > 1 else answers[0]

    def find_task(self, identifier: str) -> ReplicationTask | None:
        return next((t for t in self.tasks.values() if t.identifier == identifier), None)

    def delete_task(self, arn: str) -> ReplicationTask | None:
        self.tasks[arn] = replace(self.tasks[arn], status="deleting")
        return self.tasks[arn]

    def endpoint(self, arn: str) -> DmsEndpoint | None:
        return next((e for e in self.endpoints.values() if e.arn == arn), None)

    def delete_endpoint(self, arn: str) -> None:
        self.deleted.append(arn)
        self.endpoints = {i: e for i, e in self.endpoints.items() if e.arn != arn}

    def tags(self, arn: str) -> dict[str, str] | None:
        endpoint = self.endpoint(arn)
        return endpoint.tags if endpoint else self.task_tags.get(arn)


def _migration(source_database: str = "Sales_2019") -> Migration:
    return {**states.MIGRATION, "database_name": "Sales", "source_database": source_database}


def test_the_endpoints_read_the_backups_database_and_write_the_restored_one() -> None:
    dms = FakeDms()
    resources = create_dms_endpoints.run(EXECUTION, _migration(), dms, SETTINGS, STACK)
    source, target = dms.specs
    assert (source.role, source.database_name, source.secret_arn, source.ssl_mode) == (
        "source",
        "Sales_2019",
        SETTINGS.source_secret_arn,
        "require",
    )
    assert (target.role, target.database_name, target.secret_arn, target.ssl_mode) == (
        "target",
        "Sales",
        SETTINGS.target_secret_arn,
        "none",
    )
    assert {source.access_role_arn, target.access_role_arn} == {SETTINGS.access_role_arn}
    assert resources["source_endpoint_id"] == "bak2rds-sales-0123abcd-source"
    assert resources["target_endpoint_id"] == "bak2rds-sales-0123abcd-target"
    assert source.tags == {"bak2rds:stack": STACK, "bak2rds:execution": EXECUTION}


def test_a_retry_finds_the_endpoints_it_made_and_creates_nothing() -> None:
    dms = FakeDms()
    first = create_dms_endpoints.run(EXECUTION, _migration(), dms, SETTINGS, STACK)
    again = create_dms_endpoints.run(EXECUTION, _migration(), dms, SETTINGS, STACK)
    assert first == again
    assert len(dms.specs) == 2


def test_an_endpoint_with_this_name_but_someone_elses_tag_is_not_used() -> None:
    dms = FakeDms()
    create_dms_endpoints.run(EXECUTION, _migration(), dms, SETTINGS, STACK)
    identifier = "bak2rds-sales-0123abcd-source"
    dms.endpoints[identifier] = replace(
        dms.endpoints[identifier],
        tags={"bak2rds:stack": "other-stack", "bak2rds:execution": EXECUTION},
    )  # another stack watching the same bucket made one for the same upload
    with pytest.raises(DmsRequestRejected, match="not made by this migration"):
        create_dms_endpoints.run(EXECUTION, _migration(), dms, SETTINGS, STACK)


def _during_restore(dms: FakeDms) -> MigrationState:
    state = states.state()
    state["dms"] = create_dms_endpoints.run(EXECUTION, _migration(), dms, SETTINGS, STACK)
    for key in ("source_connection", "target_connection"):
        state.pop(key, None)  # type: ignore[misc]
    return state


def test_a_connection_test_is_followed_until_dms_says_successful() -> None:
    dms, clock = FakeDms(), ManualClock()
    state = _during_restore(dms)
    first = dms_connection.run("source", state, dms, clock.now())
    assert (first["status"], first["successful"]) == ("testing", False)
    state["source_connection"] = first
    dms.tests[state["dms"]["source_endpoint_arn"]] = [ConnectionTest("successful", "")]
    clock.advance(10)
    done = dms_connection.run("source", state, dms, clock.now())
    assert done["successful"] and done["started_at"] == first["started_at"]


@pytest.mark.parametrize(
    ("role", "code"), [("source", "DMS_SOURCE_UNREACHABLE"), ("target", "DMS_TARGET_UNREACHABLE")]
)
def test_a_failed_connection_test_stops_with_dms_own_message(role: str, code: str) -> None:
    dms, clock = FakeDms(), ManualClock()
    state = _during_restore(dms)
    endpoint = state["dms"]["source_endpoint_arn" if role == "source" else "target_endpoint_arn"]
    dms.tests[endpoint] = [ConnectionTest("failed", "Login failed for user 'dms'.")]
    first = dms_connection.run(role, state, dms, clock.now())  # type: ignore[arg-type]
    state[f"{role}_connection"] = first  # type: ignore[literal-required]
    with pytest.raises(DmsEndpointUnreachable, match="Login failed for user 'dms'") as caught:
        dms_connection.run(role, state, dms, clock.now())  # type: ignore[arg-type]
    assert caught.value.code == code


def test_a_connection_test_that_never_ends_fails_after_ten_minutes() -> None:
    dms, clock = FakeDms(), ManualClock()
    state = _during_restore(dms)
    state["source_connection"] = dms_connection.run("source", state, dms, clock.now())
    clock.advance(timedelta(minutes=9).total_seconds())
    dms_connection.run("source", state, dms, clock.now())
    clock.advance(timedelta(minutes=2).total_seconds())
    with pytest.raises(DmsEndpointUnreachable, match="still 'testing' after 11 minutes"):
        dms_connection.run("source", state, dms, clock.now())


def _after_cutover(dms: FakeDms) -> MigrationState:
    state = _during_restore(dms)
    task = ReplicationTask(
        state["cdc"]["task_arn"], state["cdc"]["task_id"], "stopped", "", "", True
    )
    dms.tasks[task.arn] = task
    dms.task_tags[task.arn] = {"bak2rds:stack": STACK, "bak2rds:execution": EXECUTION}
    return state


def _remove(
    state: MigrationState, previous: DmsCleanup | None, dms: FakeDms, clock: ManualClock
) -> DmsCleanup:
    return remove_dms_resources.run(
        EXECUTION, STACK, (state["cdc"], state["dms"], previous), dms, clock.now()
    )


def test_a_retry_after_a_crash_between_the_two_endpoint_deletes_finishes_the_job() -> None:
    dms, clock = FakeDms(), ManualClock()
    state = _after_cutover(dms)
    dms.tasks.clear()  # the task is gone
    dms.delete_endpoint(state["dms"]["source_endpoint_arn"])  # then the function died
    done = _remove(state, None, dms, clock)
    assert done["done"]
    assert dms.deleted == [state["dms"]["source_endpoint_arn"], state["dms"]["target_endpoint_arn"]]
    assert done["endpoints_deleted"] == [
        state["dms"]["source_endpoint_id"],
        state["dms"]["target_endpoint_id"],
    ]


def test_the_task_goes_first_then_the_endpoints() -> None:
    dms, clock = FakeDms(), ManualClock()
    state = _after_cutover(dms)
    first = _remove(state, None, dms, clock)
    assert (first["task_gone"], first["done"], dms.deleted) == (False, False, [])
    dms.tasks.clear()  # DMS finished deleting it
    clock.advance(30)
    done = _remove(state, first, dms, clock)
    assert done["done"] and done["started_at"] == first["started_at"]
    assert dms.deleted == [state["dms"]["source_endpoint_arn"], state["dms"]["target_endpoint_arn"]]


def test_nothing_is_deleted_that_this_migration_did_not_tag() -> None:
    dms, clock = FakeDms(), ManualClock()
    state = _after_cutover(dms)
    dms.task_tags[state["cdc"]["task_arn"]] = {"bak2rds:stack": STACK, "bak2rds:execution": "X-9"}
    with pytest.raises(DmsRequestRejected, match="'X-9'"):
        _remove(state, None, dms, clock)
    assert dms.tasks[state["cdc"]["task_arn"]].status == "stopped" and dms.deleted == []

"""DMS endpoint connections and deletions where moto falls short, in simulated time.

What DMS documents, and what this stand-in does (moto's behaviour in brackets):

* ``CreateEndpoint``: the endpoint is ``active`` (moto: ``creating`` for ever). An identifier
  already in use is refused with ``ResourceAlreadyExistsFault`` [moto replaces the endpoint].
  A secret (``SecretsManagerSecretId``) next to clear-text ``Username``/``Password``/
  ``ServerName``/``Port`` is refused: "You can't specify both" (DMS API reference,
  ``MicrosoftSQLServerSettings``).
* ``DescribeEndpoints`` with filters that match nothing raises ``ResourceNotFoundFault`` as
  DMS does [moto: an empty list]; so does ``ListTagsForResource`` of a resource that does not
  exist (any more) [moto: no tags].
* ``TestConnection`` (DMS API reference, ``TestConnection``, ``Connection``): the connection is
  ``testing`` for ``testing_for``, then ``successful``, or ``failed`` with a
  ``LastFailureMessage`` when the endpoint cannot be reached: the ``reach`` callback (the
  runtime's simulated servers: DMS reads the endpoint's secret and connects to its host, port
  and database; the restored database exists only once the restore ends) or a test control
  says so. Testing
  again (a retry) starts a new test of the same connection [moto raises ``UnboundLocalError``
  on a second test of the same endpoint, and always succeeds].
* ``DescribeConnections``: the connections, filtered by ``endpoint-arn`` and
  ``replication-instance-arn`` (all filters apply) [moto applies only the last filter].
* ``DeleteEndpoint``: "All tasks associated with the endpoint must be deleted before you can
  delete the endpoint" (DMS API reference, ``DeleteEndpoint``): ``InvalidResourceStateFault``
  while a task uses it [moto deletes it].

``DeleteReplicationTask`` is modelled by ``localrun.dms`` (the task's lifecycle).

Test controls: ``refuse(endpoint_identifier, message)`` makes every later test of that
endpoint fail with ``message`` (DMS's text for an unreachable server by default);
``allow(endpoint_identifier)`` lifts it.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto.dms.exceptions import (
    InvalidParameterCombinationException,
    InvalidResourceStateFault,
    ResourceAlreadyExistsFault,
    ResourceNotFoundFault,
)
from moto.dms.models import DatabaseMigrationServiceBackend, Endpoint
from moto.dms.responses import DatabaseMigrationServiceResponse

from localrun.clock import ManualClock
from localrun.dms import Patch, patched

# A failed test of a SQL Server endpoint the replication instance cannot reach, in the form
# DMS's LastFailureMessage takes (an illustration, not a documented text).
UNREACHABLE = (
    "Test Endpoint failed: Application-Status: 1020912, Application-Message: Cannot connect to "
    "ODBC provider Network error has occurred, Application-Detailed-Message: RetCode: "
    "SQL_ERROR SqlState: 08001 NativeError: 258 Message: [unixODBC][Microsoft][ODBC Driver 18 "
    "for SQL Server]TCP Provider: Error code 0x102"
)
_CLEAR_TEXT = ("username", "password", "server_name", "port")
Reach = Callable[[Endpoint], str | None]  # why DMS cannot connect to it, or None


def _reachable(endpoint: Endpoint) -> str | None:
    return None


@dataclass
class SimulatedConnection:
    endpoint_arn: str
    endpoint_identifier: str
    replication_instance_arn: str
    replication_instance_identifier: str
    tested_at: datetime
    failure: str | None  # decided when the test began, from the refusals then in force

    def to_dict(self, now: datetime, testing_for: timedelta) -> dict[str, Any]:
        if now < self.tested_at + testing_for:
            status, message = "testing", ""
        elif self.failure is not None:
            status, message = "failed", self.failure
        else:
            status, message = "successful", ""
        return {
            "ReplicationInstanceArn": self.replication_instance_arn,
            "EndpointArn": self.endpoint_arn,
            "Status": status,
            "LastFailureMessage": message,
            "EndpointIdentifier": self.endpoint_identifier,
            "ReplicationInstanceIdentifier": self.replication_instance_identifier,
        }


class SimulatedDmsConnections:
    def __init__(
        self,
        clock: ManualClock,
        account_id: str,
        region: str,
        testing_for: timedelta = timedelta(seconds=20),
        reach: Reach = _reachable,
    ) -> None:
        self.clock = clock
        self.account_id = account_id
        self.region = region
        self.testing_for = testing_for
        self.reach = reach
        self.connections: dict[tuple[str, str], SimulatedConnection] = {}
        self.refusals: dict[str, str] = {}  # endpoint identifier -> failure message
        self.deleted_endpoints: list[str] = []  # identifiers, in deletion order
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ test controls
    def refuse(self, endpoint_identifier: str, message: str = UNREACHABLE) -> None:
        self.refusals[endpoint_identifier] = message

    def allow(self, endpoint_identifier: str) -> None:
        self.refusals.pop(endpoint_identifier, None)

    # ------------------------------------------------------------------ moto wiring
    @contextlib.contextmanager
    def installed(self) -> Iterator[SimulatedDmsConnections]:
        stand_in = self
        create_endpoint = DatabaseMigrationServiceBackend.create_endpoint
        delete_endpoint = DatabaseMigrationServiceBackend.delete_endpoint
        describe_endpoints = DatabaseMigrationServiceBackend.describe_endpoints
        list_tags_for_resource = DatabaseMigrationServiceBackend.list_tags_for_resource

        def create(backend: DatabaseMigrationServiceBackend, **kwargs: Any) -> Any:
            identifier = kwargs["endpoint_identifier"]
            if identifier in backend.endpoints:
                raise ResourceAlreadyExistsFault(f"Endpoint {identifier} already exists")
            secret = (kwargs.get("microsoft_sql_server_settings") or {}).get(
                "SecretsManagerSecretId"
            )
            if secret and any(kwargs.get(name) for name in _CLEAR_TEXT):
                raise InvalidParameterCombinationException(
                    "Specify either SecretsManagerSecretId and SecretsManagerAccessRoleArn, or "
                    "UserName, Password, ServerName and Port, not both"
                )
            endpoint = create_endpoint(backend, **kwargs)
            endpoint.status = "active"
            return endpoint

        def list_tags(backend: DatabaseMigrationServiceBackend, resource_arn_list: Any) -> Any:
            known = {e.endpoint_arn for e in backend.endpoints.values()}
            known |= set(backend.replication_tasks) | set(backend.replication_instances)
            missing = [arn for arn in resource_arn_list if arn not in known]
            if missing:
                raise ResourceNotFoundFault(f"Resource {missing[0]} not found")
            return list_tags_for_resource(backend, resource_arn_list)

        def describe(backend: DatabaseMigrationServiceBackend, **kwargs: Any) -> Any:
            found = describe_endpoints(backend, **kwargs)
            if kwargs.get("filters") and not found:
                raise ResourceNotFoundFault("No Endpoints found matching provided filters")
            return found

        def test_connection(response: DatabaseMigrationServiceResponse) -> str:
            return stand_in._test(
                response.dms_backend,
                response._get_param("ReplicationInstanceArn"),
                response._get_param("EndpointArn"),
            )

        def describe_connections(response: DatabaseMigrationServiceResponse) -> str:
            return stand_in._describe(json.loads(response.body or "{}").get("Filters", []))

        def delete(backend: DatabaseMigrationServiceBackend, endpoint_arn: str) -> Any:
            stand_in._refuse_deleting_endpoint_in_use(backend, endpoint_arn)
            endpoint = delete_endpoint(backend, endpoint_arn=endpoint_arn)
            with stand_in._lock:
                stand_in.deleted_endpoints.append(endpoint.endpoint_identifier)
                for key in [k for k in stand_in.connections if k[1] == endpoint_arn]:
                    del stand_in.connections[key]
            return endpoint

        patches: list[Patch] = [
            (DatabaseMigrationServiceBackend, "create_endpoint", create),
            (DatabaseMigrationServiceResponse, "test_connection", test_connection),
            (DatabaseMigrationServiceResponse, "describe_connections", describe_connections),
            (DatabaseMigrationServiceBackend, "delete_endpoint", delete),
            (DatabaseMigrationServiceBackend, "describe_endpoints", describe),
            (DatabaseMigrationServiceBackend, "list_tags_for_resource", list_tags),
        ]
        with patched(patches):
            yield self

    def _test(
        self, backend: DatabaseMigrationServiceBackend, instance_arn: str, endpoint_arn: str
    ) -> str:
        instance = backend.replication_instances.get(instance_arn)
        if instance is None:
            raise ResourceNotFoundFault("Replication instance could not be found.")
        endpoint = next(
            (e for e in backend.endpoints.values() if e.endpoint_arn == endpoint_arn), None
        )
        if endpoint is None:
            raise ResourceNotFoundFault("Endpoint could not be found.")
        now = self.clock.now()
        with self._lock:
            connection = SimulatedConnection(
                endpoint_arn=endpoint_arn,
                endpoint_identifier=endpoint.endpoint_identifier,
                replication_instance_arn=instance_arn,
                replication_instance_identifier=instance.id,
                tested_at=now,
                failure=self.refusals.get(endpoint.endpoint_identifier) or self.reach(endpoint),
            )
            self.connections[(instance_arn, endpoint_arn)] = connection
            return json.dumps({"Connection": connection.to_dict(now, self.testing_for)})

    def _describe(self, filters: list[dict[str, Any]]) -> str:
        keys = {
            "endpoint-arn": "endpoint_arn",
            "replication-instance-arn": "replication_instance_arn",
        }
        now = self.clock.now()
        with self._lock:
            found = list(self.connections.values())
            for entry in filters:
                attribute = keys[entry["Name"]]
                found = [c for c in found if getattr(c, attribute) in entry.get("Values", [])]
            listed = [c.to_dict(now, self.testing_for) for c in found]
        return json.dumps({"Connections": listed})

    def _refuse_deleting_endpoint_in_use(
        self, backend: DatabaseMigrationServiceBackend, endpoint_arn: str
    ) -> None:
        # the DMS stand-in removes tasks whose deletion has finished when it is asked
        backend.describe_replication_tasks(filters=[], max_records=100)
        users = [
            task.id
            for task in backend.replication_tasks.values()
            if endpoint_arn in (task.source_endpoint_arn, task.target_endpoint_arn)
        ]
        if users:
            raise InvalidResourceStateFault(
                f"Endpoint is used by replication task(s) {', '.join(sorted(users))}: delete "
                "them before the endpoint"
            )

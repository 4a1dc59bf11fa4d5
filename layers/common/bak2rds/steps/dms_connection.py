"""Test Source Connection / Test Target Connection: can DMS reach this endpoint?

The first run asks DMS to test the endpoint from the replication instance
(``TestConnection``); later runs read the test's status (``DescribeConnections``) until it
is ``successful``, or fail with DMS's own message when it is ``failed``. The source is
tested during the restore; the target only after it, when its database exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, Protocol

from bak2rds.adapters.dms import ConnectionTest
from bak2rds.clock import parse_timestamp
from bak2rds.errors import DmsEndpointUnreachable
from bak2rds.models import ConnectionCheck, MigrationState

WAIT_SECONDS = 20  # a test takes seconds to a minute: one look usually sees it end
# A test still "testing" after this is treated as failed: DMS could not finish it.
MAX_TEST = timedelta(minutes=10)
_CODES = {"source": "DMS_SOURCE_UNREACHABLE", "target": "DMS_TARGET_UNREACHABLE"}
_WHAT = {"source": "the source SQL Server", "target": "the restored database on RDS"}


class ConnectionTester(Protocol):
    """What this step needs of DMS (``bak2rds.adapters.dms.Dms`` in AWS)."""

    def test_connection(self, instance_arn: str, endpoint_arn: str) -> ConnectionTest: ...
    def connection(self, instance_arn: str, endpoint_arn: str) -> ConnectionTest | None: ...


def run(
    role: Literal["source", "target"],
    state: MigrationState,
    dms: ConnectionTester,
    now: datetime,
) -> ConnectionCheck:
    resources = state["dms"]
    instance = resources["replication_instance_arn"]
    if role == "source":
        endpoint_arn, endpoint_id = (
            resources["source_endpoint_arn"],
            resources["source_endpoint_id"],
        )
        earlier = state.get("source_connection")
    else:
        endpoint_arn, endpoint_id = (
            resources["target_endpoint_arn"],
            resources["target_endpoint_id"],
        )
        earlier = state.get("target_connection")
    if earlier is None:
        started_at, test = now.isoformat(), dms.test_connection(instance, endpoint_arn)
    else:
        started_at = earlier["started_at"]
        test = dms.connection(instance, endpoint_arn) or dms.test_connection(
            instance,
            endpoint_arn,  # the test record is gone: test again
        )
    if test.status == "failed":
        raise DmsEndpointUnreachable(
            f"DMS could not connect to {_WHAT[role]} through endpoint {endpoint_id}: "
            f"{test.failure_message or 'DMS gave no message'}",
            code=_CODES[role],
        )
    testing_for = now - parse_timestamp(started_at)
    if test.status != "successful" and testing_for > MAX_TEST:
        raise DmsEndpointUnreachable(
            f"DMS's connection test of endpoint {endpoint_id} is still {test.status!r} after "
            f"{int(testing_for.total_seconds() // 60)} minutes",
            code=_CODES[role],
        )
    return {
        "role": role,
        "endpoint_id": endpoint_id,
        "status": test.status,
        "started_at": started_at,
        "successful": test.status == "successful",
        "wait_seconds": WAIT_SECONDS,
    }

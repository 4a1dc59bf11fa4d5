from __future__ import annotations

from collections.abc import Iterator

import pytest

from bak2rds import config
from bak2rds.adapters import aws
from bak2rds.adapters.sqlserver import Credentials, Endpoint, SqlServer
from bak2rds.observability import metrics
from localrun.clock import ManualClock
from localrun.sqlserver import SimulatedRdsSqlServer


@pytest.fixture(autouse=True)
def _fresh_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Cached settings and boto3 clients must not leak from one test into the next."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    config.clear_cache()
    aws.reset_clients()
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()
    config.clear_cache()
    aws.reset_clients()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sql_sim(clock: ManualClock) -> SimulatedRdsSqlServer:
    return SimulatedRdsSqlServer(clock=clock.now)


@pytest.fixture
def sql(sql_sim: SimulatedRdsSqlServer) -> SqlServer:
    return SqlServer(
        connect=sql_sim.connect,
        endpoint=Endpoint("db.example.internal", 1433),
        credentials=lambda refresh: Credentials(sql_sim.username, sql_sim.password),
        login_timeout_seconds=5,
        query_timeout_seconds=5,
    )

"""Workflow tests: the real state machine and handlers on moto, in simulated time.

Each test gets a ``LocalRuntime`` (template.yaml deployed into a fresh moto) on the shared
``clock`` and ``sql_sim`` fixtures of tests/conftest.py, so a test can arrange the simulated
RDS instance (backups, failures) and read it afterwards. The DMS endpoints name the database
the tests migrate, as an operator would configure them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from localrun.clock import ManualClock
from localrun.runtime import ExecutionResult, LocalRuntime
from localrun.sqlserver import SimulatedRdsSqlServer

DATABASE = "Northwind"

StartRuntime = Callable[..., LocalRuntime]


@pytest.fixture
def start_runtime(clock: ManualClock, sql_sim: SimulatedRdsSqlServer) -> Iterator[StartRuntime]:
    """Start a runtime with options (closed at the end of the test)."""
    with ExitStack() as stack:

        def start(**options: Any) -> LocalRuntime:
            return stack.enter_context(LocalRuntime(clock=clock, sql=sql_sim, **options))

        yield start


@pytest.fixture
def runtime(start_runtime: StartRuntime) -> LocalRuntime:
    return start_runtime()


def ended_in_failure(runtime: LocalRuntime, code: str) -> tuple[ExecutionResult, str]:
    """Run to the end: the one execution FAILED with ``code`` and one failure e-mail says so.

    Returns the execution and that e-mail's text.
    """
    (execution,) = runtime.run_until_done()
    assert (execution.status, execution.error) == ("FAILED", code), execution.cause
    failures = [n for n in runtime.notifications() if n.attributes.get("event") == "FAILED"]
    assert len(failures) == 1
    assert f"Error: {code}" in failures[0].message
    return execution, failures[0].message

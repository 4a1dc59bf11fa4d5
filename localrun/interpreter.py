"""moto's Step Functions interpreter, adapted to run in simulated time.

moto 5.2 executes ASL for real when ``mock_aws`` is given
``{"stepfunctions": {"execute_state_machine": True}}``: one thread per execution, one more
per Task attempt. ``patched_interpreter`` changes only where it reads or spends time:

* ``Wait`` states (``WaitFunction._wait_interval``) and ``Retry`` intervals (the ``time``
  module of ``retrier_decl``) park the thread in ``SimulatedTime`` instead of sleeping;
* history timestamps (``EventManager._get_current_timestamp``), the execution's start date
  (hence ``$$.Execution.StartTime``) and its stop date come from the ``ManualClock``;
* ``SimulatedTime`` is told when an execution's thread starts and ends (``Execution.start``,
  ``ExecutionWorker._execution_logic``), and about a crash of the interpreter itself.

``INTERPRETER_DIFFERENCES`` lists what still differs from AWS.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from unittest import mock

from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
    WaitFunction,
)
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.backend.execution import (
    BaseExecutionWorkerCommunication,
    Execution,
)
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from localrun.clock import ManualClock
from localrun.simtime import SimulatedTime

MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}}

INTERPRETER_DIFFERENCES = (
    "Wait states and Retry intervals do not sleep: they advance the simulated clock "
    "(moto honours IntervalSeconds, BackoffRate, MaxDelaySeconds and JitterStrategy).",
    "Timestamps (history, start/stop dates, $$.Execution.StartTime) are simulated time; "
    "$$.Execution.StartTime reaches a Lambda payload as isoformat() with +00:00 where AWS "
    "writes 2026-11-21T08:00:00.000Z.",
    "A Task's TimeoutSeconds is measured in real time (the handlers take milliseconds).",
    "moto does not enforce the 25,000-event history quota; ExecutionResult.history shows "
    "how close an execution comes.",
    "EventBridge rules start nothing in moto: LocalRuntime.deliver() matches the template's "
    "rule pattern (moto's matcher) and invokes the target function synchronously, where AWS "
    "invokes it asynchronously with retries and a dead-letter queue.",
    "Handlers run one at a time in this process; AWS runs concurrent invocations in separate "
    "containers.",
)


@contextlib.contextmanager
def patched_interpreter(clock: ManualClock, simulation: SimulatedTime) -> Iterator[None]:
    # moto's own methods, called by the replacements (typed Any: moto is partly untyped)
    start: Any = Execution.start
    execution_logic: Any = ExecutionWorker._execution_logic
    reflect_status: Any = BaseExecutionWorkerCommunication._reflect_execution_status

    def wait_interval(_wait: Any, env: Any, wait_seconds: int) -> None:
        simulation.sleep(wait_seconds, still_wanted=env.is_running)

    def execution_start(execution: Any) -> None:
        execution.start_date = clock.now()  # read by $$.Execution.StartTime
        simulation.execution_started()
        try:
            start(execution)
        except BaseException:
            simulation.execution_ended()
            raise

    def run_execution(worker: Any) -> None:
        crash: BaseException | None = None
        try:
            execution_logic(worker)
        except BaseException as error:
            crash = error
            raise
        finally:
            simulation.execution_ended(crash)

    def reflect_execution_status(communication: Any) -> None:
        reflect_status(communication)
        communication.execution.stop_date = clock.now()

    with contextlib.ExitStack() as stack:
        for patch in (
            mock.patch.object(WaitFunction, "_wait_interval", wait_interval),
            mock.patch.object(retrier_decl, "time", _SimulatedTimeModule(simulation)),
            mock.patch.object(EventManager, "_get_current_timestamp", staticmethod(clock.now)),
            mock.patch.object(Execution, "start", execution_start),
            mock.patch.object(ExecutionWorker, "_execution_logic", run_execution),
            mock.patch.object(
                BaseExecutionWorkerCommunication,
                "_reflect_execution_status",
                reflect_execution_status,
            ),
        ):
            stack.enter_context(patch)
        yield


class _SimulatedTimeModule(ModuleType):
    """Stands in for ``time`` in moto's retrier: ``sleep`` waits in simulated time."""

    def __init__(self, simulation: SimulatedTime) -> None:
        super().__init__("time")
        self._simulation = simulation

    def sleep(self, seconds: float) -> None:
        self._simulation.sleep(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("time"), name)

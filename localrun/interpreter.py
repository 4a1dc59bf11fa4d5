"""moto's Step Functions interpreter, adapted to run in simulated time.

moto 5.2 executes ASL for real when ``mock_aws`` is given
``{"stepfunctions": {"execute_state_machine": True}}``: one thread per execution, one more
per Task attempt. ``patched_interpreter`` changes only where it reads or spends time:

* ``Wait`` states (``WaitFunction._wait_interval``) and ``Retry`` intervals (the ``time``
  module of ``retrier_decl``) park the thread in ``SimulatedTime`` instead of sleeping;
* history timestamps (``EventManager._get_current_timestamp``), the execution's start date
  (hence ``$$.Execution.StartTime``) and its stop date come from the ``ManualClock``;
* ``SimulatedTime`` is told when an execution's thread starts and ends (``Execution.start``,
  ``ExecutionWorker._execution_logic``), and about a crash of the interpreter itself; the same
  for each branch thread of a ``Parallel`` state (``BranchWorker``), whose parent thread parks
  while it waits for them (``BranchWorkerPool.wait``);
* a ``.waitForTaskToken`` task (``StateTaskServiceCallback._eval_wait_for_task_token``) parks
  in ``SimulatedTime`` until SendTaskSuccess/SendTaskFailure arrives (``CallbackEndpoint.notify``
  wakes it) or its ``TimeoutSeconds`` pass in simulated time, then fails with
  ``States.Timeout`` as in AWS; ``$$.State.EnteredTime`` is simulated time too;
* moto's ``SendTaskFailure`` drops the ``cause`` (``StepFunctionResponse.send_task_failure``
  passes only the error); the replacement passes both, as AWS does.

``INTERPRETER_DIFFERENCES`` lists what still differs from AWS.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from unittest import mock

from moto.core.responses import EmptyResult
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker import (
    BranchWorker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branches_decl import (
    BranchWorkerPool,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_callback,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
    WaitFunction,
)
from moto.stepfunctions.parser.asl.eval.callback.callback import (
    CallbackEndpoint,
    CallbackOutcomeSuccess,
    CallbackOutcomeTimedOut,
)
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.backend.execution import (
    BaseExecutionWorkerCommunication,
    Execution,
)
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.responses import StepFunctionResponse

from localrun.clock import ManualClock
from localrun.simtime import SimulatedTime

MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}}

INTERPRETER_DIFFERENCES = (
    "Wait states and Retry intervals do not sleep: they advance the simulated clock "
    "(moto honours IntervalSeconds, BackoffRate, MaxDelaySeconds and JitterStrategy).",
    "Timestamps (history, start/stop dates, $$.Execution.StartTime) are simulated time; "
    "$$.Execution.StartTime reaches a Lambda payload as isoformat() with +00:00 where AWS "
    "writes 2026-11-21T08:00:00.000Z.",
    "A Task's TimeoutSeconds is measured in real time (the handlers take milliseconds), "
    "except for a .waitForTaskToken task, whose timeout is simulated time.",
    "HeartbeatSeconds on a .waitForTaskToken task would be measured in real time (bak2rds "
    "sets none).",
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
    callback_class: Any = state_task_service_callback.StateTaskServiceCallback
    wait_for_task_token: Any = callback_class._eval_wait_for_task_token
    notify_callback: Any = CallbackEndpoint.notify

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

    def eval_wait_for_task_token(
        task: Any, env: Any, timeout_seconds: int, callback_endpoint: Any, heartbeat_endpoint: Any
    ) -> Any:
        if heartbeat_endpoint is not None:  # heartbeats stay in real time (see differences)
            return wait_for_task_token(
                task, env, timeout_seconds, callback_endpoint, heartbeat_endpoint
            )
        simulation.sleep(
            timeout_seconds,
            still_wanted=env.is_running,
            interrupted=lambda: callback_endpoint.get_outcome() is not None,
        )
        outcome = callback_endpoint.get_outcome()
        if outcome is None and not env.is_running():
            # StopExecution: end the wait quietly, as a Wait state does; a timeout here would
            # turn the ABORTED execution into a FAILED one.
            return CallbackOutcomeSuccess(callback_id=callback_endpoint.callback_id, output="null")
        return outcome or CallbackOutcomeTimedOut(callback_id=callback_endpoint.callback_id)

    def send_task_failure(response: Any) -> Any:
        response.stepfunction_backend.send_task_failure(
            response._get_param("taskToken"),
            error=response._get_param("error"),
            cause=response._get_param("cause"),
        )
        return EmptyResult()

    def callback_arrived(endpoint: Any, outcome: Any) -> None:
        notify_callback(endpoint, outcome)
        simulation.poke()

    with contextlib.ExitStack() as stack:
        for patch in (
            mock.patch.object(WaitFunction, "_wait_interval", wait_interval),
            mock.patch.object(retrier_decl, "time", _SimulatedTimeModule(simulation)),
            mock.patch.object(EventManager, "_get_current_timestamp", staticmethod(clock.now)),
            mock.patch.object(state_module, "datetime", _SimulatedDatetimeModule(clock)),
            mock.patch.object(
                callback_class, "_eval_wait_for_task_token", eval_wait_for_task_token
            ),
            mock.patch.object(CallbackEndpoint, "notify", callback_arrived),
            mock.patch.object(StepFunctionResponse, "send_task_failure", send_task_failure),
            mock.patch.object(Execution, "start", execution_start),
            mock.patch.object(ExecutionWorker, "_execution_logic", run_execution),
            mock.patch.object(
                BaseExecutionWorkerCommunication,
                "_reflect_execution_status",
                reflect_execution_status,
            ),
        ):
            stack.enter_context(patch)
        stack.enter_context(_parallel_branches(simulation))
        yield


@contextlib.contextmanager
def _parallel_branches(simulation: SimulatedTime) -> Iterator[None]:
    """Each branch thread of a Parallel state counts as running; its parent parks."""
    branch_start: Any = BranchWorker.start
    branch_routine: Any = BranchWorker._thread_routine

    def start_branch(worker: Any) -> None:
        simulation.branch_started()  # counted before the thread runs: no gap to miss
        try:
            branch_start(worker)
        except BaseException:
            simulation.branch_ended()
            raise

    def run_branch(worker: Any) -> None:
        crash: BaseException | None = None
        try:
            branch_routine(worker)
        except BaseException as error:
            crash = error
            raise
        finally:
            simulation.branch_ended(crash)

    def wait_for_branches(pool: Any) -> None:
        simulation.wait_for_branches(pool._termination_event.is_set)

    with (
        mock.patch.object(BranchWorker, "start", start_branch),
        mock.patch.object(BranchWorker, "_thread_routine", run_branch),
        mock.patch.object(BranchWorkerPool, "wait", wait_for_branches),
    ):
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


class _SimulatedDatetimeModule(ModuleType):
    """Stands in for ``datetime`` in moto's state module: ``$$.State.EnteredTime`` is read
    from the clock (``datetime.datetime.now(tz=...)``)."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__("datetime")

        class SimulatedDatetime(datetime.datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                now = clock.now()
                return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)

        self.datetime = SimulatedDatetime

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("datetime"), name)

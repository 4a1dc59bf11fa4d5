"""Simulated time for moto's state machine interpreter: hours of waiting in milliseconds.

moto runs each execution in a thread of its own, and really sleeps in ``Wait`` states and
between ``Retry`` attempts. The runtime replaces both sleeps with ``SimulatedTime.sleep``,
which parks the interpreter thread until the injected ``ManualClock`` reaches its wake-up
time. The clock is moved by ``SimulatedTime.run`` only, as a discrete-event simulation:

1. wait (in real time, bounded) until every running execution is parked in a sleep, i.e.
   nothing is being computed and no handler is running;
2. stop if no execution is left, or if the caller's condition holds;
3. otherwise move the clock to the earliest wake-up time, wake the sleepers due then, and
   go back to 1.

So concurrent executions share one consistent timeline (two executions waiting 60 s each
take 60 simulated seconds, not 120), and nothing moves while a test inspects or changes the
world between two ``run`` calls. A sleep that starts while no ``run`` is in progress just
stays parked until the next one.

A task that waits for a callback (``.waitForTaskToken``) parks too, with its
``TimeoutSeconds`` as wake-up time and ``callback=True``. ``run`` does not move the clock to
such a deadline unless asked (``expire_callbacks``): when every execution waits for a callback
and nothing else is due, it returns, as the world would sit waiting for a person. The clock
still expires a callback whose deadline another wake-up passes. A callback that arrives
(SendTaskSuccess/Failure) makes its sleeper ``interrupted`` at once, so ``run`` no longer
counts it as parked while its thread goes on.

A ``Parallel`` state runs each branch in a thread of its own while the execution's thread
waits for them: each branch counts as a running thread (``branch_started``/``branch_ended``),
and the waiting thread parks in ``wait_for_branches``, which is never a wake-up time: it goes
on when its branches are done, not when the clock says so.

Limits: ``Map`` states are not supported (bak2rds has none).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from localrun.clock import ManualClock

_POLL_SECONDS = 0.05  # how often a parked thread checks whether its execution was stopped


class SimulationStalled(TimeoutError):
    """The executions neither finished nor all parked within the real-time bound."""


def _never() -> bool:
    return False


@dataclass
class _Sleeper:
    wake_at: datetime
    woken: bool = False
    callback: bool = False  # a .waitForTaskToken task: wake_at is its timeout
    interrupted: Callable[[], bool] = _never  # the callback arrived: the thread goes on
    branches: bool = False  # a Parallel state's thread waiting for its branches
    still_wanted: Callable[[], bool] = lambda: True  # False once its execution/branch stopped


class SimulatedTime:
    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self._condition = threading.Condition()
        self._running = 0
        self._sleepers: list[_Sleeper] = []
        self._crashes: list[BaseException] = []
        self._closed = False
        self.executions_ended = 0  # grows as each execution's thread ends
        # Called by ``run`` whenever every execution is parked, before it decides anything:
        # the runtime delivers what AWS announced meanwhile (EventBridge events).
        self.on_parked: Callable[[], None] = lambda: None

    # ------------------------------------------------------------------ interpreter side
    def execution_started(self) -> None:
        with self._condition:
            self._running += 1

    def execution_ended(self, crash: BaseException | None = None) -> None:
        with self._condition:
            self.executions_ended += 1
            self.branch_ended(crash)

    def branch_ended(self, crash: BaseException | None = None) -> None:
        with self._condition:
            self._running -= 1
            if crash is not None:
                self._crashes.append(crash)
            self._condition.notify_all()

    branch_started = execution_started  # a Parallel branch's thread is one more to wait for

    def wait_for_branches(self, done: Callable[[], bool]) -> None:
        """Park the Parallel state's thread until ``done()`` (its branches finished)."""
        with self._condition:
            sleeper = _Sleeper(self.clock.now(), interrupted=done, branches=True)
            self._sleepers.append(sleeper)
            self._condition.notify_all()
            while not done() and not self._closed:
                self._condition.wait(_POLL_SECONDS)
            if sleeper in self._sleepers:
                self._sleepers.remove(sleeper)
            self._condition.notify_all()

    def sleep(
        self,
        seconds: float,
        still_wanted: Callable[[], bool] = lambda: True,
        interrupted: Callable[[], bool] | None = None,
    ) -> None:
        """Park the calling interpreter thread for ``seconds`` of simulated time.

        With ``interrupted`` the thread waits for a callback: it returns early once
        ``interrupted()`` holds, and ``run`` only moves the clock to its deadline when asked.
        """
        if seconds <= 0:
            return
        with self._condition:
            sleeper = _Sleeper(
                self.clock.now() + timedelta(seconds=seconds),
                callback=interrupted is not None,
                interrupted=interrupted or _never,
                still_wanted=still_wanted,
            )
            self._sleepers.append(sleeper)
            self._condition.notify_all()
            while not sleeper.woken and not self._closed:
                if not still_wanted() or sleeper.interrupted():  # stopped, or called back
                    self._sleepers.remove(sleeper)
                    self._condition.notify_all()
                    return
                self._condition.wait(_POLL_SECONDS)

    def poke(self) -> None:
        """Something a parked thread waits for may have happened (a callback arrived)."""
        with self._condition:
            self._condition.notify_all()

    # ------------------------------------------------------------------ driver side
    def run(
        self,
        until: Callable[[], bool] | None = None,
        timeout_seconds: float = 60.0,
        expire_callbacks: bool = False,
        until_time: datetime | None = None,
    ) -> None:
        """Move simulated time until no execution runs, or ``until()`` holds when all are parked.

        Also returns when every execution left waits for a callback, unless
        ``expire_callbacks``: then the clock moves on to their timeouts. With ``until_time``
        the clock also stops there (and ``run`` returns) while everyone is parked.
        Raises ``SimulationStalled`` if that takes more than ``timeout_seconds`` of real time,
        and re-raises an exception that crashed an interpreter thread.
        """
        deadline = time.monotonic() + timeout_seconds
        with self._condition:
            while True:
                while self._parked() < self._running:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise SimulationStalled(
                            f"{self._running} execution(s) running, {self._parked()} "
                            f"parked after {timeout_seconds} s of real time"
                        )
                    self._condition.wait(min(remaining, 1.0))
                if self._crashes:
                    raise RuntimeError("moto's interpreter crashed") from self._crashes.pop(0)
                self.on_parked()
                if self._parked() < self._running:
                    continue  # what it delivered set an execution going (a callback)
                if self._running == 0 or (until is not None and until()):
                    return
                if until_time is not None and self.clock.now() >= until_time:
                    return
                due = [
                    s
                    for s in self._live_sleepers()
                    if not s.branches and (expire_callbacks or not s.callback)
                ]
                if until_time is not None:
                    due.append(_Sleeper(until_time))  # a wake-up for the caller
                if not due:
                    return  # everyone waits for a person
                self._advance_to_next_wake_up(due)

    @property
    def waiting_for_callbacks(self) -> int:
        """Executions parked in a ``.waitForTaskToken`` task right now."""
        with self._condition:
            return sum(1 for s in self._sleepers if s.callback and not s.interrupted())

    def _parked(self) -> int:
        """Sleepers that will not move until woken; one whose execution (or Parallel branch)
        was stopped is about to return, so it is not counted (nor is its wake-up time used)."""
        return sum(1 for s in self._live_sleepers() if not s.interrupted())

    def _live_sleepers(self) -> list[_Sleeper]:
        return [s for s in self._sleepers if s.still_wanted()]

    def _advance_to_next_wake_up(self, due: list[_Sleeper]) -> None:
        wake_at = min(sleeper.wake_at for sleeper in due)
        step = (wake_at - self.clock.now()).total_seconds()
        if step > 0:
            self.clock.advance(step)
        now = self.clock.now()
        for sleeper in [s for s in self._sleepers if s.wake_at <= now and not s.branches]:
            sleeper.woken = True
            self._sleepers.remove(sleeper)
        self._condition.notify_all()

    @property
    def running(self) -> int:
        with self._condition:
            return self._running

    def close(self) -> None:
        """Release every parked thread (the runtime is shutting down)."""
        with self._condition:
            self._closed = True
            self._sleepers.clear()
            self._condition.notify_all()

    def wait_until_idle(self, timeout_seconds: float) -> bool:
        """Wait (in real time) until no interpreter thread runs; False if some still do."""
        deadline = time.monotonic() + timeout_seconds
        with self._condition:
            while self._running > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
            return True

"""``make bench``: what adaptive polling costs, next to fixed 30-second polling.

Each scenario is a restore of 10 min, 1 h, 6 h or 24 h followed by 3 days of CDC catch-up: the
CDC latency starts about 3 days behind and reaches the template's latency threshold after 3
days of running; readiness then takes the template's number of good checks in a row.

* **Adaptive** (the product's policy): the real ASL and handlers run in ``LocalRuntime`` in
  simulated time, and every figure is read from the execution's history.
* **Fixed 30 s**: 24 h + 3 days at 30 s would be ~11,500 checks through the interpreter. So a
  short migration runs for real with every computed wait patched to 30 s (where the steps
  look the policy up); its history gives the cost of one restore check, of one CDC check and
  the fixed overhead, from which the scenarios are computed. A second, longer fixed-30 s run
  checks the computation against a real execution.

Prints a Markdown table, one line per target (met / not met, with the numbers) and the wall
time. Exits 1 if a target is not met or the fixed-30 s computation disagrees with its check.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import itertools
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any
from unittest import mock

from localrun import samples
from localrun.dms import CdcLatencyProfile
from localrun.runtime import (
    DEFAULT_TEMPLATE,
    ExecutionResult,
    LocalRuntime,
)
from localrun.template import SamTemplate

DATABASE = "Northwind"
KEY = f"incoming/{DATABASE}.bak"
RESTORES = (timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6), timedelta(hours=24))
CATCH_UP = timedelta(days=3)
CATCH_UP_PER_SECOND = 1.0  # latency falls 1 s a second: DMS applies changes at twice real time
FIXED_INTERVAL = timedelta(seconds=30)
# The fixed-30 s run the per-check costs are measured on, and the run that checks the
# computation. They differ from the scenarios by whole minutes, so every check falls at the
# same second of the minute (DMS publishes the latency once a minute).
FIXED_SAMPLE = (timedelta(minutes=10), timedelta(hours=1))
FIXED_CHECK = (timedelta(hours=1), timedelta(hours=6))

# The issue's targets, and Step Functions' quota.
TARGET_RESTORE = timedelta(hours=24)
MAX_HISTORY_EVENTS = 2_500
MAX_TRANSITIONS = 400
LATENCY_SHARE = 0.05
MIN_LATENCY_LIMIT = timedelta(seconds=60)
HISTORY_EVENT_QUOTA = 25_000

RESTORE_LOOP = ("Wait For Restore", "Check Restore", "Restore Finished?")
CDC_LOOP = ("Wait For CDC", "Check CDC", "CDC Caught Up?")
NOTIFY_RESTORE_FINISHED = "Notify Restore Finished"


class BenchError(RuntimeError):
    """A run did not go as the benchmark assumes; its figures would mean nothing."""


@dataclass(frozen=True)
class Cost:
    transitions: Fraction = Fraction(0)
    events: Fraction = Fraction(0)
    invocations: Fraction = Fraction(0)

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.transitions + other.transitions,
            self.events + other.events,
            self.invocations + other.invocations,
        )

    def __mul__(self, factor: Fraction | int) -> Cost:
        return Cost(self.transitions * factor, self.events * factor, self.invocations * factor)

    def __str__(self) -> str:
        invocations = "invocation" if self.invocations == 1 else "invocations"
        return (
            f"{self.transitions} transitions, {self.events} history events, "
            f"{self.invocations} Lambda {invocations}"
        )


@dataclass(frozen=True)
class Figures:
    transitions: int
    history_events: int
    lambda_invocations: int
    restore_checks: int
    cdc_checks: int
    detection_latency: timedelta  # restore task finished → Notify Restore Finished entered
    wait_in_force: timedelta  # the Wait the restore finished in: the worst-case latency


@dataclass(frozen=True)
class Run:
    """One migration run to its end, and what the benchmark reads from its history."""

    restore: timedelta
    catch_up: timedelta
    figures: Figures
    cost_by_state: dict[str, Cost]
    wait_lengths: frozenset[timedelta]

    def loop_cost(self, loop: tuple[str, ...], checks: int) -> Cost:
        """One pass of ``loop``: its states' costs over the number of checks made."""
        return sum((self.cost_by_state[name] for name in loop), Cost()) * Fraction(1, checks)


@dataclass(frozen=True)
class FixedPollingModel:
    """Fixed-interval polling computed from one real run's measured cost per check.

    One more check costs one pass of its loop (Wait, Task, Choice); the rest is the same in
    every scenario. With a check every ``interval``, a restore longer by ``d`` takes
    ``d / interval`` more restore checks; a catch-up longer by ``c``, ``c / interval`` more
    CDC checks. The checks fall at the same offsets from the restore's start, so the one that
    sees the restore finished is as late as in the sample, after a Wait of the same length.
    """

    sample: Run
    interval: timedelta

    @property
    def per_restore_check(self) -> Cost:
        return self.sample.loop_cost(RESTORE_LOOP, self.sample.figures.restore_checks)

    @property
    def per_cdc_check(self) -> Cost:
        return self.sample.loop_cost(CDC_LOOP, self.sample.figures.cdc_checks)

    @property
    def overhead(self) -> Cost:
        figures = self.sample.figures
        loops = self.per_restore_check * figures.restore_checks
        loops += self.per_cdc_check * figures.cdc_checks
        return sum(self.sample.cost_by_state.values(), Cost()) + loops * -1

    def predict(self, restore: timedelta, catch_up: timedelta) -> Figures:
        sample = self.sample.figures
        restore_checks = sample.restore_checks + self._checks_in(restore - self.sample.restore)
        cdc_checks = sample.cdc_checks + self._checks_in(catch_up - self.sample.catch_up)
        cost = self.overhead + self.per_restore_check * restore_checks
        cost += self.per_cdc_check * cdc_checks
        return Figures(
            transitions=_whole(cost.transitions),
            history_events=_whole(cost.events),
            lambda_invocations=_whole(cost.invocations),
            restore_checks=restore_checks,
            cdc_checks=cdc_checks,
            detection_latency=sample.detection_latency,
            wait_in_force=sample.wait_in_force,
        )

    def _checks_in(self, span: timedelta) -> int:
        if span % timedelta(minutes=1):
            raise BenchError(f"{span} is not whole minutes: the checks would fall elsewhere")
        return span // self.interval


@dataclass(frozen=True)
class Bench:
    adaptive: list[Run]
    model: FixedPollingModel
    check: Run
    adaptive_seconds: float
    fixed_seconds: float

    def fixed(self, restore: timedelta) -> Figures:
        return self.model.predict(restore, CATCH_UP)

    @property
    def model_holds(self) -> bool:
        return self.model.predict(self.check.restore, self.check.catch_up) == self.check.figures


# ---------------------------------------------------------------------------- running
def catching_up(catch_up: timedelta, threshold_seconds: float) -> CdcLatencyProfile:
    """CDC latency whose worse side (the target) reaches the threshold after ``catch_up``."""
    lag = CdcLatencyProfile().target_lag_seconds
    return CdcLatencyProfile(
        initial_seconds=CATCH_UP_PER_SECOND * catch_up.total_seconds() + threshold_seconds - lag,
        catch_up_per_second=CATCH_UP_PER_SECOND,
        target_lag_seconds=lag,
    )


@contextlib.contextmanager
def fixed_polling(interval: timedelta) -> Iterator[None]:
    """Every wait the steps compute is ``interval``, patched where each step looks it up.

    Enter with a runtime started: its layer must be on the import path."""
    seconds = int(interval.total_seconds())

    def fixed(*_args: object) -> int:
        return seconds

    replacements: list[tuple[str, str, object]] = [
        ("bak2rds.steps.start_restore", "FIRST_WAIT_SECONDS", seconds),
        ("bak2rds.steps.check_restore", "next_restore_wait", fixed),
        ("bak2rds.steps.start_cdc_task", "next_restore_wait", fixed),
        ("bak2rds.steps.check_cdc", "next_cdc_wait", fixed),
        ("bak2rds.steps.check_cdc", "MIN_WAIT_SECONDS", seconds),
    ]
    with contextlib.ExitStack() as stack:
        for module, name, value in replacements:
            stack.enter_context(mock.patch.object(importlib.import_module(module), name, value))
        yield


def run_migration(
    restore: timedelta, catch_up: timedelta, fixed_interval: timedelta | None = None
) -> Run:
    """One upload restored in ``restore``, then caught up in ``catch_up``, run to its end."""
    threshold = float(template_default("CdcLatencyThresholdSeconds"))
    backup = samples.backup_in_s3(DATABASE, restore)
    with (
        LocalRuntime(
            dms_source_database=DATABASE,
            dms_target_database=DATABASE,
            cdc_latency=catching_up(catch_up, threshold),
        ) as runtime,
        contextlib.ExitStack() as stack,
    ):
        if fixed_interval is not None:
            stack.enter_context(fixed_polling(fixed_interval))
        runtime.start_migration(KEY, backup)
        (execution,) = runtime.run_until_done()
        (task,) = runtime.sql.tasks
    # The run ends where a person takes over: the cutover approval (or earlier, on failure).
    if not execution.waiting_for_approval or task.finished_at is None:
        raise BenchError(f"the migration ended {execution.status}: {execution.cause}")
    return Run(
        restore=restore,
        catch_up=catch_up,
        figures=_figures(execution, task.finished_at),
        cost_by_state=_cost_by_state(execution),
        wait_lengths=_wait_lengths(execution),
    )


def measure() -> Bench:
    began = time.monotonic()
    # The handlers' Powertools logs and metrics go nowhere. Powertools' logger keeps the
    # stream it was created with, so the sink is one that is never closed.
    with contextlib.redirect_stdout(Discard()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adaptive = [run_migration(restore, CATCH_UP) for restore in RESTORES]
        adaptive_done = time.monotonic()
        sample = run_migration(*FIXED_SAMPLE, fixed_interval=FIXED_INTERVAL)
        check = run_migration(*FIXED_CHECK, fixed_interval=FIXED_INTERVAL)
    for run in (sample, check):
        if run.wait_lengths != {FIXED_INTERVAL}:
            raise BenchError(f"fixed polling waited {sorted(run.wait_lengths)}")
    return Bench(
        adaptive=adaptive,
        model=FixedPollingModel(sample, FIXED_INTERVAL),
        check=check,
        adaptive_seconds=adaptive_done - began,
        fixed_seconds=time.monotonic() - adaptive_done,
    )


class Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def _figures(execution: ExecutionResult, restore_finished_at: datetime) -> Figures:
    states = execution.states
    seen = next(s.entered_at for s in states if s.name == NOTIFY_RESTORE_FINISHED)
    wait, check = RESTORE_LOOP[:2]
    waits = [s.entered_at for s in states if s.name == wait]
    checks = [s.entered_at for s in states if s.name == check]
    # Each Check Restore follows its Wait; the first check at or after the finish saw it.
    seeing = next(i for i, checked in enumerate(checks) if checked >= restore_finished_at)
    return Figures(
        transitions=execution.state_transitions,
        history_events=len(execution.history),
        lambda_invocations=execution.lambda_invocations,
        restore_checks=len(checks),
        cdc_checks=execution.visits(CDC_LOOP[1]),
        detection_latency=seen - restore_finished_at,
        wait_in_force=checks[seeing] - waits[seeing],
    )


def _cost_by_state(execution: ExecutionResult) -> dict[str, Cost]:
    """Transitions, history events and Lambda invocations of each state ("": the execution's
    own events). A transition is a state entered, or a Task attempt after the first."""
    transitions: Counter[str] = Counter()
    events: Counter[str] = Counter()
    invocations: Counter[str] = Counter()
    state, attempts = "", 0
    for event in execution.history:
        kind = str(event["type"])
        if kind.endswith("StateEntered"):
            state, attempts = str(event["stateEnteredEventDetails"]["name"]), 0
            transitions[state] += 1
        events[state] += 1
        lambda_task = kind == "TaskScheduled" and (
            event["taskScheduledEventDetails"].get("resourceType") == "lambda"
        )
        if kind == "LambdaFunctionScheduled" or lambda_task:  # plain ARN or lambda:invoke
            invocations[state] += 1
            transitions[state] += 1 if attempts else 0
            attempts += 1
        if kind.endswith("StateExited"):
            state = ""
    costs = {
        name: Cost(Fraction(transitions[name]), Fraction(events[name]), Fraction(invocations[name]))
        for name in events
    }
    total = sum(costs.values(), Cost())
    recorded = Cost(
        Fraction(execution.state_transitions),
        Fraction(len(execution.history)),
        Fraction(execution.lambda_invocations),
    )
    if total != recorded:
        raise BenchError(f"the history split by state adds up to {total}, not {recorded}")
    return costs


def _wait_lengths(execution: ExecutionResult) -> frozenset[timedelta]:
    return frozenset(
        after.entered_at - visit.entered_at
        for visit, after in itertools.pairwise(execution.states)
        if visit.type == "Wait"
    )


def _whole(value: Fraction) -> int:
    if value.denominator != 1:
        raise BenchError(f"a computed count is not whole: {value}")
    return int(value)


def template_default(parameter: str) -> Any:
    return SamTemplate.load(DEFAULT_TEMPLATE).parameters[parameter]["Default"]


# ---------------------------------------------------------------------------- report
def latency_limit(restore: timedelta) -> timedelta:
    return max(MIN_LATENCY_LIMIT, restore * LATENCY_SHARE)


def span(value: timedelta) -> str:
    """``10 min``, ``24 h``, ``3 d``, ``2 min 53 s``."""
    seconds = int(value.total_seconds())
    if seconds >= 2 * 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "min"), (seconds, "s")]
    return " ".join(f"{n} {unit}" for n, unit in parts if n) or "0 s"


def table(bench: Bench) -> list[str]:
    lines = [
        "| Restore + CDC catch-up | Polling | State transitions | History events "
        "| Lambda invocations | Restore checks | CDC checks | Restore seen finished after "
        "| Worst case: Wait in force |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in bench.adaptive:
        rows = [
            (f"{span(run.restore)} + {span(run.catch_up)}", "adaptive (run)", run.figures),
            ("", "fixed 30 s (computed¹)", bench.fixed(run.restore)),
        ]
        for scenario, polling, f in rows:
            events = f"{f.history_events:,}"
            events += " ✗" if f.history_events > HISTORY_EVENT_QUOTA else ""
            lines.append(
                f"| {scenario} | {polling} | {f.transitions:,} | {events} | "
                f"{f.lambda_invocations:,} | {f.restore_checks:,} | {f.cdc_checks:,} | "
                f"{span(f.detection_latency)} | {span(f.wait_in_force)} |"
            )
    return lines


def notes(bench: Bench) -> list[str]:
    model, check = bench.model, bench.check
    predicted = model.predict(check.restore, check.catch_up)
    checked = (
        "exactly what that run recorded."
        if bench.model_holds
        else f"{predicted}, but that run recorded {check.figures} (THE COMPUTATION IS WRONG)."
    )
    return [
        "- *adaptive (run)*: the product's polling policy; every figure is read from the "
        "history of a real run of the ASL and handlers in simulated time.",
        "- ¹ *fixed 30 s*: computed from measured per-check cost. A real "
        f"{span(model.sample.restore)} + {span(model.sample.catch_up)} run with every wait "
        f"patched to 30 s measured {model.per_restore_check} per restore check, "
        f"{model.per_cdc_check} per CDC check and {model.overhead} of fixed overhead. The "
        f"same computation for a real {span(check.restore)} + {span(check.catch_up)} "
        f"fixed-30 s run gives {checked}",
        "- *Restore seen finished after*: from the simulated restore task's end to the "
        "execution entering Notify Restore Finished. *Worst case*: the Wait in force when the "
        "restore finished, i.e. the latency had it finished just after the check before. "
        "Neither includes the ~2 min refresh of `rds_task_status` (not simulated). Fixed "
        "30 s sees it at once because these restores end exactly on a check.",
        f"- ✗: over the {HISTORY_EVENT_QUOTA:,}-event history quota; a Standard execution "
        "would fail there.",
        "- Lambda invocations: the state machine's; each upload adds one StartMigration call.",
    ]


def run_targets(run: Run) -> list[tuple[bool, str]]:
    """(met, what with the numbers) for the issue's targets that apply to one adaptive run:
    the history and transition budgets for the 24 h restore, detection latency for any."""
    f = run.figures
    results: list[tuple[bool, str, str]] = []
    if run.restore == TARGET_RESTORE:
        scenario = f"{span(run.restore)} + {span(run.catch_up)}"
        results += [
            (
                f.history_events <= MAX_HISTORY_EVENTS,
                f"{scenario}: history events ≤ {MAX_HISTORY_EVENTS:,}",
                f"{f.history_events:,}",
            ),
            (
                f.transitions <= MAX_TRANSITIONS,
                f"{scenario}: state transitions ≤ {MAX_TRANSITIONS}",
                f"{f.transitions:,}",
            ),
        ]
    limit = latency_limit(run.restore)
    results.append(
        (
            f.wait_in_force <= limit,
            f"{span(run.restore)} restore: detection latency ≤ max(60 s, 5 % of "
            f"{span(run.restore)}) = {span(limit)}",
            f"worst case {span(f.wait_in_force)}, this run {span(f.detection_latency)}",
        )
    )
    return [
        (met, f"{what}: {'met' if met else 'NOT MET'} ({numbers})")
        for met, what, numbers in results
    ]


def targets(bench: Bench) -> list[tuple[bool, str]]:
    """Every target, adaptive polling, with the fixed-30 s figure next to the budgets."""
    fixed = bench.fixed(TARGET_RESTORE)
    results = []
    for run in bench.adaptive:
        for met, line in run_targets(run):
            budget = run.restore == TARGET_RESTORE and ("history" in line or "transitions" in line)
            if budget:
                figure = fixed.history_events if "history" in line else fixed.transitions
                results.append((met, line.removesuffix(")") + f"; fixed 30 s: {figure:,})"))
            else:
                results.append((met, line))
    return results


def main() -> int:
    began = time.monotonic()
    bench = measure()
    results = targets(bench)
    threshold = template_default("CdcLatencyThresholdSeconds")
    ready_checks = template_default("CdcReadyChecks")
    lines = [
        f"## Polling cost: restore, then {span(CATCH_UP)} of CDC catch-up",
        "",
        f"CDC latency starts {span(CATCH_UP)} behind and reaches the {threshold} s threshold "
        f"after {span(CATCH_UP)}; ready after {ready_checks} good checks in a row.",
        "",
        *table(bench),
        "",
        *notes(bench),
        "",
        "Targets (adaptive polling):",
        *(f"- {line}" for _, line in results),
        "",
        f"Wall time: {time.monotonic() - began:.1f} s ({len(bench.adaptive)} adaptive runs "
        f"{bench.adaptive_seconds:.1f} s, 2 fixed-30 s runs {bench.fixed_seconds:.1f} s).",
    ]
    print("\n".join(lines))
    return 0 if bench.model_holds and all(met for met, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())

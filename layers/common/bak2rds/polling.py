"""How long to wait before the next status check: cheap for long jobs, prompt near the end.

Every check costs three state transitions (Task, Choice, Wait) and about nine history events,
and a Standard execution dies at 25,000 events. Fixed 30-second polling of a 24-hour restore
would cost 2,880 checks. Instead:

* the wait never exceeds ``max(60 s, 5 % of the time already spent)`` until progress says
  otherwise, so a finished restore is seen within 5 % of its duration;
* once RDS reports ``% complete``, the wait may stretch to half of the shortest remaining
  time that progress allows (``percent + 1`` is taken as the true progress, because RDS
  truncates), so checks halve their distance to the predicted finish without passing it
  while progress is steady;
* CDC catch-up uses the trend of the latency the same way, and checks every minute once the
  latency is under the threshold, where readiness needs several consecutive good checks;
* no wait exceeds an hour, except in a long CDC catch-up, where it may reach 5 % of the time
  the task has been running (as a restore is seen within 5 % of its duration): a task that
  fails on day 2 of a 3-day catch-up is seen within 2.4 hours, at a third fewer checks.
"""

from __future__ import annotations

FIRST_WAIT_SECONDS = 30
MIN_WAIT_SECONDS = 60
MAX_WAIT_SECONDS = 3600
LATENCY_SHARE = 0.05


def next_restore_wait(elapsed_seconds: float, percent_complete: int) -> int:
    """Seconds to wait before checking a restore that has run ``elapsed_seconds``."""
    if elapsed_seconds < 2 * FIRST_WAIT_SECONDS:
        return FIRST_WAIT_SECONDS
    wait = max(MIN_WAIT_SECONDS, LATENCY_SHARE * elapsed_seconds)
    if 0 < percent_complete < 99:
        most_progress = (percent_complete + 1) / 100
        shortest_remaining = elapsed_seconds * (1 - most_progress) / most_progress
        wait = max(wait, shortest_remaining / 2)
    return _bounded(wait)


def next_cdc_wait(
    latency_seconds: float,
    threshold_seconds: float,
    previous_latency_seconds: float | None,
    seconds_since_previous: float | None,
    running_seconds: float = 0,
) -> int:
    """Seconds to wait before the next CDC check, from the latency now and at the last check
    and how long the task has been running."""
    if latency_seconds <= threshold_seconds:
        return MIN_WAIT_SECONDS
    longest = max(MAX_WAIT_SECONDS, LATENCY_SHARE * running_seconds)
    behind = latency_seconds - threshold_seconds
    if previous_latency_seconds is not None and seconds_since_previous:
        falling_per_second = (previous_latency_seconds - latency_seconds) / seconds_since_previous
        if falling_per_second > 0:
            return _bounded(behind / falling_per_second / 2, longest)
    # No trend yet (first check, or latency still rising while DMS reads the backlog).
    return _bounded(behind / 4, longest)


def _bounded(seconds: float, longest: float = MAX_WAIT_SECONDS) -> int:
    return int(min(longest, max(MIN_WAIT_SECONDS, seconds)))

"""`make bench`'s polling targets, kept by CI on the real state machine in simulated time.

A 24-hour restore and 3 days of CDC catch-up must stay within 2,500 history events and 400
state transitions (a Standard execution dies at 25,000 events), and a finished restore must be
seen within max(60 s, 5 % of its duration), and CDC start within 60 s of it (DMS is prepared
during the restore). `make bench` prints the same figures next to
fixed 30-second polling.
"""

from __future__ import annotations

import contextlib
import math
from datetime import timedelta

import pytest

from localrun import bench

pytestmark = pytest.mark.workflow


@pytest.mark.parametrize(
    "restore", [timedelta(minutes=10), timedelta(hours=24)], ids=["10 min", "24 h"]
)
def test_adaptive_polling_meets_the_targets_for_a_restore_and_3_days_of_catch_up(
    restore: timedelta,
) -> None:
    with contextlib.redirect_stdout(bench.Discard()):
        run = bench.run_migration(restore, bench.CATCH_UP)

    results = bench.run_targets(run)
    # detection latency and CDC start after the restore; the budgets for the 24 h restore
    assert len(results) == (4 if restore == bench.TARGET_RESTORE else 2)
    assert [line for met, line in results if not met] == []

    # and the same scenario polled every 30 s would end at the history quota
    fixed = bench.FixedPollingModel(run, timedelta(seconds=30), ready_checks=3)
    predicted = fixed.predict(run.restore, run.catch_up)
    assert predicted.restore_checks == math.ceil(restore / timedelta(seconds=30))
    assert predicted.history_events > bench.HISTORY_EVENT_QUOTA > run.figures.history_events

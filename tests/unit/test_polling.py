import pytest

from bak2rds.polling import (
    FIRST_WAIT_SECONDS,
    MAX_WAIT_SECONDS,
    MIN_WAIT_SECONDS,
    next_cdc_wait,
    next_restore_wait,
)


def test_first_restore_checks_are_thirty_seconds_apart() -> None:
    assert next_restore_wait(0, 0) == FIRST_WAIT_SECONDS
    assert next_restore_wait(30, 0) == FIRST_WAIT_SECONDS


@pytest.mark.parametrize("elapsed", [60, 600, 3600, 6 * 3600, 24 * 3600, 72 * 3600])
def test_without_progress_a_finish_is_seen_within_5_percent_of_the_elapsed_time(
    elapsed: int,
) -> None:
    wait = next_restore_wait(elapsed, 0)
    assert MIN_WAIT_SECONDS <= wait <= max(60, 0.05 * elapsed)


def test_progress_stretches_the_wait_but_never_past_the_earliest_possible_finish() -> None:
    # 10 minutes in at 1 %: at most 2 % done, so at least 490 minutes remain.
    wait = next_restore_wait(600, 1)
    assert wait == MAX_WAIT_SECONDS
    # 60 minutes in at 50 %: at most 51 % done, so at least ~57.6 minutes remain.
    wait = next_restore_wait(3600, 50)
    assert 0.05 * 3600 < wait <= 3600 * (0.49 / 0.51) / 2 + 1


def test_near_the_end_the_latency_bound_takes_over_again() -> None:
    assert next_restore_wait(3600, 98) == max(60, int(0.05 * 3600))


def test_cdc_under_threshold_is_checked_every_minute() -> None:
    assert next_cdc_wait(5, 60, 500, 600) == MIN_WAIT_SECONDS


def test_cdc_catching_up_waits_for_half_the_projected_time() -> None:
    # fell from 3600 s to 3000 s behind in 600 s of wall time: 1 s/s, 2940 s to go.
    assert next_cdc_wait(3000, 60, 3600, 600) == 1470


def test_cdc_without_a_trend_waits_a_quarter_of_the_backlog_within_bounds() -> None:
    assert next_cdc_wait(1000, 60, None, None) == 235
    assert next_cdc_wait(3 * 86400, 60, None, None) == MAX_WAIT_SECONDS
    assert next_cdc_wait(3000, 60, 2000, 600) == 735  # latency still rising
    assert next_cdc_wait(70, 60, None, None) == MIN_WAIT_SECONDS


def test_a_long_catch_up_is_checked_at_most_5_percent_of_its_time_apart() -> None:
    # two days into a catch-up whose trend says it has a day left: 5 % of 2 days, not 1 h
    day = 86400
    assert next_cdc_wait(day, 60, day + 3600, 3600, running_seconds=2 * day) == 8640
    assert next_cdc_wait(day, 60, day + 3600, 3600, running_seconds=3600) == MAX_WAIT_SECONDS
    # and never past half of what the trend says is left
    assert next_cdc_wait(3000, 60, 3600, 600, running_seconds=10 * day) == 1470

"""Where CDC must start, and which task settings converge: a property test of docs/design.md's
"Replayed changes converge" argument, on the model in tests/replay_model.py.

The property: DMS replaying the source's log from the backup's ``first_lsn``, under the task
settings bak2rds sends (``TASK_SETTINGS``), turns the restored database into the source, for
any interleaving of transactions around the backup and any lag of DMS's LOB look-ups. The
counterexamples below were found by hypothesis against ``checkpoint_lsn``, ``last_lsn``, the
settings bak2rds refuses, and the reading of the log the argument assumes; each is kept as a
plain test, so the README's claims about them stay checked.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bak2rds.adapters.dms import TASK_SETTINGS
from tests.replay_model import Change, History, Transaction, histories, replay

ERROR_BEHAVIOR = TASK_SETTINGS["ErrorBehavior"]
FULL_LOB_MODE = bool(TASK_SETTINGS["TargetMetadata"]["FullLobMode"])
LAGS = st.lists(st.integers(min_value=0, max_value=5), max_size=40)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories(), lags=LAGS)
def test_replay_from_first_lsn_makes_the_restore_equal_the_source(
    history: History, lags: list[int]
) -> None:
    target = replay(history, history.first_lsn, ERROR_BEHAVIOR, FULL_LOB_MODE, iter(lags))
    assert target == history.source()


def test_the_settings_sent_to_dms_are_the_ones_the_property_holds_for() -> None:
    assert ERROR_BEHAVIOR["ApplyErrorInsertPolicy"] == "LOG_ERROR"
    assert ERROR_BEHAVIOR["ApplyErrorUpdatePolicy"] == "LOG_ERROR"
    assert ERROR_BEHAVIOR["ApplyErrorDeletePolicy"] in {"IGNORE_RECORD", "LOG_ERROR"}
    assert FULL_LOB_MODE and not TASK_SETTINGS["TargetMetadata"]["BatchApplyEnabled"]


def _long_transaction_across_the_backup() -> History:
    """T1 inserts key 1 before the backup's checkpoint and commits only after the backup:
    the restore rolls it back, so only the log has it."""
    t1 = Transaction(begin_lsn=1, changes=[Change(2, "insert", 1, (5, "a"))], end_lsn=6)
    t1.committed = True
    return History(initial={}, transactions=[t1], checkpoint_lsn=3, data_read_end_lsn=4, last_lsn=5)


def test_checkpoint_lsn_loses_a_transaction_open_at_the_checkpoint() -> None:
    history = _long_transaction_across_the_backup()
    assert history.first_lsn == 1 < history.checkpoint_lsn
    assert replay(history, history.first_lsn, ERROR_BEHAVIOR, FULL_LOB_MODE) == {1: (5, "a")}
    # From the checkpoint, the insert logged before it is never read: the row is lost.
    assert replay(history, history.checkpoint_lsn, ERROR_BEHAVIOR, FULL_LOB_MODE) == {}
    assert history.source() == {1: (5, "a")}


def test_last_lsn_loses_a_transaction_open_at_the_end_of_the_backup() -> None:
    """T1 updates key 1 while the backup copies the log and commits after it: the restore
    undoes the update, and a replay from last_lsn starts after it."""
    t1 = Transaction(begin_lsn=4, changes=[Change(5, "update", 1, (7, "b"))], end_lsn=7)
    t1.committed = True
    history = History(
        initial={1: (0, "initial")},
        transactions=[t1],
        checkpoint_lsn=1,
        data_read_end_lsn=2,
        last_lsn=6,
    )
    assert history.restored() == {1: (0, "initial")}
    assert replay(history, history.first_lsn, ERROR_BEHAVIOR, FULL_LOB_MODE) == {1: (7, "b")}
    assert replay(history, history.last_lsn, ERROR_BEHAVIOR, FULL_LOB_MODE) == {1: (0, "initial")}
    assert history.source() == {1: (7, "b")}


def test_update_record_loses_lob_changes() -> None:
    """ApplyErrorUpdatePolicy UPDATE_RECORD "completely disables LOB column support": a
    replayed update of a LOB never reaches the restore."""
    t1 = Transaction(begin_lsn=5, changes=[Change(6, "update", 1, (1, "new"))], end_lsn=7)
    t1.committed = True
    history = History(
        initial={1: (1, "old")},
        transactions=[t1],
        checkpoint_lsn=2,
        data_read_end_lsn=3,
        last_lsn=4,
    )
    refused = {**ERROR_BEHAVIOR, "ApplyErrorUpdatePolicy": "UPDATE_RECORD"}
    assert replay(history, history.first_lsn, refused, FULL_LOB_MODE) == {1: (1, "old")}
    assert replay(history, history.first_lsn, ERROR_BEHAVIOR, FULL_LOB_MODE) == {1: (1, "new")}


def test_the_argument_needs_dms_to_read_changes_of_transactions_begun_before_the_start() -> None:
    """The assumption the DMS guide does not settle. T1 begins before first_lsn, and after T2
    (begun after it) wrote key 1, T1 writes key 1 too and commits before the backup ends. If
    DMS skipped transactions that began before the start position, replaying T2 would put its
    older value back over T1's: the restore would end one update behind the source."""
    t1 = Transaction(begin_lsn=1, changes=[Change(7, "update", 1, (3, "c"))], end_lsn=8)
    t0 = Transaction(begin_lsn=2, changes=[], end_lsn=12)  # open when the data read ends
    t2 = Transaction(begin_lsn=4, changes=[Change(5, "update", 1, (2, "b"))], end_lsn=6)
    for transaction in (t0, t1, t2):
        transaction.committed = True
    history = History(
        initial={1: (0, "initial")},
        transactions=[t1, t0, t2],
        checkpoint_lsn=3,
        data_read_end_lsn=9,
        last_lsn=10,
    )
    assert history.first_lsn == 2
    whole = replay(history, 2, ERROR_BEHAVIOR, full_lob_mode=False, reading="transactions")
    assert whole == {1: (2, "b")} != history.source()
    by_record = replay(history, 2, ERROR_BEHAVIOR, full_lob_mode=False, reading="records")
    assert by_record == history.source() == {1: (3, "c")}

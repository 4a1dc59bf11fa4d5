"""A model of a source's log, a full backup of it, and DMS replaying the log onto the restore.

It is what tests/unit/test_cdc_convergence.py reasons with; each rule names its source.

* **The source** runs transactions of inserts, updates and deletes on one table (a primary key,
  a scalar column, a LOB column) under exclusive row locks held to the end of the transaction
  (SQL Server's default for writes), so changes to one key are ordered by commit. Each change
  and each commit or rollback has a log sequence number.
* **The full backup** (SQL Server's "BACKUP DATABASE"): a checkpoint at ``checkpoint_lsn``,
  the data read, then the log copied up to ``last_lsn``; ``first_lsn`` is the oldest log record
  the backup holds: the checkpoint or the begin of the oldest transaction still open when the
  data read ended, whichever is older (restore must roll that transaction back). Restoring it
  gives every transaction committed before ``last_lsn``, and none of the others.
* **DMS's apply** (transactional apply, ``BatchApplyEnabled`` false): committed transactions in
  commit order, each change written as its after-image keyed by the primary key (the one
  assumption: DMS writes column values, not deltas). What it reads from a start position is
  an assumption the DMS guide does not settle, so both readings are modelled:
  ``"records"``, every change logged at or after the position (of a transaction that commits),
  and ``"transactions"``, only transactions that begin at or after it.
* **Conflicts** follow the task's ``ErrorBehavior`` (DMS user guide, "Error handling task
  settings"): an insert of a key that is there, an update or a delete of one that is not.
  ``LOG_ERROR`` and ``IGNORE_RECORD`` skip the change; ``INSERT_RECORD`` overwrites the row;
  ``UPDATE_RECORD`` inserts the missing row and "completely disables LOB column support".
* **LOBs** in full LOB mode are not taken from the log: DMS looks the value up in the source
  table when it applies the change (DMS user guide, "Setting LOB support"; best practices), so
  the model reads the source's row as it is at apply time, which is never before the commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import count
from typing import Any, Literal

from hypothesis import strategies as st

Kind = Literal["insert", "update", "delete"]
Reading = Literal["records", "transactions"]
Row = tuple[int, str | None]  # (scalar column, LOB column)
Table = dict[int, Row]


@dataclass(frozen=True)
class Change:
    lsn: int
    kind: Kind
    key: int
    row: Row | None  # the after-image; None for a delete


@dataclass
class Transaction:
    begin_lsn: int
    changes: list[Change] = field(default_factory=list)
    end_lsn: int | None = None  # the commit or rollback record
    committed: bool = False

    def open_at(self, lsn: int) -> bool:
        return self.begin_lsn < lsn and (self.end_lsn is None or self.end_lsn > lsn)


@dataclass
class History:
    initial: Table  # committed before the log starts
    transactions: list[Transaction]  # in begin order
    checkpoint_lsn: int
    data_read_end_lsn: int
    last_lsn: int

    @property
    def first_lsn(self) -> int:
        open_then = [t.begin_lsn for t in self.transactions if t.open_at(self.data_read_end_lsn)]
        return min([self.checkpoint_lsn, *open_then])

    def committed(self) -> list[Transaction]:
        done = [t for t in self.transactions if t.committed]
        return sorted(done, key=lambda t: t.end_lsn or 0)

    def source(self, at_lsn: int | None = None) -> Table:
        """The source table with every transaction committed before ``at_lsn`` (None: all)."""
        table = dict(self.initial)
        for transaction in self.committed():
            assert transaction.end_lsn is not None
            if at_lsn is None or transaction.end_lsn < at_lsn:
                for change in transaction.changes:
                    _write(table, change.key, change.row)
        return table

    def restored(self) -> Table:
        """RESTORE DATABASE of the full backup: redo to last_lsn, undo what was open there."""
        return self.source(at_lsn=self.last_lsn)


def _write(table: Table, key: int, row: Row | None) -> None:
    if row is None:
        table.pop(key, None)
    else:
        table[key] = row


def replay(
    history: History,
    start_lsn: int,
    error_behavior: Mapping[str, str],
    full_lob_mode: bool,
    apply_lags: Iterator[int] | None = None,
    reading: Reading = "records",
) -> Table:
    """The restored table after DMS applied the log from ``start_lsn`` and caught up.

    ``apply_lags`` gives, per transaction, how many LSNs after its commit (and after the
    previous apply) DMS applies it: the moment a full-LOB-mode lookup reads the source.
    """
    target = history.restored()
    lob_support = error_behavior["ApplyErrorUpdatePolicy"] != "UPDATE_RECORD"
    applied_at = 0
    for transaction in history.committed():
        assert transaction.end_lsn is not None
        if reading == "transactions" and transaction.begin_lsn < start_lsn:
            continue
        applied_at = max(applied_at, transaction.end_lsn) + (
            next(apply_lags, 0) if apply_lags else 0
        )
        source_then = history.source(at_lsn=applied_at + 1)
        for change in transaction.changes:
            if change.lsn < start_lsn:
                continue
            row = change.row
            if row is not None:
                lob = (source_then.get(change.key) or (0, None))[1] if full_lob_mode else row[1]
                row = (row[0], lob if lob_support else None)
            _apply(target, change, row, error_behavior, lob_support)
    return target


def _apply(
    target: Table,
    change: Change,
    row: Row | None,
    error_behavior: Mapping[str, str],
    lob_support: bool,
) -> None:
    there = change.key in target
    if change.kind == "delete":
        target.pop(change.key, None)  # a missing row: IGNORE_RECORD or LOG_ERROR, skipped
        return
    assert row is not None
    if change.kind == "insert" and there:
        if error_behavior["ApplyErrorInsertPolicy"] == "INSERT_RECORD":
            target[change.key] = row  # "deletes the existing record and then inserts"
        return  # LOG_ERROR: written to awsdms_apply_exceptions, skipped
    if change.kind == "update" and not there:
        if error_behavior["ApplyErrorUpdatePolicy"] == "UPDATE_RECORD":
            target[change.key] = row
        return
    if change.kind == "update" and not lob_support:
        row = (row[0], target[change.key][1])  # LOB columns are no longer replicated
    target[change.key] = row


# ------------------------------------------------------------------- random histories

KEYS = st.integers(min_value=1, max_value=4)  # few keys, so transactions collide


@st.composite
def histories(draw: Any) -> History:
    """Transactions that begin, write, commit or roll back in any interleaving the locks
    allow, with the backup's checkpoint, data-read end and log end anywhere among them."""
    lsn = count(1)
    initial: Table = {key: (0, "initial") for key in draw(st.sets(KEYS, max_size=3))}
    committed = dict(initial)
    pending: dict[int, Table] = {}  # open transaction (index) -> its own uncommitted view
    locks: dict[int, int] = {}  # key -> open transaction holding it
    transactions: list[Transaction] = []
    steps = draw(st.integers(min_value=3, max_value=30))
    marks = sorted(draw(st.lists(st.integers(0, steps), min_size=3, max_size=3)))
    backup: list[int] = []
    for step in range(steps + 1):
        while len(backup) < 3 and marks[len(backup)] == step:
            backup.append(next(lsn))  # checkpoint, end of the data read, last_lsn
        if step == steps:
            break
        action = draw(st.sampled_from(["begin", "write", "write", "write", "end"]))
        open_ones = sorted(pending)
        if action == "begin" or not open_ones:
            transactions.append(Transaction(begin_lsn=next(lsn)))
            pending[len(transactions) - 1] = {}
            continue
        index = draw(st.sampled_from(open_ones))
        if action == "end":
            _end(transactions[index], pending, locks, committed, index, next(lsn), draw)
            continue
        key = draw(KEYS)
        if locks.get(key, index) != index:
            continue  # another open transaction holds the row: this one would wait
        view = pending[index]
        present = (view[key] is not None) if key in view else key in committed
        kind: Kind = draw(st.sampled_from(["update", "delete"])) if present else "insert"
        row = None if kind == "delete" else (draw(st.integers(0, 9)), draw(st.sampled_from("abc")))
        transactions[index].changes.append(Change(next(lsn), kind, key, row))
        view[key] = row  # type: ignore[assignment]  # None marks a delete in the view
        locks[key] = index
    for index in sorted(pending):  # the source goes on after the backup: everything ends
        _end(transactions[index], pending, locks, committed, index, next(lsn), draw)
    return History(initial, transactions, backup[0], backup[1], backup[2])


def _end(
    transaction: Transaction,
    pending: dict[int, Table],
    locks: dict[int, int],
    committed: Table,
    index: int,
    end_lsn: int,
    draw: Any,
) -> None:
    transaction.end_lsn = end_lsn
    transaction.committed = draw(st.booleans()) if transaction.changes else True
    for key, row in pending.pop(index).items():
        if transaction.committed:
            _write(committed, key, row)
        locks.pop(key, None)

"""Restore Triggers And Keys: after the drain, on cutover or rejection, the restored copy's
triggers and foreign keys back as they were restored.

Exactly what Prepare Target switched off (the objects carrying its mark) is switched on: a
trigger enabled; a foreign key that was trusted checked again ``WITH CHECK`` (so SQL Server
trusts it, as before), one that was enabled but not trusted enabled ``WITH NOCHECK`` (as it
was). A foreign key whose rows fail the check stays NOCHECK and is named in the e-mail, never
left silently untrusted. ``WITH CHECK`` reads the whole table, so the step works while the
invocation has time for one more statement and the state machine calls it again until done.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bak2rds.adapters.restored_database import CHECK_FAILED, Switch
from bak2rds.models import FailedCheck, TargetRestore

FAILED_CHECKS_KEPT = 20  # in the state and the e-mail; the database carries every one


class TargetSwitches(Protocol):
    """What this step needs of the restored database (``RestoredDatabase`` in AWS)."""

    def switches(self) -> list[Switch]: ...
    def switch_on(
        self, switches: list[Switch], keep_going: Callable[[], bool]
    ) -> list[tuple[Switch, str | None]]: ...


def run(
    previous: TargetRestore | None,
    database: TargetSwitches,
    keep_going: Callable[[], bool],
    now: datetime,
) -> TargetRestore:
    pending = [s for s in database.switches() if s.ours and s.mark != CHECK_FAILED]
    outcomes = database.switch_on(pending, keep_going)
    failed: list[FailedCheck] = list(previous["failed_checks"]) if previous else []
    failed_count = previous["failed_count"] if previous else 0
    for switch, reason in outcomes:
        if reason is not None:
            failed_count += 1
            if len(failed) < FAILED_CHECKS_KEPT:
                failed.append({"foreign_key": switch.quoted, "reason": reason})
    switched_on = [switch for switch, reason in outcomes if reason is None]
    return {
        "started_at": previous["started_at"] if previous else now.isoformat(),
        "triggers_on": (previous["triggers_on"] if previous else 0)
        + sum(s.kind == "trigger" for s in switched_on),
        "foreign_keys_on": (previous["foreign_keys_on"] if previous else 0)
        + sum(s.kind == "foreign key" for s in switched_on),
        "failed_checks": failed,
        "failed_count": failed_count,
        "done": len(outcomes) == len(pending),
    }

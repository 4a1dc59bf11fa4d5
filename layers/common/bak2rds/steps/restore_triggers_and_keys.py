"""Restore Triggers And Keys: after the drain, on cutover or rejection, the restored copy's
triggers and foreign keys back as they were restored.

Exactly what Prepare Target switched off (the objects carrying this migration's mark) is
switched on: a trigger enabled; a foreign key that was trusted checked again ``WITH CHECK``
(so SQL Server trusts it, as before), one that was enabled but not trusted enabled ``WITH
NOCHECK`` (as it was). A foreign key whose rows fail the check stays NOCHECK, marked
check-failed, and is named in the e-mail: never left silently untrusted. ``WITH CHECK`` reads
the whole table, so the step works while the invocation has time for one more statement and
the state machine calls it again until done. What is done is read back from the database each
time, not counted in the state, so a crash or a retry cannot lose a failed check.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bak2rds.adapters.restored_database import Switch
from bak2rds.models import FailedCheck, TargetPrep, TargetRestore

FAILED_CHECKS_KEPT = 20  # in the state and the e-mail; the database carries every one
EARLIER_FAILURE = "WITH CHECK failed (in an earlier call of this step)"


class TargetSwitches(Protocol):
    """What this step needs of the restored database (``RestoredDatabase`` in AWS)."""

    def switches(self) -> list[Switch]: ...
    def switch_on(
        self, switches: list[Switch], keep_going: Callable[[], bool]
    ) -> list[tuple[Switch, str | None]]: ...


def run(
    previous: TargetRestore | None,
    prepared: TargetPrep,
    database: TargetSwitches,
    keep_going: Callable[[], bool],
    now: datetime,
) -> TargetRestore:
    pending = [s for s in database.switches() if s.ours and not s.check_failed]
    earlier = previous["failed_checks"] if previous else []
    reasons = {f["foreign_key"]: f["reason"] for f in earlier}
    for switch, reason in database.switch_on(pending, keep_going):
        if reason is not None:
            reasons[switch.quoted] = reason
    left = [s for s in database.switches() if s.ours]  # what is still off, as the database says
    failed = [s for s in left if s.check_failed]
    checks: list[FailedCheck] = [
        {"foreign_key": s.quoted, "reason": reasons.get(s.quoted, EARLIER_FAILURE)}
        for s in failed[:FAILED_CHECKS_KEPT]
    ]
    return {
        "started_at": previous["started_at"] if previous else now.isoformat(),
        "triggers_on": prepared["triggers_off"] - sum(s.kind == "trigger" for s in left),
        "foreign_keys_on": prepared["foreign_keys_off"]
        - sum(s.kind == "foreign key" for s in left),
        "failed_checks": checks,
        "failed_count": len(failed),
        "done": len(left) == len(failed),
    }

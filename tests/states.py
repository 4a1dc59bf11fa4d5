"""Typed sample states, from the fullest sample in events/ (one place for every test).

``events/stop_cdc_task.json`` holds the state as it stands at the end of an approved cutover;
tests/unit/test_models.py checks it (and every other sample) against ``bak2rds.models``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from bak2rds.models import (
    Cdc,
    DmsResources,
    Migration,
    MigrationState,
    Restore,
    StartLsn,
    Target,
    TargetPrep,
)

EVENTS = Path(__file__).resolve().parents[1] / "events"
_FULL: MigrationState = json.loads((EVENTS / "stop_cdc_task.json").read_text())["state"]


def state() -> MigrationState:
    """A fresh copy of the whole state: tests may change it."""
    return copy.deepcopy(_FULL)


MIGRATION: Migration = _FULL["migration"]
TARGET: Target = _FULL["target"]
RESTORE: Restore = _FULL["restore"]
START_LSN: StartLsn = _FULL["start_lsn"]
TARGET_PREP: TargetPrep = _FULL["target_prep"]
CDC: Cdc = _FULL["cdc"]
DMS: DmsResources = _FULL["dms"]

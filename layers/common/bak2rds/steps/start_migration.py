"""Start Migration: one execution per uploaded object version, named so people can read it."""

from __future__ import annotations

from typing import Any

from bak2rds.adapters.stepfunctions import StateMachine
from bak2rds.models import StartedMigration
from bak2rds.naming import execution_name, object_fingerprint
from bak2rds.s3event import parse_object_created


def run(event: dict[str, Any], state_machine: StateMachine) -> StartedMigration:
    uploaded = parse_object_created(event)
    name = execution_name(
        uploaded.key, object_fingerprint(uploaded.bucket, uploaded.key, uploaded.identity)
    )
    # The execution gets the event as it came: Read Backup Object validates it.
    arn, duplicate = state_machine.start_once(name, event)
    return {"execution_name": name, "execution_arn": arn, "duplicate": duplicate}

"""``make demo``: one migration, end to end, on this machine, with no AWS account.

The real ``statemachine/migration.asl.json`` and the real handlers run on moto (in this
process) with simulated time: an upload of ``incoming/Northwind.bak`` goes through the whole
workflow, and every state is printed with its key facts, in simulated time, then a summary.

Simulated (and said so in the output): the RDS for SQL Server endpoint (``localrun.sqlserver``)
and DMS task progress and CDC latency (``localrun.dms``). Everything else is moto.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import sys
import time
import warnings
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from localrun.dms import CdcLatencyProfile
from localrun.runtime import ExecutionResult, LocalRuntime
from localrun.sqlserver import BackupInS3

KEY = "incoming/Northwind.bak"
NO_SPACE = "There is insufficient free space on disk volume 'D:\\' to create the database."
SIMULATED = (
    "Simulated here: the RDS for SQL Server endpoint (restore tasks, % complete, msdb restore "
    "history) and DMS task progress and CDC latency. S3, Step Functions, Lambda, SNS, Secrets "
    "Manager, RDS API, DMS API and CloudWatch are moto. The state machine and the handlers are "
    "the ones that deploy."
)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--restore-minutes", type=float, default=45, help="how long the restore takes"
    )
    parser.add_argument(
        "--cdc-behind-minutes",
        type=float,
        default=30,
        help="how far behind the source CDC starts",
    )
    parser.add_argument(
        "--fail-restore",
        action="store_true",
        help="let the restore end in ERROR (not enough space) to show the failure path",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_arguments(argv)
    # What the interpreter and Powertools say on stderr is for developers, not this story.
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    began = time.monotonic()
    print("bak2rds demo: drop Northwind.bak, restore it into RDS, catch it up with DMS CDC\n")
    print(SIMULATED, "\n")
    backup = BackupInS3(
        "Northwind",
        first_lsn=20000000024300001,
        checkpoint_lsn=20000000024500001,
        last_lsn=20000000025000001,
        restore_duration=timedelta(minutes=options.restore_minutes),
        fails_with=NO_SPACE if options.fail_restore else None,
    )
    latency = CdcLatencyProfile(initial_seconds=options.cdc_behind_minutes * 60)
    runtime = LocalRuntime(
        dms_source_database="Northwind", dms_target_database="Northwind", cdc_latency=latency
    )
    # The handlers' JSON logs go to CloudWatch in AWS; here they would drown the story.
    with contextlib.redirect_stdout(io.StringIO()), runtime:
        arn = runtime.start_migration(KEY, backup)
        (execution,) = runtime.run_until_done(timeout_seconds=50)
        notifications = runtime.notifications()
        start_positions = {
            task.identifier: task.cdc_start_position for task in runtime.dms.tasks.values()
        }
    print(f"Uploaded s3://{runtime.bucket}/{KEY}; EventBridge started {arn.rsplit(':', 1)[-1]}\n")
    for line in narrate(execution):
        print(line)
    print()
    print(summary(execution, [n.subject for n in notifications], start_positions))
    print(f"\nDone in {time.monotonic() - began:.1f} s of wall time.")
    return 0 if execution.status == "SUCCEEDED" or options.fail_restore else 1


def narrate(execution: ExecutionResult) -> list[str]:
    """One line per state entered: simulated time, state name and what it found."""
    lines = []
    start = execution.started_at
    entered: tuple[str, datetime] | None = None
    for event in execution.history:
        kind = str(event["type"])
        if kind.endswith("StateEntered"):
            entered = (str(event["stateEnteredEventDetails"]["name"]), event["timestamp"])
            if kind in {"WaitStateEntered", "ChoiceStateEntered"}:
                continue
            if kind == "FailStateEntered":
                lines.append(_line(start, entered, "failed"))
        elif kind.endswith("StateExited") and entered is not None:
            name = entered[0]
            if name.endswith("?") or name.startswith("Wait"):
                continue  # the check before a wait already says how long it is
            output = json.loads(event["stateExitedEventDetails"].get("output") or "{}")
            caught = output.get("failure") if name != "Notify Failure" else None
            text = f"failed: {caught.get('Error')}" if caught else facts(name, output)
            lines.append(_line(start, entered, text))
    if execution.status != "SUCCEEDED":
        lines.append(f"Execution {execution.status}: {execution.error}")
        lines.append(f"  {execution.cause}")
    return lines


def facts(state: str, output: dict[str, Any]) -> str:
    """The key facts a person wants from a state's output."""
    migration, restore = output.get("migration", {}), output.get("restore", {})
    lsn, cdc = output.get("start_lsn", {}), output.get("cdc", {})
    by_state = {
        "Read Backup Object": lambda: (
            f"database [{migration.get('database_name')}] from s3://{migration.get('bucket')}/"
            f"{migration.get('key')} ({migration.get('size_bytes', 0):,} bytes)"
        ),
        "Check Target": lambda: (
            f"{output['target']['instance_id']} is {output['target']['engine']}, available"
        ),
        "Start Restore": lambda: f"rds_restore_database started task {restore.get('task_id')}",
        "Check Restore": lambda: (
            f"task {restore.get('task_id')} SUCCESS after {restore.get('elapsed_seconds')} s"
            if restore.get("succeeded")
            else f"task {restore.get('task_id')} {restore.get('lifecycle')} "
            f"{restore.get('percent_complete')}% - next check in {restore.get('wait_seconds')} s"
        ),
        "Derive Start LSN": lambda: (
            f"{lsn.get('strategy')} = {lsn.get('dms')} ({lsn.get('numeric')})"
        ),
        "Create CDC Task": lambda: f"DMS task {cdc.get('task_id')} ({cdc.get('status')})",
        "Start CDC Task": lambda: (
            f"{cdc.get('status')}, started at {lsn.get('dms')}"
            if cdc.get("started")
            else f"{cdc.get('status')} - next look in {cdc.get('wait_seconds')} s"
        ),
        "Check CDC": lambda: (
            f"{cdc.get('status')}, latency "
            + (
                "not published yet"
                if cdc.get("latency_seconds") is None
                else f"{cdc.get('latency_seconds')} s"
            )
            + f", {cdc.get('good_checks')} good check(s) in a row"
            + ("" if cdc.get("ready") else f" - next in {cdc.get('wait_seconds')} s")
        ),
    }
    if state in by_state:
        return by_state[state]()
    if state.startswith("Notify"):
        return "published to SNS"
    return ""


def summary(
    execution: ExecutionResult, subjects: list[str], start_positions: dict[str, str | None]
) -> str:
    lines = [
        f"Execution {execution.name}: {execution.status}"
        + (f" ({execution.error})" if execution.error else ""),
        f"  simulated time {execution.simulated_duration}, {execution.state_transitions} state "
        f"transitions, {len(execution.history)} history events, "
        f"{execution.lambda_invocations} Lambda invocations",
    ]
    for identifier, position in start_positions.items():
        lines.append(f"  DMS task {identifier} started at CDC position {position}")
    lines.append("  SNS messages:")
    lines.extend(f"    {subject}" for subject in subjects)
    return "\n".join(lines)


def _line(start: datetime, entered: tuple[str, datetime], text: str) -> str:
    name, at = entered
    offset = int((at - start).total_seconds())
    hours, rest = divmod(offset, 3600)
    return f"+{hours:02d}:{rest // 60:02d}:{rest % 60:02d}  {name:<26} {text}"


if __name__ == "__main__":
    sys.exit(main())

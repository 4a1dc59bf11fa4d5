"""``make demo``: one migration, end to end, on this machine, with no AWS account.

The real ``statemachine/migration.asl.json`` and the real handlers run on moto (in this
process) with simulated time: an upload of ``incoming/Northwind.bak`` goes through the whole
workflow, and every state is printed with its key facts, in simulated time, then a summary.

When CDC has caught up, the migration waits for the cutover approval. By default the demo
then serves the approval API on 127.0.0.1 and prints the e-mail's links pointed at it: open one
in a browser, read the page, press Approve or Reject, and the demo carries on (Ctrl-C, or
``--wait-minutes`` without a decision, leaves the migration waiting). ``--auto-approve``
presses Approve itself, as the page's form would.

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
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from localrun import samples
from localrun.dms import CdcLatencyProfile
from localrun.runtime import ExecutionResult, LocalRuntime

KEY = "incoming/Northwind.bak"
NO_SPACE = "There is insufficient free space on disk volume 'D:\\' to create the database."
SIMULATED = (
    "Simulated here: the RDS for SQL Server endpoint (restore tasks, % complete, msdb restore "
    "history) and DMS task progress and CDC latency. S3, Step Functions, Lambda, SNS, Secrets "
    "Manager, RDS API, DMS API and CloudWatch are moto. The state machine and the handlers are "
    "the ones that deploy."
)


DEFAULT_WAIT_MINUTES = 30.0


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
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="approve the cutover without a browser (as the page's Approve button would)",
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port of the local approval page (0: any free)"
    )
    parser.add_argument(
        "--wait-minutes",
        type=float,
        default=None,
        help="how long to wait for a decision in the browser before leaving it pending "
        f"(default {DEFAULT_WAIT_MINUTES:g}; without a terminal and without this option the "
        "demo approves by itself instead of waiting)",
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
    backup = samples.backup_in_s3(
        restore_duration=timedelta(minutes=options.restore_minutes),
        fails_with=NO_SPACE if options.fail_restore else None,
    )
    latency = CdcLatencyProfile(initial_seconds=options.cdc_behind_minutes * 60)
    runtime = LocalRuntime(cdc_latency=latency)
    out = sys.stdout
    # The handlers' JSON logs go to CloudWatch in AWS; here they would drown the story.
    with contextlib.redirect_stdout(io.StringIO()), runtime:
        arn = runtime.start_migration(KEY, backup)
        (execution,) = runtime.run_until_done(timeout_seconds=50)
        print(
            f"Uploaded s3://{runtime.bucket}/{KEY}; EventBridge started {arn.rsplit(':', 1)[-1]}\n",
            file=out,
        )
        told = narrate(execution)
        print("\n".join(told), file=out)
        if execution.waiting_for_approval:
            asked = execution.states[-1].entered_at
            entered = ("Request Cutover Approval", asked)
            print(_line(execution.started_at, entered, "e-mail sent, waiting"), file=out)
            if options.auto_approve or not wants_a_browser(options):
                decided = approve_automatically(runtime, out)
            else:
                wait = options.wait_minutes or DEFAULT_WAIT_MINUTES
                decided = wait_for_a_browser(runtime, out, options.port, wait)
            if decided:
                (execution,) = runtime.run_until_done(timeout_seconds=50)
                print("\n".join(narrate(execution)[len(told) :]), file=out)
        notifications = runtime.notifications()
        start_positions = {
            task.identifier: task.cdc_start_position for task in runtime.dms.tasks.values()
        }
    print()
    print(summary(execution, [n.subject for n in notifications], start_positions))
    print(f"\nDone in {time.monotonic() - began:.1f} s of wall time.")
    ended_as_told = execution.status == "SUCCEEDED" or execution.waiting_for_approval
    return 0 if ended_as_told or options.fail_restore else 1


def wants_a_browser(options: argparse.Namespace) -> bool:
    """Serve the page to a person at a terminal; a script (CI, a pipe) gets the whole run."""
    return options.wait_minutes is not None or sys.stdin.isatty()


def approve_automatically(runtime: LocalRuntime, out: TextIO) -> bool:
    """Press Approve as the page would (a form post of the e-mail's link), then stop writes."""
    (email,) = runtime.approval_emails()
    print(f"\nE-mail: {email.subject}", file=out)
    link = email.approve_link
    query = {name: values[0] for name, values in parse_qs(urlsplit(link).query).items()}
    form = {"expires": query["expires"], "signature": query["signature"], "decision": "approve"}
    response = runtime.approval_http(
        "POST", link.split("?", 1)[0], form=form, headers={"User-Agent": "make demo"}
    )
    print(f"Approve link as e-mailed: {link}", file=out)
    print(
        f"Approving as its page's button would: POST {urlsplit(link).path} -> "
        f"{response.status} (run make demo in a terminal to press it yourself)",
        file=out,
    )
    return _after_decision(runtime, out, response.status == 200)


def wait_for_a_browser(runtime: LocalRuntime, out: TextIO, port: int, wait_minutes: float) -> bool:
    """Serve the approval page on 127.0.0.1 and wait until someone decides there."""
    (email,) = runtime.approval_emails()
    with runtime.serve_approvals(port):
        print(f"\nE-mail: {email.subject}", file=out)
        print("The cutover waits for your decision. Open a link in a browser:", file=out)
        print(f"  Approve: {runtime.local_approval_url(email.approve_link)}", file=out)
        print(f"  Reject:  {runtime.local_approval_url(email.reject_link)}", file=out)
        print(
            "Opening the page changes nothing; a button does. Ctrl-C leaves it waiting.", file=out
        )
        out.flush()
        deadline = time.monotonic() + wait_minutes * 60
        try:
            while runtime.waiting_for_approval and time.monotonic() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        if runtime.waiting_for_approval:
            print("No decision: the migration keeps waiting, CDC keeps running.", file=out)
            return False
    return _after_decision(runtime, out, _approved(runtime))


def _approved(runtime: LocalRuntime) -> bool:
    runtime.run_until(lambda: True)  # let the execution take the decision in
    (execution,) = runtime.executions()
    return "Check Final Sync" in execution.state_names


def _after_decision(runtime: LocalRuntime, out: TextIO, approved: bool) -> bool:
    if approved:
        # What the e-mail asks of the DBA once they approve: writes to the source stop.
        runtime.dms.stop_source_writes()
        print("Approved; the operator stops writes to the source, CDC drains.", file=out)
    return True


def narrate(execution: ExecutionResult) -> list[str]:
    """One line per state entered: simulated time, state name and what it found."""
    lines = []
    start = execution.started_at
    entered: dict[str, datetime] = {}  # by state name: a Parallel's branches interleave
    for event in execution.history:
        kind = str(event["type"])
        if kind.endswith("StateEntered"):
            name = str(event["stateEnteredEventDetails"]["name"])
            entered[name] = event["timestamp"]
            if kind == "FailStateEntered":
                lines.append(_line(start, (name, entered[name]), "failed"))
        elif kind.endswith("StateExited"):
            name = str(event["stateExitedEventDetails"]["name"])
            if name not in entered or name.endswith("?") or name.startswith("Wait"):
                continue  # the check before a wait already says how long it is
            output = json.loads(event["stateExitedEventDetails"].get("output") or "{}")
            caught = output.get("failure") if name != "Notify Failure" else None
            if name in _BRANCH_ENDS and not caught:
                continue
            text = f"failed: {caught.get('Error')}" if caught else facts(name, output)
            # a Parallel state is shown when it fails, at the time it failed
            at = event["timestamp"] if name in _BRANCH_ENDS else entered[name]
            lines.append(_line(start, (name, at), text))
    if execution.status not in {"SUCCEEDED", "RUNNING"}:
        lines.append(f"Execution {execution.status}: {execution.error}")
        lines.append(f"  {execution.cause}")
    return lines


# The Parallel state and the Succeed state ending a branch: their branches' lines say it
# (unless the Parallel state caught a branch's failure).
_BRANCH_ENDS = frozenset({"Restore And Prepare CDC", "Restore Done", "Prepared For CDC"})


def _connection_text(check: dict[str, Any]) -> str:
    if check.get("successful"):
        return f"{check.get('endpoint_id')} connects"
    status, wait = check.get("status"), check.get("wait_seconds")
    return f"{check.get('endpoint_id')} {status} - next look in {wait} s"


def facts(state: str, output: dict[str, Any]) -> str:
    """The key facts a person wants from a state's output."""
    migration, restore = output.get("migration", {}), output.get("restore", {})
    lsn, cdc = output.get("start_lsn", {}), output.get("cdc", {})
    dms = output.get("dms", {})
    prep, back = output.get("target_prep", {}), output.get("target_restore", {})
    assessed = output.get("assessment", {})
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
        "Assess CDC Task": lambda: (
            f"DMS assessment {assessed.get('status')}"
            + (
                f": {len(assessed.get('included', []))} source checks, "
                f"{len(assessed.get('notes', []))} to read"
                if assessed.get("done") and assessed.get("enabled")
                else (
                    ""
                    if assessed.get("done")
                    else f" - next look in {assessed.get('wait_seconds')} s"
                )
            )
        ),
        "Check Logins": lambda: (
            f"{output.get('logins', {}).get('count')} database user(s) map to no login "
            "(the approval e-mail gives the fix)"
        ),
        "Prepare Target": lambda: (
            f"{prep.get('triggers_off')} triggers disabled, {prep.get('foreign_keys_off')} "
            "foreign keys NOCHECK on the RDS copy"
            + (
                f", {len(prep['excluded_tables'])} keyless table(s) left out"
                if prep.get("excluded_tables")
                else ""
            )
        ),
        "Restore Triggers And Keys": lambda: (
            f"{back.get('triggers_on')} triggers and {back.get('foreign_keys_on')} foreign keys "
            "back on as restored"
            + (
                f", {back.get('failed_count')} failed WITH CHECK"
                if back.get("failed_count")
                else ""
            )
            + ("" if back.get("done") else " - more next call")
        ),
        "Create DMS Endpoints": lambda: (
            f"{dms.get('source_endpoint_id')} reads [{dms.get('source_database')}], "
            f"{dms.get('target_endpoint_id')} writes [{dms.get('target_database')}]"
        ),
        "Test Source Connection": lambda: _connection_text(output.get("source_connection", {})),
        "Create CDC Task": lambda: f"DMS task {cdc.get('task_id')} ({cdc.get('status')})",
        "Test Target Connection": lambda: _connection_text(output.get("target_connection", {})),
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
    by_state.update(_cutover_facts(output))
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


def _cutover_facts(output: dict[str, Any]) -> dict[str, Any]:
    approval, final = output.get("approval") or {}, output.get("final_sync") or {}
    decided, stop = approval.get("decided") or {}, output.get("cdc_stop") or {}
    timeout = (output.get("approval_request") or {}).get("timeout_seconds", 0)
    cleanup = output.get("dms_cleanup") or {}
    found, exceptions = output.get("identities") or {}, output.get("apply_exceptions") or {}
    report = output.get("report") or {}
    return {
        "Set Approval Timeout": lambda: f"links expire in {timedelta(seconds=timeout)}",
        "Request Cutover Approval": lambda: (
            f"{approval.get('decision')} at {decided.get('at')} from {decided.get('source_ip')}"
        ),
        "Record Rejection": lambda: f"rejected by {decided.get('source_ip')}",
        "Check Final Sync": lambda: (
            f"latency {final.get('latency_seconds')} s, {final.get('good_checks')} good check(s)"
            + (", drained" if final.get("drained") else f" - next in {final.get('wait_seconds')} s")
        ),
        "Stop CDC Task": lambda: f"DMS task {stop.get('task_id')} {stop.get('status')}",
        "Remove DMS Resources": lambda: (
            "DMS task and endpoints deleted"
            if cleanup.get("done")
            else "DMS task deleting - endpoints next"
        ),
        "Check Identities": lambda: (
            f"{found.get('behind_count')} of {found.get('columns')} identity column(s) behind "
            f"their rows, {found.get('sequence_count')} sequence(s) listed"
        ),
        "Read Apply Exceptions": lambda: f"{exceptions.get('count')} DMS apply exception(s)",
        "Write Cutover Report": lambda: f"s3://{report.get('bucket')}/{report.get('html_key')}",
        "Cutover Complete": lambda: "repoint the application (see the e-mail)",
        "Cutover Rejected": lambda: "DMS task stopped and deleted, RDS database kept",
    }


if __name__ == "__main__":
    sys.exit(main())

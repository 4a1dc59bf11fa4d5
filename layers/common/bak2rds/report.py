"""The cutover report: what a change board reads about one migration, as JSON and as HTML.

Written at the end of every cutover or rejection to the staging bucket under
``reports/<database>/<execution name>.json`` and ``.html``, from the execution state alone:
the backup (key, version, header facts) and what RDS restored, the CDC start LSN and its
strategy, the restore and catch-up durations, the DMS task with each table's changes and
validation, who decided and when (IP, user agent, time), the final latency, triggers and
foreign keys, and logins. The state holds no secret (the task token and passwords never enter
it), so neither does the report; every value in the HTML is escaped as on the approval page.
"""

from __future__ import annotations

import json
from html import escape
from typing import cast

from bak2rds.clock import parse_timestamp
from bak2rds.messages import console_link, duration_text
from bak2rds.models import (
    AppliedExceptions,
    Approval,
    CutoverReport,
    MigrationState,
    ReportTarget,
    StartLsn,
    Validation,
)

REPORT_VERSION = 1
REPORTS_PREFIX = "reports/"


def report_keys(database: str, execution_name: str) -> tuple[str, str]:
    """The JSON and HTML keys of one migration's report."""
    stem = f"{REPORTS_PREFIX}{database}/{execution_name}"
    return f"{stem}.json", f"{stem}.html"


def build(state: MigrationState, execution_arn: str, written_at: str) -> CutoverReport:
    migration = state["migration"]
    # Approve's output, or Record Rejection's (a caught error never gets here)
    approval = cast(Approval, state.get("approval") or {"decision": "?", "decided": {}})
    decided = approval["decided"]
    cdc, final_sync = state.get("cdc", {}), state.get("final_sync", {})
    # the drain's last look, else what Approve read, else what the e-mail showed
    validation = final_sync.get("validation") or approval.get("validation") or cdc.get("validation")
    return {
        "report_version": REPORT_VERSION,
        "written_at": written_at,
        "database": migration["database_name"],
        "execution": {"arn": execution_arn, "console": console_link(execution_arn)},
        "decision": {
            "decision": approval["decision"],
            "at": decided.get("at"),
            "source_ip": decided.get("source_ip"),
            "user_agent": decided.get("user_agent"),
            "cdc_latency_seconds": approval.get("cdc_latency_seconds"),
        },
        "backup": {
            "bucket": migration["bucket"],
            "key": migration["key"],
            "version_id": migration.get("version_id"),
            "etag": migration.get("etag"),
            "size_bytes": migration["size_bytes"],
            "header": migration["backup"],
            "restores": migration.get("restores", []),
        },
        "source_database": migration["source_database"],
        "start_lsn": state.get("start_lsn"),
        "durations": {
            "restore_seconds": state.get("restore", {}).get("elapsed_seconds"),
            "catch_up_seconds": _seconds_between(cdc.get("running_since"), cdc.get("checked_at")),
            "final_sync_seconds": _seconds_between(
                final_sync.get("started_at"), final_sync.get("checked_at")
            ),
        },
        "dms": {
            "task_id": cdc.get("task_id"),
            "task_arn": cdc.get("task_arn"),
            "final_latency_seconds": final_sync.get("latency_seconds"),
            "stopped": state.get("cdc_stop", {}).get("status"),
            "cleanup": state.get("dms_cleanup"),
            "validation": validation,
            "apply_exceptions": state.get("apply_exceptions"),
        },
        "target": {
            "prepared": state.get("target_prep"),
            "triggers_and_keys": state.get("target_restore"),
            "triggers_and_keys_failure": state.get("target_restore_failure"),
            "logins": state.get("logins"),
            "identities": state.get("identities"),
            "identities_failure": state.get("identities_failure"),
        },
    }


def to_json(report: CutoverReport) -> str:
    return json.dumps(report, indent=2, sort_keys=False, default=str) + "\n"


def to_html(report: CutoverReport) -> str:
    """A readable page of the report; every value escaped, no script, nothing loaded."""
    decision, backup, dms = report["decision"], report["backup"], report["dms"]
    lsn: StartLsn | dict[str, str] = report["start_lsn"] or {}
    durations = report["durations"]
    facts = [
        ("Database", report["database"]),
        ("Decision", f"{decision['decision']} at {decision['at']}"),
        ("Decided from", f"{decision['source_ip']} ({decision['user_agent']})"),
        ("Backup", f"s3://{backup['bucket']}/{backup['key']} (version {backup['version_id']})"),
        *(
            (
                f"Restore {n}",
                f"{r['restore_type'].lower()} {r['s3_arn']}"
                + (" NORECOVERY" if r["with_norecovery"] else ""),
            )
            for n, r in enumerate(backup["restores"], start=1)
        ),
        ("Source database", report["source_database"]),
        ("CDC start LSN", f"{lsn.get('dms')} ({lsn.get('strategy')})"),
        ("Restore took", _duration(durations["restore_seconds"])),
        ("CDC catch-up took", _duration(durations["catch_up_seconds"])),
        ("Final sync took", _duration(durations["final_sync_seconds"])),
        ("DMS task", f"{dms['task_id']} ({dms['stopped']})"),
        ("Final CDC latency", f"{dms['final_latency_seconds']} s"),
        *_target_facts(report["target"]),
        ("Execution", report["execution"]["console"]),
        ("Written", report["written_at"]),
    ]
    rows = "".join(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in facts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>bak2rds cutover report: {_e(report['database'])}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "color:#1d2330}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}"
        "dt{color:#596273}dd{margin:0;overflow-wrap:anywhere}table{border-collapse:collapse}"
        "th,td{border-bottom:1px solid #e1e4ea;padding:.25rem .5rem;text-align:left}</style>"
        f"</head><body><h1>Cutover report: [{_e(report['database'])}]</h1><dl>{rows}</dl>"
        f"{_validation_html(dms['validation'])}{_exceptions_html(dms['apply_exceptions'])}"
        "</body></html>\n"
    )


def _target_facts(target: ReportTarget) -> list[tuple[str, str]]:
    facts = []
    prepared, restored = target.get("prepared"), target.get("triggers_and_keys")
    if prepared:
        facts.append(
            (
                "Switched off during CDC",
                f"{prepared['triggers_off']} triggers, {prepared['foreign_keys_off']} foreign keys",
            )
        )
    if restored:
        facts.append(
            (
                "Switched back on",
                f"{restored['triggers_on']} triggers, {restored['foreign_keys_on']} foreign keys; "
                f"{restored['failed_count']} foreign key(s) left NOCHECK",
            )
        )
    if target.get("triggers_and_keys_failure"):
        facts.append(("Switching back on failed", str(target["triggers_and_keys_failure"])))
    if target.get("identities_failure"):
        facts.append(("Identity check failed", str(target["identities_failure"])))
    identities = target.get("identities")
    if identities:
        behind = "; ".join(
            f"{b['table']}.{b['column']} {b['current']} < {b['highest']}"
            + (" (reseeded)" if b["reseeded"] else f" ({b['fix']})")
            for b in identities["behind"]
        )
        facts.append(
            (
                "Identity columns behind their rows",
                f"{identities['behind_count']} of {identities['columns']}"
                + (f": {behind}" if behind else ""),
            )
        )
        sequences = ", ".join(
            f"{q['sequence']} = {q['current_value']}" for q in identities["sequences"]
        )
        facts.append(("Sequences on RDS", f"{identities['sequence_count']}: {sequences}"))
    logins = target.get("logins")
    if logins:
        users = ", ".join(u["user"] for u in logins["unmapped_users"])
        facts.append(("Users without a login", f"{logins['count']}: {users}"))
    return facts


def _validation_html(validation: Validation | None) -> str:
    if validation is None:
        return "<p>DMS validation was not read.</p>"
    if not validation["enabled"]:
        return "<p>DMS data validation was off for this task.</p>"
    header = "".join(
        f"<th>{name}</th>"
        for name in ("Table", "Changes applied", "Validation", "Failed", "Pending", "Suspended")
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{_e(value)}</td>"
            for value in (
                t["table"], t["changes"], t["state"], t["failed"], t["pending"], t["suspended"]
            )
        )
        + "</tr>"
        for t in validation["tables"]
    )  # fmt: skip
    return (
        f"<h2>DMS validation at {_e(validation['measured_at'])}</h2>"
        f"<p>{validation['table_count']} tables: {validation['failed_records']} failed, "
        f"{validation['pending_records']} pending, {validation['suspended_records']} suspended "
        f"record(s).</p><table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
    )


def _exceptions_html(found: AppliedExceptions | None) -> str:
    if found is None:
        return "<p>DMS's apply exceptions were not read.</p>"
    if not found["table_found"]:
        return (
            "<p>No awsdms_apply_exceptions table was found in the RDS database (DMS creates "
            "one on database targets), so DMS's apply exceptions could not be read.</p>"
        )
    rows = "".join(
        "<tr>" + "".join(f"<td>{_e(e[k])}</td>" for k in ("error_time", "table", "error")) + "</tr>"
        for e in found["recent"]
    )
    return (
        f"<h2>DMS apply exceptions: {found['count']}</h2><p>Changes replayed from the backup's "
        "first LSN that were already in it are logged here by design (a row already there, or "
        "already gone); others deserve a look.</p><table><thead><tr><th>Time</th><th>Table"
        "</th><th>Error</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _seconds_between(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    return max(0, int((parse_timestamp(end) - parse_timestamp(start)).total_seconds()))


def _duration(seconds: int | None) -> str:
    return "unknown" if seconds is None else duration_text(seconds)


def _e(value: object) -> str:
    return escape(str(value), quote=True)

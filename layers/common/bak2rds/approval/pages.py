"""What the approval API shows: the page each outcome gets, as one small HTML page.

Everything that reaches the page (database name, S3 key, user agent, error text) can be
chosen by someone else, so each value goes through ``html.escape`` (quotes included) and the
page carries a Content-Security-Policy without scripts. ``frame-ancestors 'none'`` stops
another site from framing the buttons (clickjacking); ``Referrer-Policy: no-referrer`` keeps
the signed link out of the Referer header of anything the page loads or links to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any

from bak2rds import messages
from bak2rds.approval.rules import Outcome
from bak2rds.models import ApprovalSummary, Validation

HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
TONES = ("info", "ok", "warning", "error")


@dataclass(frozen=True)
class DecisionForm:
    expires: str
    signature: str
    primary: str  # "approve" or "reject": the button the link was for


@dataclass(frozen=True)
class Page:
    status_code: int
    title: str
    tone: str
    paragraphs: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    table: tuple[tuple[str, ...], ...] = ()  # a header row, then one row per item
    table_caption: str = ""
    form: DecisionForm | None = None
    log: dict[str, str] = field(default_factory=dict)  # what the API logs about this outcome

    def __post_init__(self) -> None:
        if self.tone not in TONES:
            raise ValueError(f"unknown tone {self.tone!r}")


# Outcomes whose page says the same every time: status, title, tone, text.
_FIXED: dict[str, tuple[int, str, str, str]] = {
    "bad_request": (
        400,
        "Choose Approve or Reject",
        "error",
        "The form did not say which button was pressed. Nothing was changed.",
    ),
    "expired": (
        410,
        "This approval link has expired",
        "warning",
        "Nothing was changed. If the migration still waits, CDC keeps running; see the e-mail "
        "about the expired approval.",
    ),
    "invalid": (
        403,
        "This link is not valid",
        "error",
        "It may have been cut short or changed. Open the link from the e-mail exactly as it "
        "was sent. Nothing was changed.",
    ),
    "unknown": (404, "This approval no longer exists", "warning", "Nothing was changed."),
    "void": (409, "This migration is no longer waiting", "warning", "Nothing was changed."),
    "not_waiting": (
        409,
        "This migration is no longer waiting",
        "warning",
        "Its approval request timed out or the execution was stopped. Nothing was changed.",
    ),
    "validation_unreadable": (
        503,
        "DMS validation could not be read",
        "error",
        "Approve reads each table's DMS validation again before deciding, and DMS did not answer "
        "now. Nothing was decided. Try the button again in a minute.",
    ),
    "unreachable": (
        503,
        "Step Functions could not be reached",
        "error",
        "Nothing was decided. Try the button again in a minute.",
    ),
}


def page(outcome: Outcome, threshold_seconds: int, expires: str = "", signature: str = "") -> Page:
    """The page of an outcome; ``expires`` and ``signature`` (the signed link's parts) go into
    the buttons' form of a shown approval."""
    log: dict[str, str] = {"outcome": "not_waiting" if outcome.kind == "void" else outcome.kind}
    if outcome.kind in _FIXED:
        status, title, tone, text = _FIXED[outcome.kind]
        return Page(status, title, tone, paragraphs=(text,), log=log)
    if outcome.kind == "shown":
        form = DecisionForm(expires, signature, outcome.primary)
        return _shown(outcome, threshold_seconds, form, log)
    if outcome.kind == "validation_failed":
        return Page(
            409,
            "DMS validation does not let the cutover go ahead",
            "error",
            paragraphs=(
                f"{outcome.detail}. Nothing was changed. DMS lists each failed record in its "
                "awsdms_validation_failures_v1 table in the RDS database: compare those rows "
                "with the source and correct them, then have DMS validate the table again "
                "(DMS console: Revalidate; or ReloadTables with ReloadOption validate-only), "
                "since it keeps counting them until then, and open the link again. Reject "
                "stops the migration and keeps the RDS database.",
            ),
            **_validation_table(outcome.validation),
            log=log,
        )
    status, title, tone, text = _told(outcome, threshold_seconds)
    return Page(status, title, tone, paragraphs=(text,), log=log)


def _shown(
    outcome: Outcome, threshold_seconds: int, form: DecisionForm, log: dict[str, str]
) -> Page:
    return Page(
        200,
        f"Cut over [{_database(outcome)}] to RDS?",
        "info",
        paragraphs=(
            "The RDS copy has caught up with the source through AWS DMS CDC. Approve to cut "
            "over: stop every write to the source database; bak2rds then waits until CDC "
            "latency is near 0, stops the DMS task and tells you the RDS database is ready "
            "for the application. Reject to stop the DMS task and keep the RDS database as "
            "it is.",
            "Approve re-checks CDC latency and DMS validation first; if latency is above the "
            "threshold, or records failed validation, nothing happens.",
        ),
        facts=_facts(outcome, threshold_seconds),
        **_validation_table(
            outcome.validation
            or (outcome.record.summary.get("validation") if outcome.record else None)
        ),
        form=form,
        log=log,
    )


def _validation_table(validation: Validation | None) -> dict[str, Any]:
    """Page fields for DMS validation per table: changes, state, failed/pending/suspended."""
    if validation is None:
        return {}
    if not validation["enabled"]:
        return {"table_caption": "DMS data validation is off for this task (DataValidation)"}
    shown = validation["tables"]
    more = validation["table_count"] - len(shown)
    caption = (
        f"DMS validation of {validation['table_count']} table(s) at {validation['measured_at']}: "
        f"{validation['failed_records']:,} failed, {validation['pending_records']:,} pending, "
        f"{validation['suspended_records']:,} suspended record(s)"
        + (f" (the {len(shown)} shown first; {more} more)" if more > 0 else "")
    )
    rows = tuple(
        (t["table"], f"{t['changes']:,}", t["state"], f"{t['failed']:,}", f"{t['pending']:,}",
         f"{t['suspended']:,}")
        for t in shown
    )  # fmt: skip
    header = ("Table", "Changes applied", "Validation", "Failed", "Pending", "Suspended")
    return {"table": (header, *rows), "table_caption": caption}


def _told(outcome: Outcome, threshold_seconds: int) -> tuple[int, str, str, str]:
    """Status, title, tone and text of the outcomes that name what happened."""
    record, latency = outcome.record, outcome.latency
    seconds = latency.seconds if latency else None
    if outcome.kind == "approved":
        return (
            200,
            f"Cutover of [{_database(outcome)}] approved",
            "ok",
            f"Approved at {outcome.decided_at} with CDC latency at {seconds:g} s. Stop every "
            "write to the source database now: bak2rds waits until CDC latency is near 0, "
            "stops the DMS task and e-mails you when the RDS database is ready for the "
            "application.",
        )
    if outcome.kind == "rejected":
        return (
            200,
            f"Cutover of [{_database(outcome)}] rejected",
            "ok",
            f"Rejected at {outcome.decided_at}. bak2rds stops the DMS task and keeps the RDS "
            "database; nothing is dropped. You will get an e-mail when the task has stopped.",
        )
    if outcome.kind == "already_decided" and record is not None:
        who = f" from {record.decided_by.source_ip}" if record.decided_by else ""
        return (
            409,
            f"This cutover was already {record.status}",
            "warning",
            f"The decision was taken at {record.decided_at}{who}. The link works once; "
            "nothing was changed now.",
        )
    if outcome.kind == "finished":
        return (
            409,
            "This migration is no longer waiting",
            "warning",
            f"Its execution is {outcome.detail.lower()}. Nothing was changed.",
        )
    if outcome.kind == "cdc_not_running":
        return (
            409,
            "The DMS task is not running",
            "error",
            f"{outcome.detail}. Nothing was changed.",
        )
    if outcome.kind == "latency_high":
        now_text = "unknown" if seconds is None else f"{seconds:g} s"
        return (
            409,
            "CDC is not caught up right now",
            "warning",
            f"CDC latency is {now_text} (DMS task {latency.status if latency else 'unknown'}); "
            f"cutover needs at most {threshold_seconds} s. Nothing was changed: open the link "
            "again when it has caught up.",
        )
    raise ValueError(f"no page for outcome {outcome.kind!r}")


def _database(outcome: Outcome) -> str:
    return outcome.record.summary.get("database", "?") if outcome.record else "?"


NOT_FOUND = Page(404, "Not found", "error", ("There is nothing here.",))


def _facts(outcome: Outcome, threshold_seconds: int) -> tuple[tuple[str, str], ...]:
    record = outcome.record
    assert record is not None
    summary = record.summary
    latency = summary.get("latency_seconds")
    expires = datetime.fromtimestamp(record.expires_at, UTC)
    return (
        ("Database", str(summary.get("database", "?"))),
        ("Backup", str(summary.get("source", "?"))),
        ("Restore took", messages.duration_text(float(summary.get("restore_seconds") or 0))),
        ("CDC start", f"{summary.get('start_lsn')} ({summary.get('lsn_strategy')})"),
        (
            "CDC latency",
            f"{'unknown' if latency is None else f'{latency:g} s'} when requested "
            f"(threshold {threshold_seconds} s)",
        ),
        ("DMS task", str(summary.get("cdc_task_id", "?"))),
        *_switches(summary),
        *_users(summary),
        ("Requested", record.requested_at),
        ("Link expires", expires.strftime("%Y-%m-%d %H:%M UTC")),
    )


def _switches(summary: ApprovalSummary) -> tuple[tuple[str, str], ...]:
    """What is off on the RDS copy until the cutover, and what CDC leaves out."""
    if "triggers_off" not in summary:
        return ()
    facts = [
        (
            "On the RDS copy",
            f"{summary['triggers_off']} triggers disabled, {summary.get('foreign_keys_off')} "
            "foreign keys NOCHECK until the cutover (Approve or Reject switches them back on)",
        )
    ]
    excluded = summary.get("excluded_tables") or []
    if excluded:
        facts.append(
            (
                "Left out of CDC",
                messages.listed(excluded) + ": no key; they stay on RDS as they were in the backup",
            )
        )
    return tuple(facts)


def _users(summary: ApprovalSummary) -> tuple[tuple[str, str], ...]:
    """Database users with no login on the instance: the cutover breaks their logins."""
    if "unmapped_user_count" not in summary:
        return ()
    count = summary["unmapped_user_count"]
    if not count:
        return (("Logins", "every database user maps to a login of the RDS instance"),)
    users = summary.get("unmapped_users", [])
    fixes = " ".join(statement for user in users for statement in user["fix"])
    more = f" ... and {count - len(users)} more" if count > len(users) else ""
    return (
        (
            "Users without a login",
            f"{count}: {', '.join(u['user'] for u in users)}{more}. Fix: {fixes}",
        ),
    )


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;
color:#1d2330}
main{max-width:40rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}
.tone{border-left:6px solid;padding-left:1rem}
.info{border-color:#2f6fde}.ok{border-color:#1f8a4c}.warning{border-color:#c77700}
.error{border-color:#c62828}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}
dt{color:#596273}dd{margin:0;overflow-wrap:anywhere}
form{display:flex;gap:1rem;margin-top:1.5rem}
button{font-size:1rem;padding:.6rem 1.4rem;border-radius:6px;border:1px solid #8a93a3;
background:#fff;cursor:pointer}
button.primary.approve{background:#1f8a4c;border-color:#1f8a4c;color:#fff}
button.primary.reject{background:#c62828;border-color:#c62828;color:#fff}
footer{color:#596273;font-size:.85rem;margin-top:2rem}
table{border-collapse:collapse;margin-top:1.2rem;width:100%;font-size:.9rem}
caption{text-align:left;color:#596273;padding-bottom:.4rem}
th,td{border-bottom:1px solid #e1e4ea;padding:.3rem .5rem;text-align:left}
td:nth-child(n+4){text-align:right}
"""


def render(page: Page) -> str:
    facts = "".join(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in page.facts)
    paragraphs = "".join(f"<p>{_e(text)}</p>" for text in page.paragraphs)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>{_e(page.title)} - bak2rds</title><style>{_STYLE}</style></head>"
        f'<body><main><div class="tone {_e(page.tone)}"><h1>{_e(page.title)}</h1>'
        f"{paragraphs}</div>"
        + (f"<dl>{facts}</dl>" if facts else "")
        + _table(page)
        + (_form(page.form) if page.form else "")
        + "<footer>bak2rds cutover approval. Opening this page changes nothing; only a "
        "button does.</footer></main></body></html>\n"
    )


def _table(page: Page) -> str:
    if not page.table and not page.table_caption:
        return ""
    head, *rows = page.table or ((),)
    header = "".join(f'<th scope="col">{_e(name)}</th>' for name in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in rows)
    return (
        f"<table><caption>{_e(page.table_caption)}</caption>"
        + (f"<thead><tr>{header}</tr></thead><tbody>{body}</tbody>" if head else "")
        + "</table>"
    )


def _form(form: DecisionForm) -> str:
    def button(decision: str, label: str) -> str:
        primary = " primary" if decision == form.primary else ""
        autofocus = " autofocus" if decision == form.primary else ""
        return (
            f'<button type="submit" name="decision" value="{decision}" '
            f'class="{decision}{primary}"{autofocus}>{label}</button>'
        )

    # No action attribute: the form posts back to the same URL (the same API route).
    return (
        '<form method="post">'
        f'<input type="hidden" name="expires" value="{_e(form.expires)}">'
        f'<input type="hidden" name="signature" value="{_e(form.signature)}">'
        + button("approve", "Approve cutover")
        + button("reject", "Reject cutover")
        + "</form>"
    )


def _e(value: object) -> str:
    return escape(str(value), quote=True)

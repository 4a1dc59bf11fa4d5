"""What people read: SNS subjects and bodies for each milestone and for failures.

Subjects are scannable in an inbox ("[bak2rds] Northwind: restore finished in 1h 12m") and
kept to what SNS accepts: ASCII, one line, under 100 characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bak2rds.catalogue import CatalogueEntry
from bak2rds.models import ApprovalSummary, BackupFacts, MigrationState
from bak2rds.naming import dms_endpoint_identifier, dms_task_identifier, quoted

if TYPE_CHECKING:  # the DMS adapter imports botocore: not for every message
    from bak2rds.adapters.dms import ReplicationTask

SUBJECT_LIMIT = 99
MILESTONES = (
    "RESTORE_STARTED",
    "RESTORE_FINISHED",
    "CDC_STARTED",
    "READY_FOR_CUTOVER",
    "CUTOVER_COMPLETE",
    "CUTOVER_REJECTED",
)


def console_link(execution_arn: str) -> str:
    """The execution's page in the Step Functions console."""
    parts = execution_arn.split(":")
    partition, region = (parts[1], parts[3]) if len(parts) > 3 else ("aws", "us-east-1")
    host = {
        "aws-cn": "console.amazonaws.cn",
        "aws-us-gov": "console.amazonaws-us-gov.com",
    }.get(partition, f"{region}.console.aws.amazon.com")
    return f"https://{host}/states/home?region={region}#/v2/executions/details/{execution_arn}"


def duration_text(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return f"{int(seconds)}s"
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m"]
    return " ".join(part for part in parts if part)


def size_text(size_bytes: int) -> str:
    """Bytes in the binary units a DBA sizes storage in: 512 B, 1.5 GiB, 2.0 TiB."""
    size = float(size_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size_bytes} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def listed(names: list[str], shown: int = 20) -> str:
    """The first ``shown`` names, then how many more there are."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def backup_lines(backup: BackupFacts) -> list[str]:
    """What the backup's header said, for the restore-started message."""
    if not backup.get("header_read"):
        return ["The backup is compressed: its header was not read, RDS checks it instead."]
    return [
        f"Backup header: {backup['backup_type'].lower()} backup of [{backup['source_database']}]"
        f" on {backup['source_server']}, SQL Server {backup['sql_build']}.",
        f"LSNs: first {backup['first_lsn']}, checkpoint {backup['checkpoint_lsn']}, "
        f"last {backup['last_lsn']}.",
    ]


def restore_plan_lines(migration: Mapping[str, Any]) -> list[str]:
    """A chain or a striped set: what RDS restores, in order, and what the source's log must
    keep (DMS starts at the last restore's first LSN)."""
    restores = migration.get("restores", [])
    if len(restores) == 1 and len(restores[0]["keys"]) == 1:
        return []
    lines = ["RDS restores, in this order:"]
    for number, restore in enumerate(restores, start=1):
        files = len(restore["keys"])
        what = f"{files} stripes, " if files > 1 else ""
        ending = "left RESTORING (NORECOVERY)" if restore["with_norecovery"] else "then recovered"
        lines.append(
            f"  {number}. the {restore['restore_type'].lower()} backup "
            f"{_s3_path(migration, restore['s3_arn'])} "
            f"({what}{size_text(restore['size_bytes'])}), {ending}."
        )
    if restores[-1]["restore_type"] == "DIFFERENTIAL":
        first = restores[-1]["backup"].get("first_lsn")
        lines.append(
            f"CDC starts at the differential's first LSN ({first}): the source's log is needed "
            "only from the differential on, not from the full backup."
        )
    return lines


def _s3_path(migration: Mapping[str, Any], s3_arn: str) -> str:
    """``arn:aws:s3:::bucket/key*`` → ``s3://bucket/key*``."""
    return f"s3://{migration.get('bucket', '?')}/{s3_arn.split(':::', 1)[-1].split('/', 1)[-1]}"


# Writes, in the restored database, for every object still carrying bak2rds's mark, the
# statement that switches it back on as it was, then the one that drops the mark (README,
# "Triggers and foreign keys"). o.type is F for a foreign key, TR or TA for a trigger.
SWITCH_BACK_ON_QUERY = (
    "SELECT CASE WHEN o.type = 'F' THEN N'ALTER TABLE ' ELSE N'ENABLE TRIGGER '"
    " + QUOTENAME(SCHEMA_NAME(o.schema_id)) + N'.' + QUOTENAME(o.name) + N' ON ' END"
    " + QUOTENAME(OBJECT_SCHEMA_NAME(o.parent_object_id)) + N'.'"
    " + QUOTENAME(OBJECT_NAME(o.parent_object_id))"
    " + CASE WHEN o.type <> 'F' THEN N''"
    " WHEN CONVERT(nvarchar(400), ep.value) LIKE N'untrusted%' THEN N' WITH NOCHECK CHECK"
    " CONSTRAINT ' + QUOTENAME(o.name) ELSE N' WITH CHECK CHECK CONSTRAINT ' + QUOTENAME(o.name)"
    " END + N'; EXEC sys.sp_dropextendedproperty @name = N''bak2rds_disabled'', @level0type ="
    " N''SCHEMA'', @level0name = N' + QUOTENAME(OBJECT_SCHEMA_NAME(o.parent_object_id), '''')"
    " + N', @level1type = N''TABLE'', @level1name = N'"
    " + QUOTENAME(OBJECT_NAME(o.parent_object_id), '''') + N', @level2type = N'''"
    " + CASE WHEN o.type = 'F' THEN N'CONSTRAINT' ELSE N'TRIGGER' END"
    " + N''', @level2name = N' + QUOTENAME(o.name, '''') + N';'"
    " FROM sys.extended_properties AS ep JOIN sys.objects AS o ON o.object_id = ep.major_id"
    " WHERE ep.class = 1 AND ep.name = N'bak2rds_disabled'"
)


def switch_back_on_query(execution_arn: str) -> str:
    """SWITCH_BACK_ON_QUERY for the objects this migration marked (a backup can carry another
    migration's marks, on objects that were off on the source)."""
    execution = execution_arn.rsplit(":", 1)[-1]  # letters, digits, - and _ only
    owned = execution.replace("'", "''").replace("_", "[_]")
    return f"{SWITCH_BACK_ON_QUERY} AND CONVERT(nvarchar(400), ep.value) LIKE N'%;{owned}';"


def assessment_lines(state: Mapping[str, Any]) -> list[str]:
    """What DMS's premigration assessment of the task found (it ran during the restore)."""
    assessment = state.get("assessment")
    if not assessment:
        return []
    if not assessment.get("enabled"):
        return ["DMS's premigration assessment was not run (PremigrationAssessment is off)."]
    checks, notes = len(assessment.get("included", [])), assessment.get("notes", [])
    where = f" Results: {assessment['results']}" if assessment.get("results") else ""
    if not notes:
        return [f"DMS's premigration assessment passed its {checks} source checks.{where}"]
    told = "; ".join(f"{n['name']}: {n['status']}" for n in notes)
    return [
        f"DMS's premigration assessment ({checks} source checks) failed none, but did not pass "
        f"everything: {told}. Read these before the cutover.{where}"
    ]


def target_prep_lines(state: Mapping[str, Any]) -> list[str]:
    """While CDC runs: what is switched off on the RDS copy, and what CDC leaves out."""
    prepared = state.get("target_prep")
    if not prepared or state.get("target_restore", {}).get("done"):
        return []
    database = state.get("migration", {}).get("database_name", "?")
    lines = [
        f"On the RDS copy [{database}], {prepared.get('triggers_off')} triggers are disabled and "
        f"{prepared.get('foreign_keys_off')} foreign keys are NOCHECK while CDC runs, so that "
        "replayed changes neither fire triggers a second time nor are refused; bak2rds switches "
        "them back on at the cutover or on rejection."
    ]
    return lines + excluded_tables_lines(prepared.get("excluded_tables", []))


def excluded_tables_lines(excluded: list[Any]) -> list[str]:
    if not excluded:
        return []
    names = listed([quoted(t["schema"], t["table"]) for t in excluded])
    return [
        f"Left out of CDC (no primary key or unique index; KeylessTables is exclude): {names}"
        f". They stay on RDS as they were in the backup: changes made to them on the "
        "source since are not on RDS. Copy them yourself at the cutover."
    ]


def _left_off_headline(state: Mapping[str, Any]) -> str:
    """The subject says when the RDS copy was not left as restored."""
    if "target_prep" not in state:
        return ""
    restored = state.get("target_restore")
    if state.get("target_restore_failure") or not restored or not restored.get("done"):
        return ", triggers and keys NOT back on"
    if restored.get("failed_count"):
        return f", {restored['failed_count']} foreign key(s) left NOCHECK"
    return ""


def target_restore_lines(state: Mapping[str, Any], execution_arn: str) -> list[str]:
    """After the cutover or a rejection: triggers and foreign keys back as restored?"""
    if "target_prep" not in state:
        return []
    database = state.get("migration", {}).get("database_name", "?")
    restored = state.get("target_restore")
    failure = state.get("target_restore_failure")
    if failure is not None or not restored or not restored.get("done"):
        return [
            f"Switching the triggers and foreign keys of [{database}] back on failed "
            f"({(failure or {}).get('Error', 'not finished')}): some are still off. This query, "
            f"run in [{database}], writes the statements that switch them back on and drop "
            "the marks:",
            f"  {switch_back_on_query(execution_arn)}",
        ]
    lines = [
        f"On [{database}], {restored['triggers_on']} triggers and {restored['foreign_keys_on']} "
        "foreign keys are back on as they were restored (foreign keys that were trusted are "
        "checked WITH CHECK, so SQL Server trusts them again)."
    ]
    if restored.get("failed_count"):
        lines.append(
            f"{restored['failed_count']} foreign key(s) failed WITH CHECK and are left NOCHECK "
            "(their bak2rds_disabled mark says check-failed): fix the rows they name, then run "
            "ALTER TABLE ... WITH CHECK CHECK CONSTRAINT ... for each:"
        )
        lines.extend(f"  {f['foreign_key']}: {f['reason']}" for f in restored["failed_checks"])
    return lines


def milestone(kind: str, state: MigrationState, execution_arn: str) -> tuple[str, str]:
    migration = state.get("migration", {})
    database = migration.get("database_name", "?")
    source = f"s3://{migration.get('bucket', '?')}/{migration.get('key', '?')}"
    restore, lsn, cdc = state.get("restore", {}), state.get("start_lsn", {}), state.get("cdc", {})
    if kind == "RESTORE_STARTED":
        queued = f"queued behind {restore.get('tasks_ahead')} RDS tasks"
        headline = "restore " + (queued if restore.get("queued") else "started")
        restoring, size = source, migration.get("size_bytes", 0)
        if migration.get("restores"):  # the task restores the first of them
            first = migration["restores"][restore.get("step", 0)]
            restoring, size = _s3_path(migration, first["s3_arn"]), first["size_bytes"]
        lines = [
            f"RDS restore task {restore.get('task_id')} is restoring {restoring} "
            f"({size:,} bytes) into [{database}].",
            *(backup_lines(migration["backup"]) if "backup" in migration else []),
            *restore_plan_lines(migration),
        ]
        if restore.get("reused_existing_task"):
            lines.append("The task already existed for this upload and was reused.")
        if restore.get("queued"):
            lines.append(
                "Queued, not failed: RDS runs at most two backup or restore tasks at a time and "
                f"{restore.get('tasks_ahead')} are running; this one starts when one of them "
                "ends."
            )
        lines.append(
            "While it restores, bak2rds prepares DMS: this migration's endpoints, a test of "
            f"the source connection, the CDC task (source database "
            f"[{migration.get('source_database', '?')}])."
        )
    elif kind == "RESTORE_FINISHED":
        took = duration_text(float(restore.get("elapsed_seconds", 0)))
        headline = f"restore finished in {took}"
        if restore.get("steps", 1) > 1:
            lines = [
                f"RDS restored [{database}] from the full backup (NORECOVERY), then the "
                f"differential (task {restore.get('task_id')}), in {took} in all."
            ]
        else:
            lines = [f"RDS restore task {restore.get('task_id')} restored [{database}] in {took}."]
    elif kind == "CDC_STARTED":
        headline = f"CDC started at {lsn.get('dms')}"
        dms = state.get("dms", {})
        lines = [
            f"DMS task {cdc.get('task_id')} replicates changes from source database "
            f"[{lsn.get('source_database')}] into [{database}], starting at LSN "
            f"{lsn.get('dms')} ({lsn.get('numeric')}, strategy {lsn.get('strategy')}).",
            *(
                [
                    "That is the differential's LSN: the source's log is needed from there on, "
                    "not from the full backup."
                ]
                if migration.get("restores", [{}])[-1].get("restore_type") == "DIFFERENTIAL"
                else []
            ),
            f"Endpoints: {dms.get('source_endpoint_id')} (source) and "
            f"{dms.get('target_endpoint_id')} (target); both tested successfully.",
            *assessment_lines(state),
            *target_prep_lines(state),
        ]
    elif kind == "READY_FOR_CUTOVER":
        headline = "ready for cutover"
        lines = [
            f"DMS task {cdc.get('task_id')} has kept CDC latency at "
            f"{cdc.get('latency_seconds')}s or less for {cdc.get('good_checks')} checks.",
            "[" + database + "] on RDS is caught up with the source and ready for cutover.",
            *target_prep_lines(state),
        ]
    elif kind == "CUTOVER_COMPLETE":
        headline = "cutover complete" + _left_off_headline(state)
        lines = _cutover_complete_lines(state, database, execution_arn)
    elif kind == "CUTOVER_REJECTED":
        headline = "cutover rejected" + _left_off_headline(state)
        lines = [
            f"The cutover was rejected{_decided_text(state)}.",
            f"DMS task {cdc.get('task_id')} is {state.get('cdc_stop', {}).get('status')}: "
            "changes on the source are no longer applied to RDS.",
            f"[{database}] on RDS was kept as it is: nothing was dropped. The source stays the "
            "system of record. To migrate again later, drop or rename the RDS database "
            "yourself and upload a new backup.",
            *target_restore_lines(state, execution_arn),
            *dms_cleanup_lines(state),
            *report_lines(state),
        ]
    else:
        raise ValueError(f"unknown milestone {kind!r}")
    body = "\n".join([*lines, "", f"Backup: {source}", f"Execution: {console_link(execution_arn)}"])
    return subject(database, headline), body


def failure(
    entry: CatalogueEntry, detail: str, state: Mapping[str, Any], execution_arn: str
) -> tuple[str, str]:
    """``state`` is the MigrationState, or the S3 event if Read Backup Object failed."""
    migration = state.get("migration", {})
    database = migration.get("database_name") or _key_stem(state) or "?"
    body = "\n".join(
        [
            *error_lines(entry, detail),
            "",
            *_restore_still_running(state, database, entry.code),
            "Nothing was dropped or deleted: bak2rds never removes a database or a backup.",
            *_still_switched_off(state, database, execution_arn),
            *(_dms_left_behind(state, execution_arn) if "restore" in state else []),
            f"Execution: {console_link(execution_arn)}",
        ]
    )
    return subject(database, f"FAILED {entry.code}"), body


def error_lines(entry: CatalogueEntry, detail: str) -> list[str]:
    """A failure's code, cause, detail (when there is one) and what to do."""
    return [
        f"Error: {entry.code}",
        f"Cause: {entry.cause}",
        *([f"Detail: {detail}"] if detail else []),
        f"What to do: {entry.action}",
    ]


def dms_task_alert(
    entry: CatalogueEntry, detail: str, task_id: str, execution_arn: str
) -> tuple[str, str]:
    """A DMS task of a migration failed or stopped: DMS's event, before the next check."""
    body = "\n".join(
        [
            *error_lines(entry, detail),
            "",
            "DMS announced this at once. The migration's execution sees it at its next check "
            "of the task and then ends with this code. Nothing was dropped or deleted.",
            f"Execution: {console_link(execution_arn)}",
        ]
    )
    what = "failed" if entry.code == "DMS_TASK_FAILED" else "stopped"
    return subject(execution_arn.rsplit(":", 1)[-1], f"DMS task {task_id} {what}"), body


def execution_alert(
    entry: CatalogueEntry,
    detail: str,
    headline: str,
    execution_arn: str,
    task: ReplicationTask | None,
) -> tuple[str, str]:
    """A migration's execution ended without its own failure e-mail (stopped, timed out)."""
    still_running = task is not None and task.status not in {"stopped", "failed", "deleting"}
    body = "\n".join(
        [
            *error_lines(entry, detail),
            "",
            *(
                [f"DMS task {task.identifier} is {task.status}: it goes on replicating."]
                if task is not None and still_running
                else []
            ),
            *(_dms_left_behind({}, execution_arn) if task is not None else []),
            "Nothing was dropped or deleted: bak2rds never removes a database or a backup.",
            f"Execution: {console_link(execution_arn)}",
        ]
    )
    return subject(execution_arn.rsplit(":", 1)[-1], headline), body


def waiting_for_stripes(
    detail: str, state: Mapping[str, Any], execution_arn: str
) -> tuple[str, str]:
    """``state`` is the S3 event of a stripe (Read Backup Object ended it)."""
    waiting = detail.startswith("waiting for")
    headline = detail.split(":", 1)[0] if waiting else "all stripes in"
    body = "\n".join(
        [
            detail[:1].upper() + detail[1:] + ".",
            "",
            "Nothing was restored and nothing failed: "
            + (
                "this execution only says what is missing (once per striped set). RDS "
                "restores a striped backup from all its files at once, so the migration "
                "starts when the last stripe is uploaded into the same folder, in an "
                "execution of its own."
                if waiting
                else "this execution was started while stripes were missing, and leaves the "
                "migration to the execution the last stripe's upload started."
            ),
            f"Execution: {console_link(execution_arn)}",
        ]
    )
    # The detail names the database as read_backup_object writes it: "... backup of 'Sales'".
    named = re.search(r" backup of (['\"])(.+?)\1", detail)  # as repr() quotes it
    return subject(named.group(2) if named else _key_stem(state) or "?", headline), body


def subject(database: str, headline: str) -> str:
    text = f"[bak2rds] {_ascii_line(database)}: {headline}"
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 3] + "..."


def _ascii_line(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "replace").decode()
    return "".join(ch if ch.isprintable() else "?" for ch in folded)[:60]


def _restore_still_running(state: Mapping[str, Any], database: str, code: str) -> list[str]:
    """A failure beside the restore (DMS's preparation, or watching it) does not stop RDS's
    restore task; a RESTORE_* failure is the restore task's own end."""
    restore = state.get("restore")
    if not restore or restore.get("succeeded") or code.startswith("RESTORE_"):
        return []
    task = restore.get("task_id")
    return [
        f"RDS restore task {task} may not have finished when this happened: RDS goes on with "
        f"it, and [{database}] will be on the instance when it ends; bak2rds no longer watches "
        f"it (EXEC msdb.dbo.rds_task_status @task_id = {task}; shows it). To stop it: "
        f"EXEC msdb.dbo.rds_cancel_task @task_id = {task};",
    ]


def _still_switched_off(state: Mapping[str, Any], database: str, execution_arn: str) -> list[str]:
    """After Prepare Target began, a failure or an expiry leaves the RDS copy's triggers and
    foreign keys off: say so, and how to switch them back on."""
    prepared = state.get("target_prep")
    if state.get("target_restore", {}).get("done") or "start_lsn" not in state:
        return []  # back on already, or Prepare Target never ran (it follows Derive Start LSN)
    if prepared:
        what = (
            f"{prepared.get('triggers_off')} triggers and {prepared.get('foreign_keys_off')} "
            "foreign keys are still switched off"
        )
    else:
        what = "Prepare Target may have switched triggers and foreign keys off before it failed"
    return [
        f"On [{database}] on RDS, {what} (each marked with the extended property "
        "bak2rds_disabled); bak2rds will not switch them back on. If you keep the copy, this "
        f"query, run in [{database}], writes the statements that do it and drop the marks:",
        f"  {switch_back_on_query(execution_arn)}",
    ]


def _dms_left_behind(state: Mapping[str, Any], execution_arn: str) -> list[str]:
    """What this migration may have made in DMS, kept after a failure or an expiry, and how
    to remove it (identifiers derive from the execution name, whatever the state holds)."""
    if state.get("dms_cleanup", {}).get("done"):
        return []  # deleted after the cutover: nothing is left
    execution = execution_arn.rsplit(":", 1)[-1]
    task = state.get("cdc", {}).get("task_id") or dms_task_identifier(execution)
    source, target = (dms_endpoint_identifier(execution, role) for role in ("source", "target"))
    return [
        f"DMS resources of this migration are kept: task {task}, endpoints {source} and "
        f"{target} (those that were created). To remove them, the task first (stop it if it "
        "runs, and wait until it is stopped):",
        f"  aws dms describe-replication-tasks --filters Name=replication-task-id,Values={task}",
        "  aws dms stop-replication-task --replication-task-arn <its ARN>",
        "  aws dms delete-replication-task --replication-task-arn <its ARN>",
        f"  aws dms describe-endpoints --filters Name=endpoint-id,Values={source},{target}",
        "  aws dms delete-endpoint --endpoint-arn <each ARN>",
    ]


def _key_stem(state: Mapping[str, Any]) -> str:
    key = str(state.get("detail", {}).get("object", {}).get("key", ""))
    return key.rsplit("/", 1)[-1]


def _decided_text(state: MigrationState) -> str:
    approval = state.get("approval")
    if approval is None or "decided" not in approval:  # no decision: the request expired
        return ""
    decided = approval["decided"]
    return f" at {decided['at']} from {decided['source_ip']} ({_ascii_line(decided['user_agent'])})"


def _cutover_complete_lines(state: MigrationState, database: str, execution_arn: str) -> list[str]:
    cdc, target = state.get("cdc", {}), state.get("target", {})
    final = state.get("final_sync", {})
    return [
        f"The cutover was approved{_decided_text(state)}.",
        f"CDC drained to {final.get('latency_seconds')}s of latency and DMS task "
        f"{cdc.get('task_id')} is {state.get('cdc_stop', {}).get('status')}: [{database}] on "
        "RDS has every change of the source.",
        "",
        "What to do next:",
        f"1. Point the application at the RDS instance {target.get('host')},"
        f"{target.get('port')} (database [{database}]).",
        "2. Keep the source database read-only and do not drop it until the application runs "
        "well on RDS: it is your way back.",
        *excluded_tables_lines(state.get("target_prep", {}).get("excluded_tables", [])),
        "",
        *target_restore_lines(state, execution_arn),
        *identity_lines(state),
        *dms_cleanup_lines(state),
        *report_lines(state),
    ]


def identity_lines(state: MigrationState) -> list[str]:
    """Identity columns behind their rows, and the sequences to compare with the source."""
    found = state.get("identities")
    if found is None:
        failure = state.get("identities_failure")
        if failure is None:
            return []
        return [f"Identity columns and sequences were not checked ({failure.get('Error')})."]
    lines = []
    if found["behind_count"]:
        what = "reseeded to" if found["reseed"] else "behind"
        lines.append(
            f"{found['behind_count']} identity column(s) were {what} the highest value their "
            "rows hold"
            + ("" if found["reseed"] else "; the next insert could collide with a row's key:")
        )
        lines += [
            f"  {b['table']}.[{b['column']}]: current {b['current']}, rows up to {b['highest']}"
            + ("" if b["reseeded"] else f". Fix: {b['fix']}")
            for b in found["behind"][:20]
        ]
    else:
        lines.append(
            f"No identity column checked is behind the values its rows hold "
            f"({found['checked']} of {found['columns']} checked)."
        )
    if found["checked"] < found["columns"]:
        lines.append(
            f"{found['columns'] - found['checked']} identity column(s) were not checked in the "
            "time the check has (MIN/MAX over large unindexed columns): check them by hand."
        )
    if found["sequence_count"]:
        shown = ", ".join(f"{q['sequence']} = {q['current_value']}" for q in found["sequences"])
        lines.append(
            f"{found['sequence_count']} sequence(s) on RDS: {shown}. DMS does not carry a "
            "sequence's value: compare with the source, where this query lists them: "
            f"{found['compare_query']}"
        )
    return ["", *lines]


def report_lines(state: MigrationState) -> list[str]:
    """Where the cutover report is (or why it is not)."""
    written = state.get("report")
    if written is not None:
        where = f"s3://{written['bucket']}/"
        return [
            f"Report: {where}{written['html_key']} (readable) and {where}{written['json_key']} "
            "(JSON): the backup, LSNs, durations, DMS validation per table, who decided and "
            "when, triggers, foreign keys and logins."
        ]
    failure = state.get("report_failure")
    if failure is not None:
        return [
            f"The cutover report could not be written ({failure.get('Error')}); the execution's "
            "output holds the same facts."
        ]
    return []


def dms_cleanup_lines(state: MigrationState) -> list[str]:
    """What became of this migration's DMS task and endpoints after the cutover."""
    cleanup, dms = state.get("dms_cleanup"), state.get("dms", {})
    task = state.get("cdc", {}).get("task_id")
    if cleanup is not None and cleanup.get("done"):
        return [
            f"DMS task {task} and endpoints {dms.get('source_endpoint_id')} and "
            f"{dms.get('target_endpoint_id')} were deleted (only this migration's)."
        ]
    failure = state.get("dms_cleanup_failure", {})
    return [
        f"Deleting DMS task {task} and its endpoints failed ({failure.get('Error', '?')}); "
        "they are kept. Delete the task in the DMS console, then endpoints "
        f"{dms.get('source_endpoint_id')} and {dms.get('target_endpoint_id')}.",
    ]


def approval_expired(
    state: MigrationState, execution_arn: str, entry: CatalogueEntry
) -> tuple[str, str]:
    migration, cdc = state.get("migration", {}), state.get("cdc", {})
    database = str(migration.get("database_name", "?"))
    body = "\n".join(
        [
            f"Nobody approved or rejected the cutover of [{database}] before the approval "
            "links expired. Nothing else happened.",
            f"DMS task {cdc.get('task_id')} is still running and keeps [{database}] on RDS "
            "caught up with the source.",
            f"What to do: {entry.action}",
            *excluded_tables_lines(state.get("target_prep", {}).get("excluded_tables", [])),
            *_still_switched_off(state, database, execution_arn),
            "",
            *_dms_left_behind(state, execution_arn),
            f"Execution: {console_link(execution_arn)}",
        ]
    )
    return subject(database, "approval expired, CDC left running"), body


def _summary_switches(summary: ApprovalSummary) -> list[str]:
    if "triggers_off" not in summary:
        return []
    lines = [
        f"On the RDS copy:  {summary['triggers_off']} triggers disabled and "
        f"{summary.get('foreign_keys_off')} foreign keys NOCHECK until the cutover (Approve or "
        "Reject switches them back on)"
    ]
    excluded = summary.get("excluded_tables") or []
    if excluded:
        lines.append(
            f"Left out of CDC:  {listed(excluded)} (no key; they stay as they were in the backup)"
        )
    return lines


def _summary_validation(summary: ApprovalSummary) -> list[str]:
    """DMS validation per table, as CDC was found caught up (Approve reads it again)."""
    validation = summary.get("validation")
    if validation is None:
        return []
    if not validation["enabled"]:
        return ["", "DMS data validation is off for this task (parameter DataValidation)."]
    must_finish = summary.get("validation_must_finish", False)
    lines = [
        "",
        f"DMS validation ({validation['table_count']} tables): "
        f"{validation['failed_records']:,} records failed, "
        f"{validation['pending_records']:,} pending, "
        f"{validation['suspended_records']:,} suspended. Approve is refused while any record "
        "failed validation" + (" or validation has not finished." if must_finish else "."),
        f"  {'Table':<40} {'Changes':>9} {'Failed':>7} {'Pending':>8}  Validation",
    ]
    lines += [
        f"  {t['table'][:40]:<40} {t['changes']:>9,} {t['failed']:>7,} {t['pending']:>8,}  "
        f"{t['state']}"
        for t in validation["tables"][:20]
    ]
    more = validation["table_count"] - min(20, len(validation["tables"]))
    if more > 0:
        lines.append(f"  ... and {more} more (the page lists {len(validation['tables'])})")
    return lines


def _summary_users(summary: ApprovalSummary) -> list[str]:
    """Users of the restored database that no login maps to, and how to fix each."""
    if "unmapped_user_count" not in summary:
        return []
    count, users = summary["unmapped_user_count"], summary.get("unmapped_users", [])
    if not count:
        return ["Logins:          every database user maps to a login of the RDS instance"]
    lines = [
        f"Logins:          {count} database user(s) map to no login of the RDS instance: an "
        "application that logs in as one of them fails after the cutover. Run these (bak2rds "
        "creates no login):"
    ]
    for user in users:
        lines.extend(f"  {statement}" for statement in user["fix"])
    if count > len(users):
        lines.append(f"  ... and {count - len(users)} more (sys.database_principals)")
    return lines


def approval_request(
    summary: ApprovalSummary,
    execution_arn: str,
    approve_url: str,
    reject_url: str,
    expires_at: datetime,
    threshold_seconds: int,
) -> tuple[str, str]:
    """The cutover approval e-mail: what is ready, and the two links."""
    database = str(summary.get("database", "?"))
    latency = summary.get("latency_seconds")
    body = "\n".join(
        [
            f"[{database}] on RDS has caught up with the source and is ready for cutover.",
            "",
            f"Database:        {database}",
            f"Backup:          {summary.get('source')}",
            f"Restore took:    {duration_text(float(summary.get('restore_seconds') or 0))}",
            f"CDC started at:  LSN {summary.get('start_lsn')} "
            f"(strategy {summary.get('lsn_strategy')})",
            f"CDC latency now: {latency}s (threshold {threshold_seconds}s)",
            f"DMS task:        {summary.get('cdc_task_id')}",
            *_summary_switches(summary),
            *_summary_users(summary),
            *_summary_validation(summary),
            "",
            f"Approve the cutover: {approve_url}",
            "",
            f"Reject the cutover:  {reject_url}",
            "",
            "Each link opens a page that shows the cutover and asks you to confirm with a "
            "button; opening the page changes nothing. The links work once and expire at "
            f"{expires_at.strftime('%Y-%m-%d %H:%M UTC')}.",
            "Approve: stop every write to the source database; bak2rds waits until CDC latency "
            "is near 0, stops the DMS task and e-mails you what to do next.",
            "Reject: bak2rds stops the DMS task and keeps the RDS database; nothing is dropped.",
            "No decision before the links expire: CDC keeps running and nothing else happens.",
            "",
            f"Execution: {console_link(execution_arn)}",
        ]
    )
    return subject(database, "ready for cutover, approve or reject"), body

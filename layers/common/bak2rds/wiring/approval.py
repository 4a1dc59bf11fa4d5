"""What the approval request and the approval API need: the table, the key, the rules'
collaborators."""

from __future__ import annotations

from bak2rds import clock, config
from bak2rds.adapters import aws, secrets
from bak2rds.adapters.approvals import ApprovalsTable
from bak2rds.approval import rules
from bak2rds.cdc_latency import check_tables
from bak2rds.cdc_latency import measure as cdc_latency_of
from bak2rds.models import ApprovalSummary, Validation
from bak2rds.validation import summarize
from bak2rds.wiring.services import dms, dms_metrics, task_callbacks


def approvals_table() -> ApprovalsTable:
    return ApprovalsTable(aws.client("dynamodb"), config.load(config.ApprovalSettings).table_name)


def signing_key(secret_arn: str) -> bytes:
    return secrets.signing_key(secret_arn)


def approval_collaborators() -> rules.Collaborators:
    """What the approval API's rules need, for this request."""
    settings = config.load(config.ApprovalSettings)
    threshold = config.load(config.CdcSettings).latency_threshold_seconds
    dms_api, metrics = dms(), dms_metrics()

    def cdc_latency(summary: ApprovalSummary) -> rules.Latency:
        task_arn, instance = summary["cdc_task_arn"], summary["replication_instance_id"]
        measured = cdc_latency_of(task_arn, instance, dms_api, metrics, clock.utcnow())
        return rules.Latency(measured.worst_seconds, measured.status)

    def validation(summary: ApprovalSummary) -> Validation | None:
        recorded = summary.get("validation")
        if recorded is None:  # a record from before validation was read
            return None
        statistics = check_tables(summary["cdc_task_arn"], summary["cdc_task_id"], dms_api)
        return summarize(statistics, recorded["enabled"], clock.utcnow().isoformat())

    return rules.Collaborators(
        table=approvals_table(),
        callbacks=task_callbacks(),
        signing_key=lambda: signing_key(settings.key_secret_arn),
        cdc_latency=cdc_latency,
        latency_threshold_seconds=threshold,
        now=clock.utcnow(),
        validation=validation,
    )

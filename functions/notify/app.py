"""States "Notify ...": publish a milestone or a failure to the SNS topic."""

from __future__ import annotations

from typing import cast

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds.models import MigrationState, Milestone, Notice, NotifyPayload
from bak2rds.observability import logger, step_handler
from bak2rds.steps import notify
from bak2rds.wiring import services


@step_handler
def lambda_handler(event: NotifyPayload, context: LambdaContext) -> Milestone | Notice:
    execution_arn, state, kind = event["execution_id"], event["state"], event["event"]
    if kind == "FAILED":
        notice = notify.failure(event["failure"], state, execution_arn, services.topic())
        logger.error("Migration failed", extra={"code": notice["code"]})
        return notice
    if kind == "WAITING_FOR_STRIPES":  # before any migration: the state is the S3 event
        return notify.waiting_for_stripes(event["failure"], state, execution_arn, services.topic())
    # Every milestone and the expiry come after Read Backup Object: the state has a migration.
    migration_state = cast(MigrationState, state)
    if kind == "APPROVAL_EXPIRED":  # ends the execution: the Fail state needs a code
        return notify.approval_expired(migration_state, execution_arn, services.topic())
    return notify.milestone(kind, migration_state, execution_arn, services.topic())

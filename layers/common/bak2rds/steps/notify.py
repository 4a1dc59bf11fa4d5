"""Notify: publish a milestone, or a failure with its catalogue entry, to the SNS topic."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from bak2rds import messages
from bak2rds.catalogue import CATALOGUE
from bak2rds.errors import describe_failure
from bak2rds.models import CaughtError, MigrationState, Milestone, Notice


class Publisher(Protocol):
    """The status topic (``bak2rds.adapters.sns.Topic`` in AWS)."""

    def publish(self, subject: str, message: str, attributes: dict[str, str]) -> str: ...


def milestone(kind: str, state: MigrationState, execution_arn: str, topic: Publisher) -> Milestone:
    subject, body = messages.milestone(kind, state, execution_arn)
    database = str(state.get("migration", {}).get("database_name", ""))
    message_id = topic.publish(subject, body, {"event": kind, "database": database})
    return {"event": kind, "message_id": message_id}


def failure(
    caught: CaughtError, state: Mapping[str, Any], execution_arn: str, topic: Publisher
) -> Notice:
    """``caught`` is what a Catch put in the state: {"Error": ..., "Cause": ...}."""
    error, cause = str(caught.get("Error", "")), str(caught.get("Cause", ""))
    entry, detail = describe_failure(error, error_message(cause))
    subject, body = messages.failure(entry, detail, state, execution_arn)
    message_id = topic.publish(subject, body, {"event": "FAILED", "code": entry.code})
    return {
        "message_id": message_id,
        "code": entry.code,
        "cause": f"{entry.cause} {detail} What to do: {entry.action}",
    }


def waiting_for_stripes(
    caught: CaughtError, state: Mapping[str, Any], execution_arn: str, topic: Publisher
) -> Milestone:
    """A striped backup's first stripes arrived: say what is missing, once per set."""
    detail = error_message(str(caught.get("Cause", "")))
    detail = detail.removeprefix("STRIPES_MISSING: ")
    subject, body = messages.waiting_for_stripes(detail, state, execution_arn)
    message_id = topic.publish(subject, body, {"event": "WAITING_FOR_STRIPES"})
    return {"event": "WAITING_FOR_STRIPES", "message_id": message_id}


def approval_expired(state: MigrationState, execution_arn: str, topic: Publisher) -> Notice:
    """Nobody decided in time: say so, and give the Fail state its code and cause."""
    entry = CATALOGUE["APPROVAL_EXPIRED"]
    subject, body = messages.approval_expired(state, execution_arn, entry)
    database = str(state.get("migration", {}).get("database_name", ""))
    message_id = topic.publish(
        subject, body, {"event": "APPROVAL_EXPIRED", "code": entry.code, "database": database}
    )
    return {
        "message_id": message_id,
        "code": entry.code,
        "cause": f"{entry.cause} What to do: {entry.action}",
    }


def error_message(cause: str) -> str:
    """A Lambda error's Cause is JSON with errorMessage; Step Functions' own is plain text."""
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    return cause

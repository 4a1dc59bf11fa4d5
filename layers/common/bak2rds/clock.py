"""The one place bak2rds reads the time, so tests and the local runtime can move it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_timestamp(text: str) -> datetime:
    """An ISO-8601 time as bak2rds and Step Functions write it; naive means UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)

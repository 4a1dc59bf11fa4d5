"""Faults injected into the AWS calls the handlers make, for the fault-matrix tests.

The handlers call AWS through boto3 in this process; ``AwsFaults`` wraps botocore's
``BaseClient._make_api_call`` so the next N calls of one operation raise what the service
or the network would: a 5xx, a throttle, a read timeout or an access-denied error. Calls
of other operations, and the runtime's own set-up calls, pass through untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from unittest import mock

from botocore.client import BaseClient
from botocore.exceptions import ClientError, ReadTimeoutError

FaultKind = Literal["transient", "throttle", "timeout", "permanent"]

# What each service answers when it throttles or denies (codes differ per service).
_THROTTLE_CODES = {"s3": "SlowDown", "sns": "Throttled", "dms": "ThrottlingException"}
_DENIED_CODES = {"sns": "AuthorizationError", "dms": "AccessDeniedException"}


def aws_error(service: str, operation: str, kind: FaultKind) -> Exception:
    """The exception botocore raises for a fault of ``kind`` on ``operation``."""
    if kind == "timeout":
        return ReadTimeoutError(endpoint_url=f"https://{service}.us-east-1.amazonaws.com/")
    code, status = {
        "transient": ("InternalError", 500),
        "throttle": (_THROTTLE_CODES.get(service, "Throttling"), 400),
        "permanent": (_DENIED_CODES.get(service, "AccessDenied"), 403),
    }[kind]
    if operation == "HeadObject" and kind == "permanent":
        code = "403"  # a HEAD response has no body: botocore reports the bare status
    response: Any = {
        "Error": {"Code": code, "Message": f"injected {kind} fault"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


@dataclass
class AwsFaults:
    pending: dict[str, list[Exception]] = field(default_factory=dict)
    raised: list[tuple[str, str]] = field(default_factory=list)  # (operation, error name)

    def inject(self, service: str, operation: str, kind: FaultKind, times: int = 1) -> None:
        self.pending.setdefault(operation, []).extend(
            aws_error(service, operation, kind) for _ in range(times)
        )

    @contextmanager
    def active(self) -> Iterator[AwsFaults]:
        original = BaseClient._make_api_call  # type: ignore[attr-defined]
        faults = self

        def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            queue = faults.pending.get(operation)
            if queue:
                error = queue.pop(0)
                faults.raised.append((operation, type(error).__name__))
                raise error
            return original(client, operation, params)

        with mock.patch.object(BaseClient, "_make_api_call", make_api_call):
            yield self

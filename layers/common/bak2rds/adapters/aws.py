"""boto3 clients, created once per container, and the translation of their errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from bak2rds.errors import AwsAccessDenied, Bak2RdsError, TransientDependencyError

# The SDK retries throttles itself first (adaptive mode); what still fails goes to the
# state machine's own Retry as TransientDependencyError.
_CLIENT_CONFIG = Config(
    retries={"max_attempts": 5, "mode": "adaptive"}, connect_timeout=5, read_timeout=30
)
_THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "Throttled",  # SNS (query protocol) sends the code without "Exception"
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
_ACCESS_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AccessDeniedFault",
        "AuthorizationError",  # SNS
    }
)
_FORBIDDEN = 403  # HEAD responses have no body, so S3 reports only the status


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CLIENT_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests start a fresh moto backend per case)."""
    client.cache_clear()


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def aws_call(
    what: str, permanent: Callable[[ClientError], Bak2RdsError | None] | None = None
) -> Iterator[None]:
    """Translate botocore errors raised inside the block.

    ``what`` names the call for the message ("DMS CreateReplicationTask"); ``permanent`` may
    map a service-specific error code to a project error before the generic rules apply.
    """
    try:
        yield
    except ClientError as error:
        if permanent is not None and (mapped := permanent(error)) is not None:
            raise mapped from error
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message", "")
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _THROTTLING or status >= 500:
            raise TransientDependencyError(f"{what}: {code} {message}".strip()) from error
        if code in _ACCESS_DENIED or status == _FORBIDDEN:
            raise AwsAccessDenied(f"{what}: {message or code}") from error
        raise
    except (ConnectionError, HTTPClientError) as error:
        raise TransientDependencyError(f"{what}: {error}") from error

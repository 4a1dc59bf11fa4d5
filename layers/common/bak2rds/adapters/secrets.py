"""The RDS master-user secret, read through Powertools Parameters (cached, never logged)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities import parameters

from bak2rds.adapters.sqlserver import Credentials
from bak2rds.errors import SecretUnreadable, SigningKeyUnreadable, TransientDependencyError

_CACHE_SECONDS = 300


def master_credentials(secret_arn: str, *, refresh: bool = False) -> Credentials:
    """``refresh`` skips the cache: used once after a failed login, as the secret may have
    been rotated since it was cached."""
    try:
        secret: Any = parameters.get_secret(
            secret_arn, transform="json", max_age=_CACHE_SECONDS, force_fetch=refresh
        )
    except parameters.exceptions.TransformParameterError as error:
        raise SecretUnreadable("the secret is not JSON") from error
    except parameters.exceptions.GetParameterError as error:
        text = str(error)
        if any(word in text for word in ("Throttl", "InternalServiceError", "timed out")):
            raise TransientDependencyError(f"Secrets Manager: {text}") from error
        # The message names the secret and the API error, never the value.
        raise SecretUnreadable(f"Secrets Manager: {text}") from error
    if not isinstance(secret, dict):
        raise SecretUnreadable("the secret is not a JSON object")
    username, password = secret.get("username"), secret.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise SecretUnreadable("the secret has no string username and password")
    return Credentials(username=username, password=password)


def signing_key(secret_arn: str) -> bytes:
    """The approval-link HMAC key: the stack-generated secret string, cached like the above."""
    try:
        secret: Any = parameters.get_secret(secret_arn, max_age=_CACHE_SECONDS)
    except parameters.exceptions.GetParameterError as error:
        text = str(error)
        if any(word in text for word in ("Throttl", "InternalServiceError", "timed out")):
            raise TransientDependencyError(f"Secrets Manager: {text}") from error
        raise SigningKeyUnreadable(f"Secrets Manager: {text}") from error
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    if len(key) < 32:
        raise SigningKeyUnreadable("the signing key is shorter than 32 bytes")
    return key

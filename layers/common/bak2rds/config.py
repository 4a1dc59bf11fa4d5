"""Settings from environment variables, validated once per container.

Each handler reads only the group it needs (``config.load(CdcSettings)``), on its first use,
so a missing or bad stack parameter fails that step with CONFIGURATION_INVALID (and a clear
name) instead of an import error Step Functions cannot classify.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, Self

from bak2rds.errors import ConfigurationError

START_LSN_STRATEGIES = ("first_lsn", "checkpoint_lsn", "last_lsn")


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigurationError(f"{name} must be a positive whole number, got {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class SqlSettings:
    secret_arn: str
    login_timeout_seconds: int
    query_timeout_seconds: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SqlSettings:
        return cls(
            secret_arn=_required(env, "DB_SECRET_ARN"),
            login_timeout_seconds=_positive_int(env, "SQL_LOGIN_TIMEOUT_SECONDS", 15),
            query_timeout_seconds=_positive_int(env, "SQL_QUERY_TIMEOUT_SECONDS", 60),
        )


@dataclass(frozen=True)
class RestoreSettings:
    kms_key_arn: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RestoreSettings:
        return cls(kms_key_arn=env.get("BACKUP_KMS_KEY_ARN", "").strip() or None)


@dataclass(frozen=True)
class TargetSettings:
    instance_id: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TargetSettings:
        return cls(instance_id=_required(env, "RDS_INSTANCE_ID"))


@dataclass(frozen=True)
class LsnSettings:
    strategy: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LsnSettings:
        strategy = env.get("START_LSN_STRATEGY", "").strip() or "first_lsn"
        if strategy not in START_LSN_STRATEGIES:
            raise ConfigurationError(
                f"START_LSN_STRATEGY must be one of {', '.join(START_LSN_STRATEGIES)}, "
                f"got {strategy!r}"
            )
        return cls(strategy=strategy)


@dataclass(frozen=True)
class DmsSettings:
    replication_instance_arn: str
    source_endpoint_arn: str
    target_endpoint_arn: str
    table_mappings: str  # JSON text, validated

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DmsSettings:
        return cls(
            replication_instance_arn=_required(env, "DMS_REPLICATION_INSTANCE_ARN"),
            source_endpoint_arn=_required(env, "DMS_SOURCE_ENDPOINT_ARN"),
            target_endpoint_arn=_required(env, "DMS_TARGET_ENDPOINT_ARN"),
            table_mappings=_table_mappings(_required(env, "DMS_TABLE_MAPPINGS")),
        )


@dataclass(frozen=True)
class CdcSettings:
    latency_threshold_seconds: int
    ready_checks: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CdcSettings:
        return cls(
            latency_threshold_seconds=_positive_int(env, "CDC_LATENCY_THRESHOLD_SECONDS", 60),
            ready_checks=_positive_int(env, "CDC_READY_CHECKS", 3),
        )


@dataclass(frozen=True)
class NotifySettings:
    topic_arn: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> NotifySettings:
        return cls(topic_arn=_required(env, "TOPIC_ARN"))


@dataclass(frozen=True)
class StarterSettings:
    state_machine_arn: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StarterSettings:
        return cls(state_machine_arn=_required(env, "STATE_MACHINE_ARN"))


@dataclass(frozen=True)
class ApprovalSettings:
    """The approval request (links, e-mail) and the approval API (checks, decisions)."""

    table_name: str
    key_secret_arn: str
    timeout_seconds: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ApprovalSettings:
        return cls(
            table_name=_required(env, "APPROVALS_TABLE"),
            key_secret_arn=_required(env, "APPROVAL_KEY_SECRET_ARN"),
            timeout_seconds=_positive_int(env, "APPROVAL_TIMEOUT_SECONDS", 604800),
        )


@dataclass(frozen=True)
class ApprovalLinkSettings:
    base_url: str  # the HTTP API's endpoint, https://<id>.execute-api.<region>.amazonaws.com

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ApprovalLinkSettings:
        base_url = _required(env, "APPROVAL_BASE_URL")
        if not base_url.startswith("https://"):  # links carry a signature: never plain http
            raise ConfigurationError(f"APPROVAL_BASE_URL must be an https URL, got {base_url!r}")
        return cls(base_url=base_url.rstrip("/"))


@dataclass(frozen=True)
class CutoverSettings:
    max_latency_seconds: int  # "~0": writes to the source have stopped and DMS has applied all
    drain_timeout_seconds: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CutoverSettings:
        return cls(
            max_latency_seconds=_positive_int(env, "CUTOVER_MAX_LATENCY_SECONDS", 5),
            drain_timeout_seconds=60 * _positive_int(env, "CUTOVER_DRAIN_TIMEOUT_MINUTES", 60),
        )


def _table_mappings(text: str) -> str:
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"DMS_TABLE_MAPPINGS is not valid JSON: {error}") from error
    rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(rules, list) or not rules:
        raise ConfigurationError('DMS_TABLE_MAPPINGS must be an object with a "rules" list')
    return json.dumps(document, separators=(",", ":"))


class FromEnv(Protocol):
    """A group of settings that knows how to read and check itself."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self: ...


_loaded: dict[type[Any], Any] = {}


def load[S: FromEnv](kind: type[S]) -> S:
    """``kind`` read from the environment on first use, then kept for the container's life."""
    if kind not in _loaded:
        _loaded[kind] = kind.from_env(os.environ)
    loaded: S = _loaded[kind]
    return loaded


def clear_cache() -> None:
    """Forget loaded settings (tests change the environment between cases)."""
    _loaded.clear()

"""Settings from environment variables, validated once per container.

Each handler reads only the group it needs (``config.load(CdcSettings)``), on its first use,
so a missing or bad stack parameter fails that step with CONFIGURATION_INVALID (and a clear
name) instead of an import error Step Functions cannot classify. A group is a frozen dataclass
whose fields each name their variable, how it is read and its default (``variable``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Self

from bak2rds.errors import ConfigurationError

START_LSN_STRATEGIES = ("first_lsn", "checkpoint_lsn", "last_lsn")

Reader = Callable[[str, str], Any]  # (variable name, its text) -> the setting


def _text(name: str, raw: str) -> str:
    return raw


def _optional(name: str, raw: str) -> str | None:
    return raw or None


def _positive_int(name: str, raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigurationError(f"{name} must be a positive whole number, got {raw!r}")
    return int(raw)


def _minutes_as_seconds(name: str, raw: str) -> int:
    return 60 * _positive_int(name, raw)


def _lsn_strategy(name: str, raw: str) -> str:
    if raw not in START_LSN_STRATEGIES:
        raise ConfigurationError(
            f"{name} must be one of {', '.join(START_LSN_STRATEGIES)}, got {raw!r}"
        )
    return raw


def _https_url(name: str, raw: str) -> str:
    if not raw.startswith("https://"):  # links carry a signature: never plain http
        raise ConfigurationError(f"{name} must be an https URL, got {raw!r}")
    return raw.rstrip("/")


# SslMode values DMS takes for SQL Server; verify-full also needs a CA certificate
# (DMS user guide, "Using SSL with AWS Database Migration Service"), which bak2rds does not
# import, so it offers the two that need none.
SSL_MODES = ("none", "require")


def _ssl_mode(name: str, raw: str) -> str:
    if raw not in SSL_MODES:
        raise ConfigurationError(f"{name} must be one of {', '.join(SSL_MODES)}, got {raw!r}")
    return raw


def _table_mappings(name: str, raw: str) -> str:
    try:
        document: Any = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{name} is not valid JSON: {error}") from error
    rules = document.get("rules") if isinstance(document, dict) else None
    if not isinstance(rules, list) or not rules:
        raise ConfigurationError(f'{name} must be an object with a "rules" list')
    return json.dumps(document, separators=(",", ":"))


def _on_off(name: str, raw: str) -> bool:
    if raw not in {"on", "off"}:
        raise ConfigurationError(f"{name} must be on or off, got {raw!r}")
    return raw == "on"


KEYLESS_POLICIES = ("fail", "exclude")


def _keyless_policy(name: str, raw: str) -> str:
    if raw not in KEYLESS_POLICIES:
        raise ConfigurationError(
            f"{name} must be one of {', '.join(KEYLESS_POLICIES)}, got {raw!r}"
        )
    return raw


def variable(name: str, read: Reader = _text, default: str | None = None) -> Any:
    """A field read from environment variable ``name``; without a default it is required."""
    return field(metadata={"variable": (name, read, default)})


class Settings:
    """A group of settings: ``from_env`` reads and checks every field's variable."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        values = {}
        for setting in fields(cls):  # type: ignore[arg-type]  # every subclass is a dataclass
            name, read, default = setting.metadata["variable"]
            raw = env.get(name, "").strip()
            if not raw and default is None:
                raise ConfigurationError(f"environment variable {name} is not set")
            values[setting.name] = read(name, raw or default)
        return cls(**values)


@dataclass(frozen=True)
class SqlSettings(Settings):
    secret_arn: str = variable("DB_SECRET_ARN")
    login_timeout_seconds: int = variable("SQL_LOGIN_TIMEOUT_SECONDS", _positive_int, "15")
    query_timeout_seconds: int = variable("SQL_QUERY_TIMEOUT_SECONDS", _positive_int, "60")


@dataclass(frozen=True)
class RestoreSettings(Settings):
    kms_key_arn: str | None = variable("BACKUP_KMS_KEY_ARN", _optional, "")


@dataclass(frozen=True)
class TargetSettings(Settings):
    instance_id: str = variable("RDS_INSTANCE_ID")


@dataclass(frozen=True)
class LsnSettings(Settings):
    strategy: str = variable("START_LSN_STRATEGY", _lsn_strategy, "first_lsn")


@dataclass(frozen=True)
class DmsSettings(Settings):
    replication_instance_arn: str = variable("DMS_REPLICATION_INSTANCE_ARN")
    table_mappings: str = variable("DMS_TABLE_MAPPINGS", _table_mappings)  # compact JSON
    validation: bool = variable("DATA_VALIDATION", _on_off, "on")  # the task validates data


@dataclass(frozen=True)
class TargetPrepSettings(Settings):
    """What Prepare Target checks on the restored database before CDC starts."""

    table_mappings: str = variable("DMS_TABLE_MAPPINGS", _table_mappings)  # the CDC's scope
    keyless_tables: str = variable("KEYLESS_TABLES", _keyless_policy, "fail")


@dataclass(frozen=True)
class AssessmentSettings(Settings):
    """DMS's premigration assessment of each migration's task."""

    enabled: bool = variable("PREMIGRATION_ASSESSMENT", _on_off, "on")
    role_arn: str = variable("DMS_ASSESSMENT_ROLE_ARN")  # DMS writes the results with it


@dataclass(frozen=True)
class DmsEndpointSettings(Settings):
    """How this stack's DMS endpoints reach the source server and the RDS instance."""

    replication_instance_arn: str = variable("DMS_REPLICATION_INSTANCE_ARN")
    access_role_arn: str = variable("DMS_SECRETS_ACCESS_ROLE_ARN")  # the role DMS assumes
    source_secret_arn: str = variable("DMS_SOURCE_SECRET_ARN")
    source_ssl_mode: str = variable("DMS_SOURCE_SSL_MODE", _ssl_mode, "require")
    target_secret_arn: str = variable("DMS_TARGET_SECRET_ARN")
    target_ssl_mode: str = variable("DMS_TARGET_SSL_MODE", _ssl_mode, "require")


@dataclass(frozen=True)
class StackSettings(Settings):
    # Tagged on every DMS resource bak2rds creates; only what carries it is used or deleted.
    stack_name: str = variable("STACK_NAME")


@dataclass(frozen=True)
class CdcSettings(Settings):
    latency_threshold_seconds: int = variable("CDC_LATENCY_THRESHOLD_SECONDS", _positive_int, "60")
    ready_checks: int = variable("CDC_READY_CHECKS", _positive_int, "3")
    validation: bool = variable("DATA_VALIDATION", _on_off, "on")
    # Approve waits for DMS validation to finish, not only for failed records to be none
    validation_must_finish: bool = variable("VALIDATION_MUST_FINISH", _on_off, "off")


@dataclass(frozen=True)
class IdentitySettings(Settings):
    # After the drain, set identity columns behind their rows to the highest value they hold
    reseed: bool = variable("RESEED_IDENTITIES", _on_off, "off")


@dataclass(frozen=True)
class NotifySettings(Settings):
    topic_arn: str = variable("TOPIC_ARN")


@dataclass(frozen=True)
class StarterSettings(Settings):
    state_machine_arn: str = variable("STATE_MACHINE_ARN")


@dataclass(frozen=True)
class ApprovalSettings(Settings):
    """The approval request (links, e-mail) and the approval API (checks, decisions)."""

    table_name: str = variable("APPROVALS_TABLE")
    key_secret_arn: str = variable("APPROVAL_KEY_SECRET_ARN")
    timeout_seconds: int = variable("APPROVAL_TIMEOUT_SECONDS", _positive_int, "604800")


@dataclass(frozen=True)
class ApprovalLinkSettings(Settings):
    # The HTTP API's endpoint, https://<id>.execute-api.<region>.amazonaws.com
    base_url: str = variable("APPROVAL_BASE_URL", _https_url)


@dataclass(frozen=True)
class CutoverSettings(Settings):
    # "~0": writes to the source have stopped and DMS has applied all
    max_latency_seconds: int = variable("CUTOVER_MAX_LATENCY_SECONDS", _positive_int, "5")
    drain_timeout_seconds: int = variable(
        "CUTOVER_DRAIN_TIMEOUT_MINUTES", _minutes_as_seconds, "60"
    )


_loaded: dict[type[Settings], Settings] = {}


def load[S: Settings](kind: type[S]) -> S:
    """``kind`` read from the environment on first use, then kept for the container's life."""
    if kind not in _loaded:
        _loaded[kind] = kind.from_env(os.environ)
    loaded = _loaded[kind]
    assert isinstance(loaded, kind)
    return loaded


def clear_cache() -> None:
    """Forget loaded settings (tests change the environment between cases)."""
    _loaded.clear()

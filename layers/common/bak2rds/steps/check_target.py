"""Check Target: the configured RDS instance is SQL Server, available, and reachable."""

from __future__ import annotations

from typing import Any

from bak2rds.adapters.rds import RdsApi
from bak2rds.errors import TargetNotReady


def run(instance_id: str, rds: RdsApi) -> dict[str, Any]:
    instance = rds.describe(instance_id)
    if not instance.engine.startswith("sqlserver"):
        raise TargetNotReady(
            f"{instance_id} runs {instance.engine or 'an unknown engine'}",
            code="TARGET_NOT_SQLSERVER",
        )
    if instance.status != "available" or not instance.host:
        raise TargetNotReady(f"{instance_id} is {instance.status!r}", code="TARGET_NOT_AVAILABLE")
    return {
        "instance_id": instance_id,
        "host": instance.host,
        "port": instance.port,
        "engine": instance.engine,
        "engine_version": instance.engine_version,
    }

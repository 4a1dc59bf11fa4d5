"""Check Target: the configured RDS instance can restore this backup now.

It must be RDS for SQL Server, available, have the SQLSERVER_BACKUP_RESTORE option, run an
engine that restores the backup's version, and have at least the backup's size free: a
restored database is never smaller than its backup (RDS still reports a shortfall from
preallocated files as RESTORE_NO_SPACE).
"""

from __future__ import annotations

from datetime import datetime

from bak2rds.adapters.rds import BACKUP_RESTORE_OPTION, RdsApi
from bak2rds.errors import TargetNotReady
from bak2rds.messages import size_text
from bak2rds.models import Migration, Target
from bak2rds.preflight import check_engine_accepts


def run(instance_id: str, migration: Migration, rds: RdsApi, now: datetime) -> Target:
    instance = rds.describe(instance_id)
    if not instance.engine.startswith("sqlserver"):
        raise TargetNotReady(
            f"{instance_id} runs {instance.engine or 'an unknown engine'}",
            code="TARGET_NOT_SQLSERVER",
        )
    if instance.status != "available" or not instance.host:
        raise TargetNotReady(f"{instance_id} is {instance.status!r}", code="TARGET_NOT_AVAILABLE")
    if BACKUP_RESTORE_OPTION not in rds.option_names(instance.option_groups):
        raise TargetNotReady(
            f"option group(s) {', '.join(instance.option_groups) or '-'} of {instance_id} "
            f"lack {BACKUP_RESTORE_OPTION}",
            code="RESTORE_OPTION_MISSING",
        )
    check_engine_accepts(migration["backup"], instance.engine_version, instance_id)
    free = rds.free_storage_bytes(instance, now)
    needed = migration["size_bytes"]
    if free < needed:
        raise TargetNotReady(
            f"{instance_id} has {size_text(free)} free; the backup alone is {size_text(needed)}",
            code="RESTORE_NO_SPACE",
        )
    return {
        "instance_id": instance_id,
        "host": instance.host,
        "port": instance.port,
        "engine": instance.engine,
        "engine_version": instance.engine_version,
        "free_storage_bytes": free,
    }

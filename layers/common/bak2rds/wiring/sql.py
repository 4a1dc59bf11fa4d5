"""The SQL Server connection of the three SQL steps, to the target from Check Target."""

from __future__ import annotations

from typing import cast

from bak2rds import config
from bak2rds.adapters import secrets
from bak2rds.adapters.sqlserver import Connect, Credentials, Endpoint, SqlServer
from bak2rds.models import Target


def sql_server(target: Target) -> SqlServer:
    import pymssql  # noqa: PLC0415 - only the three SQL steps pay for loading the driver

    settings = config.load(config.SqlSettings)

    def credentials(refresh: bool) -> Credentials:
        return secrets.master_credentials(settings.secret_arn, refresh=refresh)

    return SqlServer(
        # pymssql's own stubs type the cursor more loosely than the Protocol bak2rds uses.
        connect=cast(Connect, pymssql.connect),
        endpoint=Endpoint(host=target["host"], port=target["port"]),
        credentials=credentials,
        login_timeout_seconds=settings.login_timeout_seconds,
        query_timeout_seconds=settings.query_timeout_seconds,
    )

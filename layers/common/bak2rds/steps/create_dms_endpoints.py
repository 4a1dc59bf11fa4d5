"""Create DMS Endpoints: this migration's source and target endpoints, made once.

Runs beside the restore. The source endpoint reads the database the backup was taken of on
the source server; the target endpoint writes the database being restored (it exists only
once the restore ends, so only the source is tested now). Identifiers derive from the
execution name, so a retry after a crash between ``CreateEndpoint`` and the next state finds
what it made. An endpoint with this migration's name that bak2rds did not tag for this
execution is never used: it belongs to something else.
"""

from __future__ import annotations

from typing import Protocol

from bak2rds.adapters.dms import DmsEndpoint, EndpointSpec
from bak2rds.config import DmsEndpointSettings
from bak2rds.errors import DmsRequestRejected
from bak2rds.models import DmsResources, Migration
from bak2rds.naming import dms_endpoint_identifier

EXECUTION_TAG = "bak2rds:execution"
STACK_TAG = "bak2rds:stack"


def check_owned(
    tags: dict[str, str] | None, what: str, stack_name: str, execution_name: str
) -> None:
    """Refuse to use or delete ``what`` unless this stack made it for this execution: the
    names derive from the execution, and another stack watching the same bucket (or a
    person) may have made one with the same name."""
    wanted = {STACK_TAG: stack_name, EXECUTION_TAG: execution_name}
    found = {key: (tags or {}).get(key) for key in wanted}
    if found != wanted:
        raise DmsRequestRejected(
            f"{what} was not made by this migration (tags {found}, expected {wanted}): "
            "bak2rds does not use, change or delete it"
        )


class EndpointMaker(Protocol):
    """What this step needs of DMS (``bak2rds.adapters.dms.Dms`` in AWS)."""

    def find_endpoint(self, identifier: str) -> DmsEndpoint | None: ...
    def create_endpoint(self, spec: EndpointSpec) -> DmsEndpoint: ...


def run(
    execution_name: str,
    migration: Migration,
    dms: EndpointMaker,
    settings: DmsEndpointSettings,
    stack_name: str,
) -> DmsResources:
    def spec(role: str, database: str, secret_arn: str, ssl_mode: str) -> EndpointSpec:
        return EndpointSpec(
            identifier=dms_endpoint_identifier(execution_name, role),
            role=role,
            database_name=database,
            secret_arn=secret_arn,
            access_role_arn=settings.access_role_arn,
            ssl_mode=ssl_mode,
            tags={STACK_TAG: stack_name, EXECUTION_TAG: execution_name},
        )

    source = _endpoint(
        dms,
        spec(
            "source",
            migration["source_database"],
            settings.source_secret_arn,
            settings.source_ssl_mode,
        ),
    )
    target = _endpoint(
        dms,
        spec(
            "target",
            migration["database_name"],
            settings.target_secret_arn,
            settings.target_ssl_mode,
        ),
    )
    return {
        "replication_instance_arn": settings.replication_instance_arn,
        "source_endpoint_arn": source.arn,
        "source_endpoint_id": source.identifier,
        "source_database": source.database_name,
        "target_endpoint_arn": target.arn,
        "target_endpoint_id": target.identifier,
        "target_database": target.database_name,
    }


def _endpoint(dms: EndpointMaker, spec: EndpointSpec) -> DmsEndpoint:
    endpoint = dms.find_endpoint(spec.identifier) or dms.create_endpoint(spec)
    check_owned(
        endpoint.tags,
        f"DMS endpoint {spec.identifier}",
        spec.tags[STACK_TAG],
        spec.tags[EXECUTION_TAG],
    )
    if endpoint.role != spec.role or endpoint.database_name.lower() != spec.database_name.lower():
        raise DmsRequestRejected(
            f"DMS endpoint {spec.identifier} is a {endpoint.role} endpoint of database "
            f"{endpoint.database_name!r}, not the {spec.role} of {spec.database_name!r}"
        )
    return endpoint

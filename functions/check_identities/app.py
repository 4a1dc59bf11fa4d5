"""State "Check Identities": identity columns behind their rows, and sequences, after the drain."""

from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds import clock, config
from bak2rds.adapters.identities import Identities as IdentityReader
from bak2rds.models import CheckIdentitiesPayload, Identities
from bak2rds.observability import logger, step_handler
from bak2rds.steps import check_identities
from bak2rds.wiring import sql


@step_handler
def lambda_handler(event: CheckIdentitiesPayload, context: LambdaContext) -> Identities:
    reader = IdentityReader(sql.sql_server(event["target"]), event["migration"]["database_name"])
    # A rejected migration's copy is kept as it is: reported, never reseeded.
    reseed = config.load(config.IdentitySettings).reseed and event["decision"] == "approved"
    found = check_identities.run(reader, reseed, clock.utcnow())
    logger.info(
        "Identities checked",
        extra={k: found[k] for k in ("columns", "checked", "behind_count", "sequence_count")},
    )
    return found

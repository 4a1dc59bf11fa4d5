"""HTTP API "approvals": GET shows the pending cutover, POST takes the decision.

The routes are in ``bak2rds.approval.api``; the rules in ``bak2rds.approval.rules``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds.approval.api import app
from bak2rds.observability import step_handler


@step_handler(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

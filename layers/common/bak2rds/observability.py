"""Powertools Logger and Metrics shared by every handler, and the one handler decorator.

Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME and
POWERTOOLS_METRICS_NAMESPACE, set once in the template.

Tracing: every function runs with Lambda's active tracing (``Tracing: Active``), so X-Ray
shows each invocation inside the state machine's trace at no import cost. Subsegments for
each AWS call need the X-Ray SDK, whose import alone (~100 ms) would be a third of a cold
start; they are opt-in with the stack parameter ``TraceAwsCalls`` (``TRACE_AWS_CALLS``), which
builds a Powertools ``Tracer`` patching botocore only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Protocol, overload

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.middleware_factory import lambda_handler_decorator
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()

# The Step Functions execution ARN, present in every payload: one migration's logs filter
# together by correlation_id.
CORRELATION_PATH = "execution_id"

# What Lambda calls: the event Step Functions (or EventBridge, API Gateway) sends, the context.
Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


class _Decorator(Protocol):
    def __call__[E: Mapping[str, Any], R: Mapping[str, Any]](
        self, handler: Callable[[E, LambdaContext], R]
    ) -> Callable[[E, LambdaContext], R]: ...


def migration_database(event: Mapping[str, Any]) -> str | None:
    """The database a state's payload is about, wherever the ASL put the migration."""
    for holder in (event, event.get("state")):
        if isinstance(holder, Mapping):
            migration = holder.get("migration")
            if isinstance(migration, Mapping) and migration.get("database_name"):
                return str(migration["database_name"])
    return None


@lambda_handler_decorator
def _log_database(
    handler: Handler, event: dict[str, Any], context: LambdaContext
) -> dict[str, Any]:
    # A warm container keeps logger keys: set or remove the key on every invocation.
    database = migration_database(event)
    if database is None:
        logger.remove_keys(["database"])
    else:
        logger.append_keys(database=database)
    return handler(event, context)


def traces_aws_calls() -> bool:
    return os.environ.get("TRACE_AWS_CALLS", "false").strip().lower() == "true"


def _tracer() -> Any:
    from aws_lambda_powertools import Tracer  # noqa: PLC0415 - loads the X-Ray SDK: opt-in

    # Patches only what bak2rds calls (boto3, through botocore); Powertools' default
    # patch_all would import every library the X-Ray SDK knows.
    return Tracer(patch_modules=("botocore",))


@overload
def step_handler[E: Mapping[str, Any], R: Mapping[str, Any]](
    handler: Callable[[E, LambdaContext], R],
) -> Callable[[E, LambdaContext], R]: ...


@overload
def step_handler(*, correlation_id_path: str) -> _Decorator: ...


def step_handler(
    handler: Callable[..., Any] | None = None, *, correlation_id_path: str = CORRELATION_PATH
) -> Any:
    """Logger context and correlation id, metrics flushed, a trace, the database log key.

    Use as ``@step_handler`` on a state's handler, or with ``correlation_id_path`` for a
    handler whose event is not a state's payload (EventBridge, API Gateway).
    """

    def decorate(inner: Callable[..., Any]) -> Any:
        wrapped: Handler = _log_database(inner)
        if traces_aws_calls():
            wrapped = _tracer().capture_lambda_handler(wrapped, capture_response=False)
        wrapped = metrics.log_metrics(wrapped)
        # log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: payloads carry the task
        # token (Request Cutover Approval) and link signatures (the approval API).
        return logger.inject_lambda_context(
            wrapped, correlation_id_path=correlation_id_path, log_event=False
        )

    return decorate if handler is None else decorate(handler)


__all__ = [
    "CORRELATION_PATH",
    "MetricUnit",
    "logger",
    "metrics",
    "migration_database",
    "step_handler",
    "traces_aws_calls",
]

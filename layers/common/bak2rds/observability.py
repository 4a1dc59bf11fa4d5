"""Powertools Logger, Tracer and Metrics shared by every handler.

Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME and
POWERTOOLS_METRICS_NAMESPACE, set once in the template.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# The Step Functions execution ARN, present in every payload: one migration's logs filter
# together by correlation_id.
CORRELATION_PATH = "execution_id"

__all__ = ["CORRELATION_PATH", "MetricUnit", "logger", "metrics", "tracer"]

"""Test package. Imported before any conftest or test module, so the environment Powertools
reads when ``bak2rds.observability`` is first imported is set here."""

import os

os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Bak2RdsTests")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "bak2rds")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

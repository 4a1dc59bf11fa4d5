"""The EventBridge envelope every AWS service event arrives in (EventBridge user guide,
"Amazon EventBridge events": version, id, detail-type, source, account, time, region,
resources, detail)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any


def aws_event(
    detail_type: str,
    source: str,
    *,
    account: str,
    region: str,
    time: datetime,
    resources: list[str],
    detail: dict[str, Any],
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": resources,
        "detail": detail,
    }

"""CDC latency of a DMS task, from the AWS/DMS CloudWatch metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bak2rds.adapters.aws import aws_call

_LOOKBACK = timedelta(minutes=10)


@dataclass(frozen=True)
class CdcLatency:
    source_seconds: float | None  # None: DMS has published no datapoint yet
    target_seconds: float | None


class DmsMetrics:
    def __init__(self, cloudwatch_client: Any) -> None:
        self._cloudwatch = cloudwatch_client

    def latest_latency(
        self, replication_instance_id: str, task_resource_id: str, now: datetime
    ) -> CdcLatency:
        dimensions = [
            {"Name": "ReplicationInstanceIdentifier", "Value": replication_instance_id},
            {"Name": "ReplicationTaskIdentifier", "Value": task_resource_id},
        ]
        queries = [
            {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/DMS",
                        "MetricName": name,
                        "Dimensions": dimensions,
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
            for query_id, name in (("source", "CDCLatencySource"), ("target", "CDCLatencyTarget"))
        ]
        with aws_call("CloudWatch GetMetricData"):
            response = self._cloudwatch.get_metric_data(
                MetricDataQueries=queries,
                StartTime=now - _LOOKBACK,
                EndTime=now,
                ScanBy="TimestampDescending",
            )
        latest: dict[str, float | None] = {"source": None, "target": None}
        for result in response.get("MetricDataResults", []):
            values = result.get("Values") or []
            if values:
                latest[result["Id"]] = float(values[0])
        return CdcLatency(source_seconds=latest["source"], target_seconds=latest["target"])

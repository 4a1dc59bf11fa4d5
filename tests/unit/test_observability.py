"""The one handler decorator: log keys every migration's lines share, and tracing's cost."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from bak2rds.observability import logger, migration_database, step_handler
from tests.handlers.conftest import CONTEXT

ROOT = Path(__file__).resolve().parents[2]
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:bak2rds-migration:Northwind-1"


@step_handler
def echo(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.info("step ran")
    return {"ok": True}


def logged(event: dict[str, Any]) -> dict[str, Any]:
    buffer = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(buffer)  # type: ignore[attr-defined]
    try:
        assert echo(event, CONTEXT) == {"ok": True}
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line]
    (line,) = [entry for entry in lines if entry.get("message") == "step ran"]
    return dict(line)


@pytest.mark.parametrize(
    "event",
    [
        {"execution_id": EXECUTION, "migration": {"database_name": "Sales"}},
        {"execution_id": EXECUTION, "state": {"migration": {"database_name": "Sales"}}},
    ],
    ids=["slice", "whole state"],
)
def test_given_a_states_payload_then_its_log_lines_carry_the_execution_and_database(
    event: dict[str, Any],
) -> None:
    line = logged(event)
    assert (line["correlation_id"], line["database"]) == (EXECUTION, "Sales")


def test_given_a_warm_container_then_the_previous_database_does_not_leak_into_the_next() -> None:
    logged({"execution_id": EXECUTION, "migration": {"database_name": "Sales"}})
    line = logged({"execution_id": EXECUTION, "event": {}})
    assert "database" not in line


def test_given_no_migration_in_the_payload_then_no_database_is_named() -> None:
    assert migration_database({"state": {"migration": {}}}) is None
    assert migration_database({"state": "not a mapping"}) is None


@pytest.mark.parametrize(("setting", "loaded"), [("", False), ("true", True)])
def test_the_x_ray_sdk_is_imported_only_when_aws_calls_are_traced(
    setting: str, loaded: bool
) -> None:
    # A fresh process, as a cold start: the SDK's import is ~100 ms of it.
    probe = "import sys, app; print('aws_xray_sdk' in sys.modules)"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "functions" / "check_restore"), str(ROOT / "layers" / "common")]
        ),
        "TRACE_AWS_CALLS": setting,
    }
    env.pop("POWERTOOLS_TRACE_DISABLED", None)
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True
    )
    assert result.stdout.strip() == str(loaded)

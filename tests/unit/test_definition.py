"""The template, the state machine definition, the functions and events/ agree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from localrun.template import load_yaml

ROOT = Path(__file__).parents[2]
ASL_PATH = ROOT / "statemachine" / "migration.asl.json"
ASL: dict[str, Any] = json.loads(ASL_PATH.read_text())
STATES: dict[str, dict[str, Any]] = ASL["States"]
LAMBDA_SERVICE_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


TEMPLATE: dict[str, Any] = load_yaml(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
FUNCTIONS = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
MACHINE = RESOURCES["MigrationStateMachine"]["Properties"]
TASKS = {name: s for name, s in STATES.items() if s["Type"] == "Task"}


def test_the_state_machine_is_loaded_from_the_asl_file_with_substitutions() -> None:
    assert MACHINE["DefinitionUri"] == "statemachine/migration.asl.json"
    used = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text()))
    assert used == set(MACHINE["DefinitionSubstitutions"])
    for key, value in MACHINE["DefinitionSubstitutions"].items():
        assert key.endswith("FunctionArn")
        assert value == {"Fn::GetAtt": [key.removesuffix("Arn"), "Arn"]}


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_times_out_retries_and_is_caught(name: str) -> None:
    state = TASKS[name]
    assert state["TimeoutSeconds"] > 0
    retried = {error for rule in state["Retry"] for error in rule["ErrorEquals"]}
    assert retried >= LAMBDA_SERVICE_ERRORS
    assert "TransientDependencyError" in retried
    assert "States.ALL" not in retried
    transient = next(r for r in state["Retry"] if "TransientDependencyError" in r["ErrorEquals"])
    assert transient["BackoffRate"] > 1
    assert state["Catch"][0]["ErrorEquals"] == ["States.ALL"]
    expected = "Migration Failed Without Notice" if name == "Notify Failure" else "Notify Failure"
    assert state["Catch"][0]["Next"] == expected


def test_waits_use_the_wait_the_handler_computed() -> None:
    waits = [s for s in STATES.values() if s["Type"] == "Wait"]
    assert waits
    assert all(set(s) & {"Seconds", "Timestamp", "TimestampPath"} == set() for s in waits)
    assert all(s["SecondsPath"].endswith(".wait_seconds") for s in waits)


def test_fail_states_carry_the_error_and_cause() -> None:
    fails = [s for s in STATES.values() if s["Type"] == "Fail"]
    assert fails
    assert all("ErrorPath" in s and "CausePath" in s for s in fails)


def test_state_names_read_like_what_they_do() -> None:
    for name in STATES:
        assert re.fullmatch(
            r"(?:[A-Z][A-Za-z]*|CDC|LSN)(?: (?:[A-Z][A-Za-z]*|CDC|LSN))*\??", name
        ), name


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_has_a_thin_handler_and_a_sample_event(logical_id: str) -> None:
    code = ROOT / FUNCTIONS[logical_id]["Properties"]["CodeUri"]
    source = (code / "app.py").read_text()
    assert "def lambda_handler(" in source
    assert len(source.splitlines()) <= 40, "handlers stay thin: logic belongs in bak2rds.steps"
    assert (ROOT / "events" / f"{code.name}.json").is_file()


def test_every_task_invokes_a_function_of_the_template() -> None:
    for state in TASKS.values():
        key = re.fullmatch(r"\$\{(\w+)FunctionArn\}", state["Resource"])
        assert key is not None
        assert f"{key[1]}Function" in FUNCTIONS


def test_only_the_sql_functions_run_in_the_vpc() -> None:
    in_vpc = {name for name, r in FUNCTIONS.items() if "VpcConfig" in r["Properties"]}
    assert in_vpc == {"StartRestoreFunction", "CheckRestoreFunction", "DeriveStartLsnFunction"}


def test_the_rule_starts_migrations_for_bak_objects_only() -> None:
    events = FUNCTIONS["StartMigrationFunction"]["Properties"]["Events"]
    pattern = events["BackupUploaded"]["Properties"]["Pattern"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"]["key"] == [{"suffix": {"equals-ignore-case": ".bak"}}]

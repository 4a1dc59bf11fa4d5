"""The typed state (bak2rds.models) is what the state machine really passes.

Three checks keep the types, the ASL and the samples from drifting apart: every sample in
events/ is of the type its handler declares; every Task's Parameters are exactly the keys of
the payload type its function declares; every key a Task writes (ResultPath) is a key of
MigrationState, of the type the function returns.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path
from typing import Any, get_type_hints, is_typeddict

import pytest
from typeguard import TypeCheckError, check_type

from bak2rds.models import Migration, MigrationState

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
ASL: dict[str, Any] = json.loads((ROOT / "statemachine" / "migration.asl.json").read_text())
# Samples whose handler takes what AWS sends as it is (EventBridge, API Gateway events).
UNTYPED_SAMPLES = {"start_migration", "approval_api", "alert"}
SAMPLE_HANDLER = {"notify_failure": "notify"}


def handler_hints(function: str) -> dict[str, Any]:
    module = importlib.import_module(f"functions.{function}.app")
    return get_type_hints(inspect.unwrap(module.lambda_handler))


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def invoked_function(state: dict[str, Any]) -> str:
    resource = state["Parameters"].get("FunctionName", state["Resource"])
    (pascal,) = re.findall(r"\$\{(\w+)FunctionArn\}", resource)
    return snake(pascal)


def payload_keys(state: dict[str, Any]) -> set[str]:
    parameters = state["Parameters"].get("Payload", state["Parameters"])
    return {key.removesuffix(".$") for key in parameters}


def _every_state(states: dict[str, Any]) -> dict[str, Any]:
    """Every state, those in Parallel states' branches too."""
    found = dict(states)
    for state in states.values():
        for branch in state.get("Branches", []):
            found.update(_every_state(branch["States"]))
    return found


TASKS = {name: s for name, s in _every_state(ASL["States"]).items() if s["Type"] == "Task"}
PARALLELS = {name: s for name, s in ASL["States"].items() if s["Type"] == "Parallel"}
SAMPLES = sorted(path.stem for path in EVENTS.glob("*.json"))


@pytest.mark.parametrize("sample", sorted(set(SAMPLES) - UNTYPED_SAMPLES))
def test_every_sample_is_of_the_type_its_handler_declares(sample: str) -> None:
    payload_type = handler_hints(SAMPLE_HANDLER.get(sample, sample))["event"]
    assert is_typeddict(payload_type), f"{sample}: the handler's event is not a model"
    check_type(json.loads((EVENTS / f"{sample}.json").read_text()), payload_type)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_passes_the_keys_its_functions_payload_type_declares(name: str) -> None:
    payload_type = handler_hints(invoked_function(TASKS[name]))["event"]
    passed, declared = payload_keys(TASKS[name]), set(get_type_hints(payload_type))
    assert passed <= declared, f"passed but not declared: {passed - declared}"
    assert payload_type.__required_keys__ <= passed, "declared required but not passed"


@pytest.mark.parametrize(
    "name", sorted(n for n, s in TASKS.items() if s.get("ResultPath", "$") not in (None, "$"))
)
def test_every_task_result_lands_under_a_state_key_of_the_type_its_function_returns(
    name: str,
) -> None:
    key = TASKS[name]["ResultPath"].removeprefix("$.")
    state_keys = get_type_hints(MigrationState)
    assert key in state_keys, f"{name} writes $.{key}, which MigrationState does not name"
    returned = handler_hints(invoked_function(TASKS[name]))["return"]
    if name == "Request Cutover Approval":  # waits for the API: the result is its decision
        return
    assert state_keys[key] == returned or state_keys[key] in getattr(returned, "__args__", ())


def test_the_read_backup_object_result_is_the_whole_state_s_migration() -> None:
    state = ASL["States"]["Read Backup Object"]
    assert state["ResultSelector"] == {"migration.$": "$"}
    assert handler_hints("read_backup_object")["return"] is Migration


def test_a_sample_that_drifts_from_its_type_is_caught() -> None:
    sample = json.loads((EVENTS / "check_restore.json").read_text())
    del sample["restore"]["task_id"]
    with pytest.raises(TypeCheckError, match="task_id"):
        check_type(sample, handler_hints("check_restore")["event"])


@pytest.mark.parametrize("name", sorted(PARALLELS))
def test_a_parallel_state_keeps_every_key_its_branches_write(name: str) -> None:
    """The branches' results are merged back into one state by the ResultSelector: a key a
    branch writes but the selector drops would be lost without a word."""
    parallel = PARALLELS[name]
    assert parallel["ResultPath"] == "$"
    kept = {key.removesuffix(".$") for key in parallel["ResultSelector"]}
    assert kept <= set(get_type_hints(MigrationState))
    written = {
        task["ResultPath"].removeprefix("$.")
        for branch in parallel["Branches"]
        for task in _every_state(branch["States"]).values()
        if task["Type"] == "Task" and task.get("ResultPath")
    }
    assert written <= kept
    inputs = {"migration", "target", "restore"}  # what the state held before: every branch has it
    assert inputs <= kept
    # Each key comes from the first branch that has it, and every branch has the input's keys:
    # a key a branch updates must be updated by the first branch, or the stale copy wins.
    first = parallel["Branches"][0]["States"]
    updated_first = {
        s["ResultPath"].removeprefix("$.") for s in first.values() if s.get("ResultPath")
    }
    assert written & inputs <= updated_first
    for key in parallel["ResultSelector"].values():
        assert key.startswith("States.ArrayGetItem($[*].") and key.endswith(", 0)")

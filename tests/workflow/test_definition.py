"""The workflow tests run the product's own definition and handlers, nothing rewritten.

If the tests re-implemented the state machine, changing the ASL file would not change
their outcome. Here it does: without the Catch on "Check Restore", a restore ERROR is no
longer turned into a catalogue code and a failure message.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from localrun import samples
from localrun.runtime import DEFAULT_TEMPLATE, LocalRuntime
from localrun.template import SamTemplate
from tests.workflow.conftest import StartRuntime

pytestmark = pytest.mark.workflow

ASL = DEFAULT_TEMPLATE.parent / "statemachine" / "migration.asl.json"
FAILING_BACKUP = samples.backup_in_s3(
    restore_duration=timedelta(minutes=30),
    fails_with="Error making request with Error Code Forbidden. Error Message: Access Denied",
)


def without_check_restore_catch(folder: Path) -> Path:
    definition = json.loads(ASL.read_text(encoding="utf-8"))
    del definition["States"]["Restore And Prepare CDC"]["Catch"]  # catches Check Restore
    modified = folder / "migration.asl.json"
    modified.write_text(json.dumps(definition, indent=2), encoding="utf-8")
    return modified


@pytest.mark.parametrize("catch_removed", [False, True], ids=["as-shipped", "catch-removed"])
def test_the_outcome_follows_the_definition_file(
    start_runtime: StartRuntime, tmp_path: Path, catch_removed: bool
) -> None:
    definition = without_check_restore_catch(tmp_path) if catch_removed else None
    runtime = start_runtime(definition_path=definition)

    runtime.start_migration("incoming/Northwind.bak", FAILING_BACKUP)
    (execution,) = runtime.run_until_done()

    subjects = [n.subject for n in runtime.notifications()]
    assert execution.status == "FAILED"
    if catch_removed:
        # The handler's exception escapes the state machine as it is: no code, no message.
        assert execution.error == "RestoreTaskFailed"
        assert "Check Restore" in execution.state_names
        assert "Notify Failure" not in execution.state_names
        # Alert e-mails what the execution could not: EventBridge's "execution FAILED"
        assert subjects == [
            "[bak2rds] Northwind: restore started",
            f"[bak2rds] {execution.name}: FAILED RESTORE_ACCESS_DENIED",
        ]
    else:
        assert execution.error == "RESTORE_ACCESS_DENIED"
        assert subjects[-1] == "[bak2rds] Northwind: FAILED RESTORE_ACCESS_DENIED"


def test_the_runtime_runs_the_definition_uri_with_the_templates_substitutions(
    runtime: LocalRuntime,
) -> None:
    substitutions = SamTemplate.load(DEFAULT_TEMPLATE).state_machine().substitutions
    expected = ASL.read_text(encoding="utf-8")
    for key, target in substitutions.items():  # !GetAtt <Function>.Arn, or !Ref <Parameter>
        if "Ref" in target:
            value = str(runtime.parameter(target["Ref"]))
        else:
            logical_id, attribute = target["Fn::GetAtt"]
            assert attribute == "Arn"
            value = runtime.function(logical_id).arn
        expected = expected.replace("${" + key + "}", value)

    assert json.loads(runtime.definition) == json.loads(expected)
    assert "${" not in runtime.definition


def test_each_function_gets_its_template_environment(runtime: LocalRuntime) -> None:
    assert runtime.function("CheckTargetFunction").environment == {
        "POWERTOOLS_SERVICE_NAME": "bak2rds",
        "POWERTOOLS_METRICS_NAMESPACE": "Bak2Rds",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "TRACE_AWS_CALLS": "false",
        "RDS_INSTANCE_ID": "bak2rds-target",
    }
    assert runtime.function("NotifyFunction").environment["TOPIC_ARN"] == runtime.topic_arn
    assert (
        runtime.function("StartMigrationFunction").environment["STATE_MACHINE_ARN"]
        == runtime.state_machine_arn
    )
    cdc = runtime.function("CheckCdcFunction").environment
    assert (cdc["CDC_LATENCY_THRESHOLD_SECONDS"], cdc["CDC_READY_CHECKS"]) == ("60", "3")
    assert json.loads(runtime.function("CreateCdcTaskFunction").environment["DMS_TABLE_MAPPINGS"])[
        "rules"
    ]

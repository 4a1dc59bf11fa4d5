"""``bak2rds status`` and ``show`` read real executions: the state machine run locally."""

from __future__ import annotations

import json

import boto3
import pytest
from rich.console import Console
from typer.testing import CliRunner

from bak2rds_cli import main, migrations
from localrun.runtime import LocalRuntime
from localrun.samples import backup_in_s3
from tests.workflow.test_approval import waiting_for_approval

pytestmark = pytest.mark.workflow
runner = CliRunner()


def _register_stack(runtime: LocalRuntime) -> None:
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "StagingBucketName": {"Value": runtime.bucket},
            "StateMachineArn": {"Value": runtime.state_machine_arn},
            "NotificationTopicArn": {"Value": runtime.topic_arn},
        },
    }
    boto3.client("cloudformation").create_stack(
        StackName="bak2rds-local", TemplateBody=json.dumps(template)
    )


def test_status_lists_migrations_and_show_tells_one_migrations_timeline(
    runtime: LocalRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(main, "console", Console(width=250))
    waiting, _ = waiting_for_approval(runtime)
    upload = runtime.upload("incoming/Sales.bak", backup_in_s3("Sales"))
    runtime.deliver(upload.event)
    sales = migrations.started_by(
        boto3.client("stepfunctions"), runtime.state_machine_arn, upload.key, upload.version_id
    )
    assert sales is not None  # what `bak2rds upload` prints after an upload
    runtime.run_until(lambda: runtime.execution(sales.arn).visits("Check Restore") >= 2)
    _register_stack(runtime)

    status = runner.invoke(main.app, ["status", "--stack", "bak2rds-local"])
    print(status.output)  # the README's captured output comes from here

    assert status.exit_code == 0, status.output
    rows = {line.split("│")[1].strip(): line for line in status.output.splitlines() if "│" in line}
    approval = rows[waiting.name]
    assert "RUNNING" in approval and "Request Cutover Approval" in approval
    assert "100%" in approval and " s " in approval  # restore done, CDC latency in seconds
    assert "2026-11-21" in approval  # waiting for approval since
    restoring = rows[sales.name]
    assert "%" in restoring and "Request Cutover Approval" not in restoring
    assert "console.aws.amazon.com/states" in status.output

    show = runner.invoke(main.app, ["show", waiting.name, "--stack", "bak2rds-local"])
    print(show.output)
    assert show.exit_code == 0, show.output
    assert "Read Backup Object" in show.output and "Request Cutover Approval" in show.output
    assert "restore 100%" in show.output and "CDC latency" in show.output
    assert "Wait For CDC" not in show.output  # waits and choices are left out

"""The template, the state machine definition, the functions and events/ agree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bak2rds import approval
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
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.Unknown",  # a crash: out of memory, timeout, process exit; every step is idempotent
}


TEMPLATE: dict[str, Any] = load_yaml(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
FUNCTIONS = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
MACHINE = RESOURCES["MigrationStateMachine"]["Properties"]


def _every_state(states: dict[str, Any], parallel: str | None = None) -> dict[str, Any]:
    """Every state, those in a Parallel state's branches too: name -> (state, its Parallel)."""
    found: dict[str, Any] = {}
    for name, state in states.items():
        found[name] = (state, parallel)
        for branch in state.get("Branches", []):
            found.update(_every_state(branch["States"], name))
    return found


EVERY_STATE = _every_state(STATES)
TASKS = {name: s for name, (s, _) in EVERY_STATE.items() if s["Type"] == "Task"}
# Where a Task's last-resort Catch goes, when not to Notify Failure.
CAUGHT_ELSEWHERE = {
    "Notify Failure": "Migration Failed Without Notice",
    "Remove DMS Resources": "Write Cutover Report",  # a failed cleanup does not undo a cutover
    "Write Cutover Report": "Cutover Approved?",  # nor does a report that could not be written
    "Check Identities": "Read Apply Exceptions",  # nor does an identity check that failed
    "Read Apply Exceptions": "Remove DMS Resources",  # nor a report without them
    "Restore Triggers And Keys": "Check Identities",  # nor does a failed re-enable
    # waiting for stripes is no failure, even when its e-mail cannot be sent
    "Notify Waiting For Stripes": "Waiting For Stripes",
}


def test_the_state_machine_is_loaded_from_the_asl_file_with_substitutions() -> None:
    assert MACHINE["DefinitionUri"] == "statemachine/migration.asl.json"
    used = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text()))
    assert used == set(MACHINE["DefinitionSubstitutions"])
    for key, value in MACHINE["DefinitionSubstitutions"].items():
        if key.endswith("FunctionArn"):
            assert value == {"Fn::GetAtt": [key.removesuffix("Arn"), "Arn"]}
        else:  # a stack parameter under its own name
            assert value == {"Ref": key}
            assert key in TEMPLATE["Parameters"]


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_times_out_retries_and_is_caught(name: str) -> None:
    state = TASKS[name]
    assert state.get("TimeoutSeconds", 0) > 0 or "TimeoutSecondsPath" in state
    retried = {error for rule in state["Retry"] for error in rule["ErrorEquals"]}
    assert retried >= LAMBDA_SERVICE_ERRORS
    assert "TransientDependencyError" in retried
    assert "States.ALL" not in retried
    transient = next(r for r in state["Retry"] if "TransientDependencyError" in r["ErrorEquals"])
    assert transient["BackoffRate"] > 1
    parallel = EVERY_STATE[name][1]
    if parallel is not None:  # a branch's error fails its Parallel state, which catches it
        assert "Catch" not in state
        state = STATES[parallel]
    assert state["Catch"][-1]["ErrorEquals"] == ["States.ALL"]  # the last resort, after any other
    assert state["Catch"][-1]["Next"] == CAUGHT_ELSEWHERE.get(name, "Notify Failure")


def test_waits_use_the_wait_the_handler_computed() -> None:
    waits = [s for s, _ in EVERY_STATE.values() if s["Type"] == "Wait"]
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
        resource = state["Resource"]
        if resource == "arn:aws:states:::lambda:invoke.waitForTaskToken":
            resource = state["Parameters"]["FunctionName"]
        key = re.fullmatch(r"\$\{(\w+)FunctionArn\}", resource)
        assert key is not None
        assert f"{key[1]}Function" in FUNCTIONS


def test_only_the_sql_functions_run_in_the_vpc() -> None:
    in_vpc = {name for name, r in FUNCTIONS.items() if "VpcConfig" in r["Properties"]}
    assert in_vpc == {
        "StartRestoreFunction",
        "CheckRestoreFunction",
        "DeriveStartLsnFunction",
        "PrepareTargetFunction",
        "RestoreTriggersAndKeysFunction",
        "CheckLoginsFunction",
        "CheckIdentitiesFunction",
        "ReadApplyExceptionsFunction",
    }


def test_the_rule_starts_migrations_for_bak_objects_only() -> None:
    events = FUNCTIONS["StartMigrationFunction"]["Properties"]["Events"]
    pattern = events["BackupUploaded"]["Properties"]["Pattern"]
    assert pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"]["key"] == [{"suffix": {"equals-ignore-case": ".bak"}}]


def test_the_approval_waits_for_the_token_and_routes_each_outcome() -> None:
    state = STATES["Request Cutover Approval"]
    assert state["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert state["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
    # the timeout is the stack parameter, set just before (TimeoutSeconds must be a number)
    assert state["TimeoutSecondsPath"] == "$.approval_request.timeout_seconds"
    assert STATES["Set Approval Timeout"]["Next"] == "Request Cutover Approval"
    assert "${ApprovalTimeoutSeconds}" in json.dumps(STATES["Set Approval Timeout"])
    # an expired approval is never retried: that would e-mail new links behind the DBA's back
    retried = {error for rule in state["Retry"] for error in rule["ErrorEquals"]}
    assert "States.Timeout" not in retried
    routes = {tuple(c["ErrorEquals"]): c["Next"] for c in state["Catch"]}
    assert routes == {
        ("CutoverRejected",): "Record Rejection",
        ("States.Timeout", "States.HeartbeatTimeout"): "Notify Approval Expired",
        ("States.ALL",): "Notify Failure",
    }
    assert state["Next"] == "Check Final Sync"  # only SendTaskSuccess leads to the cutover


def test_the_ends_say_how_the_migration_ended() -> None:
    ends = {name: s["Type"] for name, s in STATES.items() if s["Type"] in {"Succeed", "Fail"}}
    assert ends == {
        "Cutover Complete": "Succeed",
        "Cutover Rejected": "Succeed",
        "Waiting For Stripes": "Succeed",  # a striped set's first stripes: nothing restored
        "Approval Expired": "Fail",
        "Migration Failed": "Fail",
        "Migration Failed Without Notice": "Fail",
    }


def test_the_approval_api_can_answer_its_task_tokens_and_read_only_its_own_executions() -> None:
    assert MACHINE["Name"] == {"Fn::Sub": "${AWS::StackName}-migration"}
    api = FUNCTIONS["ApprovalApiFunction"]["Properties"]
    statements = api["Policies"][0]["Statement"]
    actions = {
        action
        for statement in statements
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }
    assert actions == {
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "secretsmanager:GetSecretValue",
        "states:SendTaskSuccess",
        "states:SendTaskFailure",
        "states:DescribeExecution",
        "dms:DescribeReplicationTasks",
        "cloudwatch:GetMetricData",
        "dms:DescribeTableStatistics",  # validation per table, on a task ARN
        "kms:Decrypt",  # the table and the signing key are under the stack key
        "kms:GenerateDataKey",
    }
    kms = next(s for s in statements if "kms:Decrypt" in s["Action"])
    assert kms["Resource"] == {"Fn::GetAtt": ["StackKey", "Arn"]}
    # SendTask* take no resource type: anything but "*" is refused in AWS (moto checks nothing)
    send = next(s for s in statements if "states:SendTaskSuccess" in s["Action"])
    assert (send["Resource"], sorted(send["Action"])) == (
        "*",
        ["states:SendTaskFailure", "states:SendTaskSuccess"],
    )
    describe = next(s for s in statements if s["Action"] == "states:DescribeExecution")
    assert describe["Resource"]["Fn::Sub"].endswith(":execution:${AWS::StackName}-migration:*")
    events = api["Events"]
    assert {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events.values()} == {
        ("GET", "/approvals/{approval_id}"),
        ("POST", "/approvals/{approval_id}"),
    }


def test_the_signing_key_is_generated_by_the_stack() -> None:
    key = RESOURCES["ApprovalSigningKey"]
    assert key["Type"] == "AWS::SecretsManager::Secret"
    assert key["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert "SecretString" not in key["Properties"]
    table = RESOURCES["ApprovalsTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


def test_the_asl_reads_the_approval_by_the_names_bak2rds_approval_gives() -> None:
    states = ASL["States"]
    request = states["Request Cutover Approval"]
    (rejected,) = [c for c in request["Catch"] if c["Next"] == "Record Rejection"]
    assert rejected["ErrorEquals"] == [approval.REJECTED_ERROR]
    assert rejected["ResultPath"] == request["ResultPath"] == "$.approval"
    assert states["Record Rejection"]["Parameters"]["decision"] == approval.REJECTED
    (approved,) = states["Cutover Approved?"]["Choices"]
    assert (approved["Variable"], approved["StringEquals"]) == (
        "$.approval.decision",
        approval.APPROVED,
    )


def test_every_stack_parameter_is_described_in_the_readmes_configuration() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Configuration") :].split("\n## ", 1)[0]
    missing = [name for name in TEMPLATE["Parameters"] if f"`{name}`" not in section]
    assert missing == []


def test_the_state_machine_log_leaves_out_execution_data_which_holds_the_task_token() -> None:
    machine = next(
        r for r in TEMPLATE["Resources"].values() if r["Type"] == "AWS::Serverless::StateMachine"
    )
    assert machine["Properties"]["Logging"]["IncludeExecutionData"] is False


def _statements(logical_id: str) -> list[dict[str, Any]]:
    policies = RESOURCES[logical_id]["Properties"]["Policies"]
    return [s for policy in policies if "Statement" in policy for s in policy["Statement"]]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_dms_reads_only_the_two_endpoint_secrets_through_a_role_only_dms_assumes() -> None:
    role = RESOURCES["DmsSecretsAccessRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    # the regional service principal the DMS guide names for secrets access
    assert trust["Principal"] == {"Service": {"Fn::Sub": "dms.${AWS::Region}.amazonaws.com"}}
    (policy,) = role["Policies"]
    read, kms = policy["PolicyDocument"]["Statement"]
    assert read["Action"] == "secretsmanager:GetSecretValue"
    assert read["Resource"] == [{"Ref": "DmsSourceSecretArn"}, {"Ref": "DmsTargetSecretArn"}]
    assert kms["Fn::If"][0] == "HasDmsSecretsKmsKey"  # Decrypt only on the customer key given


def test_dms_resources_are_made_and_deleted_only_with_this_stacks_tag() -> None:
    stack_tag = {"Ref": "AWS::StackName"}
    create = next(
        s for s in _statements("CreateDmsEndpointsFunction") if "dms:CreateEndpoint" in _actions(s)
    )
    assert create["Condition"] == {"StringEquals": {"aws:RequestTag/bak2rds:stack": stack_tag}}
    delete = next(
        s for s in _statements("RemoveDmsResourcesFunction") if "dms:DeleteEndpoint" in _actions(s)
    )
    assert set(_actions(delete)) == {"dms:DeleteEndpoint", "dms:DeleteReplicationTask"}
    assert delete["Condition"] == {"StringEquals": {"aws:ResourceTag/bak2rds:stack": stack_tag}}
    passing = next(
        s for s in _statements("CreateDmsEndpointsFunction") if "iam:PassRole" in _actions(s)
    )
    assert passing["Resource"] == {"Fn::GetAtt": ["DmsSecretsAccessRole", "Arn"]}
    assert passing["Condition"]["StringEquals"]["iam:PassedToService"][0] == "dms.amazonaws.com"
    for function, action in (
        ("StartCdcTaskFunction", "dms:StartReplicationTask"),
        ("StartCdcTaskFunction", "dms:ModifyReplicationTask"),
        ("StopCdcTaskFunction", "dms:StopReplicationTask"),
        ("CreateCdcTaskFunction", "dms:AddTagsToResource"),
        ("AssessCdcTaskFunction", "dms:StartReplicationTaskAssessmentRun"),
    ):
        (statement,) = [s for s in _statements(function) if action in _actions(s)]
        (key,) = statement["Condition"]["StringEquals"]
        assert key.endswith("Tag/bak2rds:stack"), (function, action)


def test_dms_writes_assessment_results_only_under_assessments_through_a_role_of_its_own() -> None:
    role = RESOURCES["DmsAssessmentRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "dms.amazonaws.com"}  # the guide's trust policy
    (policy,) = role["Policies"]
    writes, lists = policy["PolicyDocument"]["Statement"]
    assert set(writes["Action"]) == {
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:GetObject",
        "s3:PutObjectTagging",
    }
    assert writes["Resource"]["Fn::Sub"][0].endswith("/assessments/*")
    assert set(lists["Action"]) == {"s3:ListBucket", "s3:GetBucketLocation"}
    passing = next(s for s in _statements("AssessCdcTaskFunction") if "iam:PassRole" in _actions(s))
    assert passing["Resource"] == {"Fn::GetAtt": ["DmsAssessmentRole", "Arn"]}
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "dms.amazonaws.com"}}


def test_table_statistics_are_read_on_tasks_only() -> None:
    for function in ("CheckCdcFunction", "CheckFinalSyncFunction"):
        (statement,) = [
            s for s in _statements(function) if "dms:DescribeTableStatistics" in _actions(s)
        ]
        assert statement["Resource"]["Fn::Sub"].endswith(":task:*")  # ReplicationTask*


def test_no_function_may_change_dms_resources_it_cannot_name() -> None:
    """Describe calls take no resource; anything that creates, starts, stops or deletes is
    scoped to DMS ARNs of this account and region (Service Authorization Reference)."""
    read_only = ("dms:Describe", "dms:List")
    for logical_id in FUNCTIONS:
        for statement in _statements(logical_id):
            changing = [
                a
                for a in _actions(statement)
                if a.startswith("dms:") and not a.startswith(read_only)
            ]
            if changing:
                assert statement["Resource"] != "*", (logical_id, changing)
                assert "dms:*" not in changing


def test_every_checkov_suppression_gives_its_reason_next_to_its_resource() -> None:
    skips = [
        (name, skip)
        for name, resource in RESOURCES.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert len(skips) > 50, "the scan found too few suppressions: it is broken"
    for name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
        assert len(skip.get("comment", "").split()) >= 8, f"{name} {skip['id']}: say why"
    # no function that reaches SQL Server is excused from the VPC check
    sql_functions = {n for n, f in FUNCTIONS.items() if "VpcConfig" in f["Properties"]}
    excused = {name for name, skip in skips if skip["id"] == "CKV_AWS_117"}
    assert sql_functions and not sql_functions & excused


def test_alarms_and_the_alert_rules_reach_the_status_topic() -> None:
    alarms = {n: r for n, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert set(alarms) == {
        "MigrationsFailedAlarm",
        "StartFailuresAlarm",
        "CdcLatencyAlarm",
        "AlertsNotSentAlarm",
    }
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "NotificationTopic"}]
    topic = RESOURCES["NotificationTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "StackKey"}  # not alias/aws/sns: alarms can't use it
    events = FUNCTIONS["AlertFunction"]["Properties"]["Events"]
    dms = events["DmsTaskFailedOrStopped"]["Properties"]["Pattern"]
    assert dms == {"source": ["aws.dms"], "detail-type": ["DMS Replication Task State Change"]}
    ended = events["MigrationEndedBadly"]["Properties"]["Pattern"]["detail"]
    assert ended["status"] == ["FAILED", "TIMED_OUT", "ABORTED"]
    assert ended["stateMachineArn"] == [{"Ref": "MigrationStateMachine"}]


def test_every_function_logs_to_the_stacks_log_group_with_retention() -> None:
    globals_ = load_yaml(ROOT / "template.yaml")["Globals"]["Function"]
    assert globals_["LoggingConfig"] == {"LogGroup": {"Ref": "FunctionLogGroup"}}
    assert not any("LoggingConfig" in f["Properties"] for f in FUNCTIONS.values())
    groups = {n: r for n, r in RESOURCES.items() if r["Type"] == "AWS::Logs::LogGroup"}
    assert len(groups) == 3
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["StackKey", "Arn"]}

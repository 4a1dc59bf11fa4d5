"""The bak2rds workflow run locally: the real ASL and handlers on moto, in simulated time.

``LocalRuntime`` deploys ``template.yaml`` into moto and runs migrations end to end:

* **State machine** - moto's ASL interpreter executes the file named by the state machine's
  ``DefinitionUri``, with every ``DefinitionSubstitutions`` value resolved from the template
  (``!GetAtt XFunction.Arn`` → the ARN of the local function created for ``XFunction``).
* **Lambda** - each ``AWS::Serverless::Function`` exists in moto's Lambda backend; its
  invocations run the handler named by ``CodeUri``/``Handler`` in-process, with the function's
  environment (see ``localrun.lambdas``). The layer's ``ContentUri`` is put on ``sys.path``
  as Lambda mounts a layer.
* **AWS services** - S3 (the staging bucket), SNS (the status topic), SQS, Secrets Manager,
  RDS (the target instance, engine ``sqlserver-se``), CloudWatch and DMS are moto, with the DMS
  stand-in of ``localrun.dms`` where moto falls short.
* **RDS SQL endpoint** - ``pymssql.connect`` reaches ``SimulatedRdsSqlServer`` when the host
  and port are the RDS instance's endpoint (anything else fails as an unreachable server).
* **Time** - ``bak2rds.clock.utcnow`` is the injected ``ManualClock``; Wait states and Retry
  intervals park the interpreter until ``run_until_done``/``run_until`` move that clock (see
  ``localrun.simtime``). Execution start/stop dates, ``$$.Execution.StartTime`` and the
  history timestamps are in simulated time too.
* **Start** - EventBridge targets do not run in moto, so ``deliver(event)`` matches the event
  against each ``EventBridgeRule`` of the template (moto's pattern matcher) and invokes the
  target function (``StartMigrationFunction``) through moto's Lambda API.
* **Approval** - the ``.waitForTaskToken`` task parks the execution until the approval API
  sends the decision or its timeout passes in simulated time; ``run_until_done`` returns while
  executions wait for a person (``let_approvals_expire=True`` moves the clock on instead).
  The approvals table and the signing key are moto (DynamoDB, Secrets Manager with a
  generated value); the HTTP API is ``localrun.approvals``: ``approval_http`` sends a request
  to the real handler as API Gateway would, ``serve_approvals`` serves it on 127.0.0.1 for a
  browser, and ``approval_emails`` reads the links from the SNS messages.

Typical use::

    with LocalRuntime() as runtime:
        upload = runtime.upload("incoming/Northwind.bak")
        runtime.deliver(upload.event)
        (execution,) = runtime.run_until_done()
        assert execution.status == "SUCCEEDED"

What still differs from AWS is listed in
``localrun.interpreter.INTERPRETER_DIFFERENCES``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import secrets
import string
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from unittest import mock
from urllib.parse import quote_plus, urlencode

import boto3
import pymssql
from moto import mock_aws
from moto.awslambda.models import LambdaFunction
from moto.dms.models import dms_backends
from moto.events.models import EventPattern
from moto.sns.models import sns_backends

from bak2rds.lsn import Lsn
from localrun import samples
from localrun.approvals import (
    ApprovalEmail,
    ApprovalServer,
    HttpApiRoutes,
    HttpResponse,
    Route,
    approval_emails,
    serving,
)
from localrun.backupimage import BackupImage
from localrun.clock import ManualClock
from localrun.dms import CdcLatencyProfile, SimulatedDms, resource_id
from localrun.interpreter import INTERPRETER_DIFFERENCES, MOTO_CONFIG, patched_interpreter
from localrun.lambdas import LambdaService, LocalFunction
from localrun.rdstarget import create_target
from localrun.simtime import SimulatedTime
from localrun.sqlserver import BackupInS3, SimulatedRdsSqlServer
from localrun.template import (
    SERVERLESS_FUNCTION,
    SERVERLESS_STATE_MACHINE,
    Pseudo,
    Resolver,
    SamTemplate,
    TemplateError,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = PROJECT_ROOT / "template.yaml"
ACCOUNT_ID = "123456789012"  # moto's default account
# Parameters that name resources the runtime creates; they cannot be given.
RUNTIME_PARAMETERS = frozenset(
    {
        "RdsInstanceIdentifier",
        "RdsMasterUserSecretArn",
        "DmsReplicationInstanceArn",
        "DmsSourceEndpointArn",
        "DmsTargetEndpointArn",
    }
)


class DeliveryFailed(RuntimeError):
    """An EventBridge target function returned an error (EventBridge would retry it)."""


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Upload:
    """An object put into the staging bucket, and the EventBridge event S3 emits for it."""

    bucket: str
    key: str
    version_id: str
    etag: str
    size: int
    s3_arn: str
    backup: BackupInS3
    event: dict[str, Any]


@dataclass(frozen=True)
class Notification:
    message_id: str
    subject: str
    message: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class StateVisit:
    name: str
    type: str
    entered_at: datetime  # simulated time


@dataclass(frozen=True)
class ExecutionResult:
    """One execution as Step Functions describes it, with its full history."""

    arn: str
    name: str
    status: str
    error: str | None
    cause: str | None
    input: Any
    output: Any
    started_at: datetime
    stopped_at: datetime | None
    history: list[dict[str, Any]]

    @property
    def states(self) -> list[StateVisit]:
        """The states entered, in order, with the simulated time each was entered."""
        return [
            StateVisit(
                name=str(event["stateEnteredEventDetails"]["name"]),
                type=str(event["type"]).removesuffix("StateEntered"),
                entered_at=event["timestamp"],
            )
            for event in self.history
            if str(event["type"]).endswith("StateEntered")
        ]

    @property
    def state_names(self) -> list[str]:
        return [visit.name for visit in self.states]

    @property
    def state_transitions(self) -> int:
        """What a Standard workflow is billed by: every state entered, and every retry."""
        return len(self.states) + self.retries

    @property
    def retries(self) -> int:
        """Task attempts beyond the first of each Task state entered."""
        tasks_entered = sum(1 for event in self.history if event["type"] == "TaskStateEntered")
        return self.lambda_invocations - tasks_entered

    @property
    def lambda_invocations(self) -> int:
        """Lambda tasks (plain ARN) and ``lambda:invoke`` integrations (the approval task)."""
        return sum(
            1
            for event in self.history
            if event["type"] == "LambdaFunctionScheduled"
            or (
                event["type"] == "TaskScheduled"
                and event["taskScheduledEventDetails"].get("resourceType") == "lambda"
            )
        )

    @property
    def simulated_duration(self) -> timedelta:
        """Start to end, or to the latest event while it runs (e.g. waits for approval)."""
        latest = self.history[-1]["timestamp"] if self.history else self.started_at
        return (self.stopped_at or latest) - self.started_at

    @property
    def data(self) -> Any:
        """The execution's data: its output once it ended, else the input of the state it is
        in now (e.g. the migration state while it waits for the cutover approval)."""
        if self.output is not None:
            return self.output
        for event in reversed(self.history):
            if str(event["type"]).endswith("StateEntered"):
                return json.loads(event["stateEnteredEventDetails"].get("input") or "null")
        return self.input

    @property
    def waiting_for_approval(self) -> bool:
        return (
            self.status == "RUNNING"
            and bool(self.states)
            and (self.states[-1].name == "Request Cutover Approval")
        )

    def visits(self, state_name: str) -> int:
        return self.state_names.count(state_name)

    def lambda_failures(self) -> list[tuple[str, str]]:
        """(error, cause) of every failed Lambda invocation, retried or not."""
        return [
            (
                str(event["lambdaFunctionFailedEventDetails"].get("error", "")),
                str(event["lambdaFunctionFailedEventDetails"].get("cause", "")),
            )
            for event in self.history
            if event["type"] == "LambdaFunctionFailed"
        ]


@dataclass
class _DeployedRule:
    function: str  # logical id
    event_name: str
    pattern: Any  # moto EventPattern


# ---------------------------------------------------------------------------- the runtime
class LocalRuntime:
    """bak2rds deployed into moto. Use as a context manager (or ``start``/``close``).

    Arguments (all optional):
        clock: the simulated clock (a fresh ``ManualClock``).
        sql: the simulated RDS SQL endpoint (a fresh one on ``clock``).
        parameters: stack parameter values; the template's defaults fill the rest. The
            parameters naming the target instance, its secret and the DMS resources are set
            by the runtime to the resources it creates (``RUNTIME_PARAMETERS``).
        template_path: the SAM template (the project's ``template.yaml``).
        definition_path: an ASL file to run instead of the one ``DefinitionUri`` names (its
            ``${...}`` substitutions are resolved the same way).
        dms_source_database / dms_target_database: ``DatabaseName`` of the DMS source and
            target endpoints (``None``: the endpoint names no database).
        dms_task_ready_after: how long a new DMS task stays ``creating``.
        cdc_latency: how CDC latency falls once a DMS task runs.

    Attributes for tests, demos and benchmarks: ``clock``, ``sql`` (the simulated instance),
    ``dms`` (``SimulatedDms``: tasks with their CDC start position), ``lambdas``
    (``LambdaService``: every invocation), ``simulation`` (``SimulatedTime``), ``bucket``,
    ``topic_arn``, ``state_machine_arn``, ``definition`` (the ASL as deployed).
    """

    def __init__(
        self,
        *,
        clock: ManualClock | None = None,
        sql: SimulatedRdsSqlServer | None = None,
        parameters: Mapping[str, str] | None = None,
        template_path: Path = DEFAULT_TEMPLATE,
        definition_path: Path | None = None,
        stack_name: str = "bak2rds-local",
        region: str = "us-east-1",
        rds_instance_id: str = "bak2rds-target",
        dms_source_database: str | None = None,
        dms_target_database: str | None = None,
        dms_task_ready_after: timedelta = timedelta(minutes=3),
        cdc_latency: CdcLatencyProfile | None = None,
    ) -> None:
        self.parameters = dict(parameters or {})
        given = sorted(RUNTIME_PARAMETERS & set(self.parameters))
        if given:
            raise ValueError(f"the runtime sets {given} to the resources it creates")
        self.clock = clock or ManualClock()
        self.sql = sql or SimulatedRdsSqlServer(clock=self.clock.now)
        self.template = SamTemplate.load(template_path)
        self.definition_path = definition_path
        self.stack_name = stack_name
        self.region = region
        self.rds_instance_id = rds_instance_id
        self.dms_databases = (dms_source_database, dms_target_database)
        self.simulation = SimulatedTime(self.clock)
        self.dms = SimulatedDms(
            self.clock, ACCOUNT_ID, region, ready_after=dms_task_ready_after, latency=cdc_latency
        )
        self.lambdas = LambdaService(before_each_call=_fresh_container_settings)
        self.resolver: Resolver | None = None
        self.state_machine_arn = ""
        self.definition = ""
        self.bucket = ""
        self.topic_arn = ""
        self.rds_endpoint = ("", 0)
        self.skipped_resources: list[str] = []
        self._rules: list[_DeployedRule] = []
        self._stack: contextlib.ExitStack | None = None
        self._role_arn = ""
        self._sequence = 0
        self._http_apis: dict[str, HttpApiRoutes] = {}  # by logical id

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> LocalRuntime:
        if self._stack is not None:
            raise RuntimeError("the runtime is already started")
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(self._layers_on_path())
            stack.enter_context(mock_aws(config=MOTO_CONFIG))
            stack.enter_context(patched_interpreter(self.clock, self.simulation))
            stack.enter_context(self.dms.installed())
            bak2rds_clock = importlib.import_module("bak2rds.clock")
            stack.enter_context(mock.patch.object(bak2rds_clock, "utcnow", self.clock.now))
            stack.enter_context(mock.patch.object(pymssql, "connect", self._connect_sql))
            stack.enter_context(mock.patch.object(LambdaFunction, "invoke", self._lambda_invoke()))
            _fresh_process_caches()
            self._deploy()
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return self

    def close(self) -> None:
        """Stop what still runs, release parked interpreter threads, undo every patch."""
        if self._stack is None:
            return
        try:
            sfn = self._client("stepfunctions")
            for execution in self._list_executions():
                if execution["status"] == "RUNNING":
                    sfn.stop_execution(executionArn=execution["executionArn"])
        finally:
            self.simulation.close()
            self.simulation.wait_until_idle(timeout_seconds=5.0)
            self._stack.close()
            self._stack = None

    # ------------------------------------------------------------------ driving
    def upload(
        self,
        key: str,
        backup: BackupInS3 | None = None,
        body: bytes | BackupImage | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Upload:
        """Put an object into the staging bucket and register what RDS will find in it.

        ``backup`` is what the simulated instance restores from that S3 ARN (by default a
        full backup of the database named by the key, with DESIGN.md's example LSNs).
        ``body`` is the object: by default a backup whose header says what ``backup`` does;
        a BackupImage for another header; bytes for anything else.
        """
        if backup is None:
            backup = samples.backup_in_s3(_stem(key))
        if body is None:
            body = BackupImage(
                database_name=backup.database_name,
                first_lsn=Lsn.from_numeric(backup.first_lsn),
                checkpoint_lsn=Lsn.from_numeric(backup.checkpoint_lsn),
                last_lsn=Lsn.from_numeric(backup.last_lsn),
            )
        content = body.to_bytes() if isinstance(body, BackupImage) else body
        response = self._client("s3").put_object(
            Bucket=self.bucket, Key=key, Body=content, Metadata=dict(metadata or {})
        )
        version_id = str(response.get("VersionId") or "")
        etag = str(response["ETag"]).strip('"')
        s3_arn = f"arn:{self._pseudo().partition}:s3:::{self.bucket}/{key}"
        self.sql.add_backup(s3_arn, backup)
        event = self.object_created_event(key, len(content), etag, version_id)
        return Upload(self.bucket, key, version_id, etag, len(content), s3_arn, backup, event)

    def object_created_event(
        self, key: str, size: int, etag: str, version_id: str = ""
    ) -> dict[str, Any]:
        """The EventBridge event S3 sends for a new object (key URL-encoded as S3 does)."""
        self._sequence += 1
        detail_object: dict[str, Any] = {
            "key": quote_plus(key, safe="/"),
            "size": size,
            "etag": etag,
            **({"version-id": version_id} if version_id else {}),
            "sequencer": f"{self._sequence:016X}",  # grows with each event, as S3's does
        }
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": ACCOUNT_ID,
            "time": self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:{self._pseudo().partition}:s3:::{self.bucket}"],
            "detail": {
                "version": "0",
                "bucket": {"name": self.bucket},
                "object": detail_object,
                "request-id": uuid.uuid4().hex[:16].upper(),
                "requester": ACCOUNT_ID,
                "source-ip-address": "203.0.113.10",
                "reason": "PutObject",
            },
        }

    def deliver(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        """EventBridge: invoke the target of every rule of the template the event matches.

        Returns the targets' responses (``StartMigrationFunction``: execution name and ARN,
        and whether the event was a known duplicate). A target error raises
        ``DeliveryFailed``.
        """
        payload = json.dumps(event)
        responses = []
        for rule in self._rules:
            if not rule.pattern.matches_event(dict(event)):
                continue
            function = self.lambdas.by_logical_id(rule.function)
            response = self._client("lambda").invoke(
                FunctionName=function.arn, Payload=payload.encode()
            )
            body = json.loads(response["Payload"].read())
            if response.get("FunctionError"):
                raise DeliveryFailed(f"{rule.function} ({rule.event_name}) failed: {body}")
            responses.append(body)
        return responses

    def start_migration(self, key: str, backup: BackupInS3 | None = None) -> str:
        """Upload ``key`` and deliver its event; returns the execution ARN."""
        (response,) = self.deliver(self.upload(key, backup).event)
        return str(response["execution_arn"])

    def run_until_done(
        self, timeout_seconds: float = 60.0, let_approvals_expire: bool = False
    ) -> list[ExecutionResult]:
        """Move simulated time until no execution runs, or every one left waits for an
        approval (unless ``let_approvals_expire``: then time runs on to their timeouts);
        returns every execution."""
        self.simulation.run(timeout_seconds=timeout_seconds, expire_callbacks=let_approvals_expire)
        return self.executions()

    def advance(self, seconds: float, timeout_seconds: float = 60.0) -> None:
        """Let ``seconds`` of simulated time pass, executions running as they would (an
        approval left waiting meanwhile expires only if its timeout falls in that time)."""
        until = self.clock.now() + timedelta(seconds=seconds)
        self.simulation.run(timeout_seconds=timeout_seconds, until_time=until)
        if self.clock.now() < until:  # nothing ran or was parked: time just passes
            self.clock.advance((until - self.clock.now()).total_seconds())

    @property
    def waiting_for_approval(self) -> int:
        """Executions parked in the approval task right now."""
        return self.simulation.waiting_for_callbacks

    def approval_emails(self) -> list[ApprovalEmail]:
        """The cutover approval e-mails sent so far, with their approve and reject links."""
        return approval_emails(self.notifications())

    def approval_http(
        self,
        method: str,
        url: str,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        source_ip: str = "198.51.100.7",
    ) -> HttpResponse:
        """A request to the approval API (a link of the e-mail, or a path), answered by the
        real handler in-process; ``form`` is sent as a form post's body."""
        body = urlencode(dict(form)).encode() if form is not None else b""
        all_headers = dict(headers or {})
        if form is not None:
            all_headers.setdefault("content-type", "application/x-www-form-urlencoded")
        return self._approval_api().request(method, url, body, all_headers, source_ip)

    @contextlib.contextmanager
    def serve_approvals(self, port: int = 0) -> Iterator[ApprovalServer]:
        """Serve the approval API on http://127.0.0.1:<port> (0: any free port)."""
        with serving(self._approval_api(), port) as server:
            yield server

    def local_approval_url(self, link: str) -> str:
        """An e-mail link, pointed at the server of ``serve_approvals``."""
        return self._approval_api().local_url(link)

    def run_until(self, condition: Callable[[], bool], timeout_seconds: float = 60.0) -> None:
        """Move simulated time until ``condition()`` holds while every execution waits
        (or none is left). The world can then be inspected or changed before going on."""
        self.simulation.run(until=condition, timeout_seconds=timeout_seconds)

    # ------------------------------------------------------------------ observing
    def executions(self) -> list[ExecutionResult]:
        """Every execution of the state machine, oldest first."""
        listed = sorted(self._list_executions(), key=lambda e: e["startDate"])
        return [self.execution(item["executionArn"]) for item in listed]

    def execution(self, arn: str) -> ExecutionResult:
        sfn = self._client("stepfunctions")
        described = sfn.describe_execution(executionArn=arn)
        history: list[dict[str, Any]] = []
        pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
        for page in pages:
            history.extend(page["events"])
        output = described.get("output")
        return ExecutionResult(
            arn=arn,
            name=str(described["name"]),
            status=str(described["status"]),
            error=described.get("error"),
            cause=described.get("cause"),
            input=json.loads(described.get("input") or "null"),
            output=json.loads(output) if output else None,
            started_at=described["startDate"],
            stopped_at=described.get("stopDate"),
            history=history,
        )

    def notifications(self, topic_logical_id: str = "NotificationTopic") -> list[Notification]:
        """Messages published to the topic, oldest first (read from moto's SNS backend)."""
        topic_arn = self._require_resolver().resolve({"Ref": topic_logical_id})
        topic = sns_backends[ACCOUNT_ID][self.region].topics[topic_arn]
        return [
            Notification(
                message_id=message_id,
                subject=subject or "",
                message=message,
                attributes={
                    name: str(value.get("StringValue", value.get("Value", "")))
                    for name, value in (attributes or {}).items()
                },
            )
            for message_id, message, subject, attributes, _group in topic.sent_notifications
        ]

    def function(self, logical_id: str) -> LocalFunction:
        return self.lambdas.by_logical_id(logical_id)

    def parameter(self, name: str) -> Any:
        """A stack parameter's value as deployed (a list for list types)."""
        return self._require_resolver().parameters[name]

    @property
    def now(self) -> datetime:
        return self.clock.now()

    # ------------------------------------------------------------------ deployment
    def _deploy(self) -> None:
        self._create_role()
        secret_arn = self._create_master_secret()
        self._create_rds_instance()
        instance_arn, source_arn, target_arn = self._create_dms_resources()
        parameters = {
            **self.parameters,
            "RdsInstanceIdentifier": self.rds_instance_id,
            "RdsMasterUserSecretArn": secret_arn,
            "DmsReplicationInstanceArn": instance_arn,
            "DmsSourceEndpointArn": source_arn,
            "DmsTargetEndpointArn": target_arn,
        }
        resolver = self.resolver = Resolver(self.template, parameters, self._pseudo())
        machines: list[str] = []
        creators: dict[str, Callable[[str], None]] = {
            "AWS::S3::Bucket": self._create_bucket,
            "AWS::SNS::Topic": self._create_topic,
            "AWS::SQS::Queue": self._create_queue,
            "AWS::DynamoDB::Table": self._create_table,
            "AWS::SecretsManager::Secret": self._create_generated_secret,
            "AWS::Serverless::HttpApi": self._create_http_api,
            SERVERLESS_FUNCTION: self._create_function_resource,
            SERVERLESS_STATE_MACHINE: machines.append,  # created once the functions exist
        }
        for logical_id, resource in self.template.resources.items():
            if not resolver.is_created(logical_id):
                continue
            create = creators.get(str(resource.get("Type")))
            if create is None:
                self.skipped_resources.append(logical_id)
            else:
                create(logical_id)
        bucket_name = self.parameters.get("StagingBucketName", "")
        if bucket_name:  # an existing bucket the operator owns
            self._make_bucket(bucket_name, versioned=True)
        self.bucket = str(
            resolver.resolve(self.template.document["Outputs"]["StagingBucketName"]["Value"])
        )
        for logical_id in machines:
            self._create_state_machine(logical_id)
        self._create_local_functions()
        self.topic_arn = str(resolver.resolve({"Ref": "NotificationTopic"}))

    def _pseudo(self) -> Pseudo:
        return Pseudo(region=self.region, account_id=ACCOUNT_ID, stack_name=self.stack_name)

    def _physical_name(self, logical_id: str, limit: int = 64) -> str:
        return f"{self.stack_name}-{logical_id}"[:limit]

    def _create_role(self) -> None:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = self._client("iam").create_role(
            RoleName=self._physical_name("ExecutionRole"),
            AssumeRolePolicyDocument=json.dumps(trust),
        )
        self._role_arn = str(role["Role"]["Arn"])

    def _create_master_secret(self) -> str:
        secret = self._client("secretsmanager").create_secret(
            Name=f"{self.stack_name}/rds-master-user",
            SecretString=json.dumps({"username": self.sql.username, "password": self.sql.password}),
        )
        return str(secret["ARN"])

    def _create_rds_instance(self) -> None:
        self.rds_endpoint = create_target(
            self._client("rds"), self.rds_instance_id, self.sql.username, self.sql.password
        )

    def _create_dms_resources(self) -> tuple[str, str, str]:
        dms = self._client("dms")
        instance = dms.create_replication_instance(
            ReplicationInstanceIdentifier=self._physical_name("cdc", limit=63).lower(),
            ReplicationInstanceClass="dms.r5.large",
        )["ReplicationInstance"]
        instance_arn = self._with_resource_id(str(instance["ReplicationInstanceArn"]))
        arns = []
        for role, server, port, database in (
            ("source", "onprem-sql.example.internal", 1433, self.dms_databases[0]),
            ("target", *self.rds_endpoint, self.dms_databases[1]),
        ):
            arguments: dict[str, Any] = {
                "EndpointIdentifier": self._physical_name(role, limit=63).lower(),
                "EndpointType": role,
                "EngineName": "sqlserver",
                "ServerName": server,
                "Port": port,
                "Username": self.sql.username,
                "Password": self.sql.password,
            }
            if database is not None:
                arguments["DatabaseName"] = database
            endpoint = dms.create_endpoint(**arguments)["Endpoint"]
            arns.append(str(endpoint["EndpointArn"]))
        backend = dms_backends[ACCOUNT_ID][self.region]
        for endpoint in backend.endpoints.values():
            endpoint.status = "active"
        return instance_arn, arns[0], arns[1]

    def _with_resource_id(self, instance_arn: str) -> str:
        """moto names a replication instance ARN after its identifier; DMS uses a resource id."""
        backend = dms_backends[ACCOUNT_ID][self.region]
        instance = backend.replication_instances.pop(instance_arn)
        instance.arn = f"{instance_arn.rsplit(':', 1)[0]}:{resource_id()}"
        backend.replication_instances[instance.arn] = instance
        return str(instance.arn)

    def _make_bucket(self, name: str, versioned: bool) -> None:
        s3 = self._client("s3")
        s3.create_bucket(Bucket=name)
        if versioned:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})

    def _create_bucket(self, logical_id: str) -> None:
        properties = self.template.properties(logical_id)
        name = self._physical_name(logical_id, limit=63).lower()
        versioning = (properties.get("VersioningConfiguration") or {}).get("Status")
        self._make_bucket(name, versioned=versioning == "Enabled")
        arn = f"arn:{self._pseudo().partition}:s3:::{name}"
        self._require_resolver().provide(logical_id, name, Arn=arn, BucketName=name)

    def _create_topic(self, logical_id: str) -> None:
        resolver = self._require_resolver()
        properties = resolver.resolve(dict(self.template.properties(logical_id)))
        attributes = {
            key: str(properties[key])
            for key in ("DisplayName", "KmsMasterKeyId")
            if key in properties
        }
        name = self._physical_name(logical_id, limit=256)
        arn = str(self._client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"])
        resolver.provide(logical_id, arn, TopicArn=arn, TopicName=name)

    def _create_queue(self, logical_id: str) -> None:
        sqs = self._client("sqs")
        name = self._physical_name(logical_id, limit=80)
        url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
        arn = f"arn:{self._pseudo().partition}:sqs:{self.region}:{ACCOUNT_ID}:{name}"
        self._require_resolver().provide(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)

    def _create_table(self, logical_id: str) -> None:
        resolver = self._require_resolver()
        properties = resolver.resolve(dict(self.template.properties(logical_id)))
        name = self._physical_name(logical_id, limit=255)
        dynamodb = self._client("dynamodb")
        table = dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=properties["AttributeDefinitions"],
            KeySchema=properties["KeySchema"],
            BillingMode=properties.get("BillingMode", "PAY_PER_REQUEST"),
        )["TableDescription"]
        ttl = properties.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        resolver.provide(logical_id, name, Arn=str(table["TableArn"]))

    def _create_generated_secret(self, logical_id: str) -> None:
        """A secret with ``GenerateSecretString``: a random value as CloudFormation makes."""
        properties = self.template.properties(logical_id)
        generate = properties.get("GenerateSecretString")
        if not isinstance(generate, dict) or "SecretStringTemplate" in generate:
            raise TemplateError(f"{logical_id}: only a plain GenerateSecretString is supported")
        length = int(generate.get("PasswordLength", 32))
        alphabet = string.ascii_letters + string.digits
        if not generate.get("ExcludePunctuation"):
            alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        arn = str(
            self._client("secretsmanager").create_secret(
                Name=self._physical_name(logical_id, limit=256), SecretString=value
            )["ARN"]
        )
        self._require_resolver().provide(logical_id, arn, Id=arn)

    def _create_http_api(self, logical_id: str) -> None:
        api_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))
        host = f"{api_id}.execute-api.{self.region}.amazonaws.com"
        self._require_resolver().provide(logical_id, api_id, ApiEndpoint=f"https://{host}")
        self._http_apis[logical_id] = HttpApiRoutes(
            api_id, host, [], self._invoke_for_api, self.clock.now
        )

    def _invoke_for_api(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """API Gateway invokes the function synchronously and reads its response."""
        function = self.lambdas.by_logical_id(logical_id)
        response = self._client("lambda").invoke(
            FunctionName=function.arn, Payload=json.dumps(event).encode()
        )
        body = json.loads(response["Payload"].read())
        if response.get("FunctionError"):  # API Gateway answers 500 for a failed function
            return {"statusCode": 500, "body": '{"message":"Internal Server Error"}'}
        return dict(body)

    def _approval_api(self) -> HttpApiRoutes:
        if len(self._http_apis) != 1:
            raise RuntimeError(
                f"expected one HTTP API in the template, found {len(self._http_apis)}"
            )
        return next(iter(self._http_apis.values()))

    def _create_function_resource(self, logical_id: str) -> None:
        spec = next(s for s in self.template.functions() if s.logical_id == logical_id)
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:  # moto wants a package; the code runs locally
            archive.writestr(spec.handler_file, "# runs in-process, see localrun.lambdas\n")
        created = self._client("lambda").create_function(
            FunctionName=self._physical_name(logical_id),
            Runtime=spec.runtime or "python3.13",
            Role=self._role_arn,
            Handler=spec.handler,
            Code={"ZipFile": code.getvalue()},
            MemorySize=spec.memory_size,
            Timeout=spec.timeout,
        )
        name, arn = str(created["FunctionName"]), str(created["FunctionArn"])
        self._require_resolver().provide(logical_id, name, Arn=arn)

    def _create_state_machine(self, logical_id: str) -> None:
        resolver = self._require_resolver()
        spec = self.template.state_machine(logical_id)
        path = self.definition_path or self.template.root / spec.definition_uri
        self.definition = resolver.substitute_definition(
            path.read_text(encoding="utf-8"), spec.substitutions
        )
        name = resolver.resolve(self.template.properties(logical_id).get("Name"))
        created = self._client("stepfunctions").create_state_machine(
            name=str(name) if name else self._physical_name(logical_id, limit=80),
            definition=self.definition,
            roleArn=self._role_arn,
            type=spec.type,
        )
        arn = str(created["stateMachineArn"])
        resolver.provide(logical_id, arn, Arn=arn, Name=arn.rsplit(":", 1)[-1])
        self.state_machine_arn = arn

    def _create_local_functions(self) -> None:
        resolver = self._require_resolver()
        specs = [s for s in self.template.functions() if resolver.is_created(s.logical_id)]
        environments = {
            spec.logical_id: {
                name: resolver.resolve_string(value, f"{spec.logical_id} {name}")
                for name, value in spec.environment.items()
            }
            for spec in specs
        }
        every_variable = frozenset(name for env in environments.values() for name in env)
        for spec in specs:
            self.lambdas.add(
                LocalFunction(
                    spec=spec,
                    code_root=self.template.root,
                    name=str(resolver.resolve({"Ref": spec.logical_id})),
                    arn=str(resolver.resolve({"Fn::GetAtt": [spec.logical_id, "Arn"]})),
                    region=self.region,
                    environment=environments[spec.logical_id],
                    foreign_variables=every_variable,
                )
            )
            for event_name, event in spec.events.items():
                if event.get("Type") == "HttpApi":
                    self._add_route(spec.logical_id, event["Properties"])
                if event.get("Type") != "EventBridgeRule":
                    continue
                pattern = resolver.resolve(event["Properties"]["Pattern"])
                self._rules.append(
                    _DeployedRule(
                        spec.logical_id, event_name, EventPattern.load(json.dumps(pattern))
                    )
                )

    def _add_route(self, function: str, properties: Mapping[str, Any]) -> None:
        api = self._require_resolver().resolve(properties.get("ApiId"))
        routes = next((r for r in self._http_apis.values() if r.api_id == api), None)
        if routes is None:
            raise TemplateError(f"{function}: HttpApi event of an API the runtime did not create")
        routes.routes.append(Route(str(properties["Method"]).upper(), properties["Path"], function))

    @contextlib.contextmanager
    def _layers_on_path(self) -> Iterator[None]:
        """Lambda mounts a Python layer's content on the import path; so does the runtime."""
        added: list[str] = []
        for spec in self.template.functions():
            for layer in spec.layers:
                logical_id = layer.get("Ref") if isinstance(layer, dict) else None
                content_uri = self.template.layer_content_uri(str(logical_id))
                if content_uri is None:
                    raise TemplateError(f"{spec.logical_id}: layer {layer!r} has no local content")
                folder = str((self.template.root / content_uri).resolve())
                if folder not in sys.path:
                    sys.path.insert(0, folder)
                    added.append(folder)
        try:
            yield
        finally:
            for folder in added:
                sys.path.remove(folder)

    # ------------------------------------------------------------------ stand-ins
    def _lambda_invoke(self) -> Callable[..., bytes]:
        """``LambdaFunction.invoke`` for moto: the project's functions run in-process."""
        original: Any = LambdaFunction.invoke
        functions = self.lambdas

        def invoke(
            function: Any, body: str, request_headers: Any, response_headers: dict[str, str]
        ) -> bytes:
            if function.function_name not in functions.functions:
                payload = original(function, body, request_headers, response_headers)
                return payload if isinstance(payload, bytes) else str(payload).encode()
            return functions.invoke(function.function_name, body, response_headers)

        return invoke

    def _connect_sql(self, *args: Any, **kwargs: Any) -> Any:
        """``pymssql.connect``: the simulated instance answers on the RDS endpoint only."""
        server, port = kwargs.get("server"), str(kwargs.get("port", "1433"))
        if args or (server, port) != (self.rds_endpoint[0], str(self.rds_endpoint[1])):
            message = (
                "DB-Lib error message 20009, severity 9:\nUnable to connect: Adaptive Server is "
                f"unavailable or does not exist ({server})\n"
            )
            raise pymssql.exceptions.OperationalError((20009, message.encode()))
        return self.sql.connect(**kwargs)

    # ------------------------------------------------------------------ helpers
    def _client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.region)  # type: ignore[call-overload]

    def _require_resolver(self) -> Resolver:
        if self.resolver is None:
            raise RuntimeError("the runtime is not started")
        return self.resolver

    def _list_executions(self) -> list[dict[str, Any]]:
        if not self.state_machine_arn:
            return []
        pages = (
            self._client("stepfunctions")
            .get_paginator("list_executions")
            .paginate(stateMachineArn=self.state_machine_arn)
        )
        return [item for page in pages for item in page["executions"]]


def _fresh_process_caches() -> None:
    """A new deployment: no boto3 client, setting or secret cached from an earlier one."""
    importlib.import_module("bak2rds.adapters.aws").reset_clients()
    importlib.import_module("aws_lambda_powertools.utilities.parameters").clear_caches()
    _fresh_container_settings()


def _fresh_container_settings() -> None:
    """Each function has a container of its own in AWS: settings are never shared."""
    importlib.import_module("bak2rds.config").clear_cache()


def _stem(key: str) -> str:
    file_name = key.rsplit("/", 1)[-1]
    return file_name[: -len(".bak")] if file_name.lower().endswith(".bak") else file_name


__all__ = [
    "INTERPRETER_DIFFERENCES",
    "BackupInS3",
    "CdcLatencyProfile",
    "DeliveryFailed",
    "ExecutionResult",
    "LocalRuntime",
    "ManualClock",
    "Notification",
    "SimulatedRdsSqlServer",
    "StateVisit",
    "Upload",
]

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
  stand-ins of ``localrun.dms`` and ``localrun.dmsconnections`` where moto falls short.
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
import json
import re
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from unittest import mock
from urllib.parse import quote_plus, urlencode

import pymssql
from moto import mock_aws
from moto.awslambda.models import LambdaFunction
from moto.dms.models import dms_backends
from moto.sns.models import sns_backends

from bak2rds.backupfile import CompressedBackup, NotASqlServerBackup, read_backup_header
from bak2rds.lsn import Lsn
from localrun import samples
from localrun.approvals import (
    ApprovalEmail,
    ApprovalServer,
    HttpResponse,
    approval_emails,
    serving,
)
from localrun.backupimage import BackupImage
from localrun.clock import ManualClock
from localrun.deploy import (
    ACCOUNT_ID,
    RUNTIME_PARAMETERS,
    SOURCE_LOGIN,
    SOURCE_SERVER,
    Deployment,
    client,
)
from localrun.dms import CdcLatencyProfile, SimulatedDms
from localrun.dmsconnections import SimulatedDmsConnections
from localrun.events import aws_event
from localrun.interpreter import INTERPRETER_DIFFERENCES, MOTO_CONFIG, patched_interpreter
from localrun.lambdas import LambdaService, LocalFunction
from localrun.results import DeliveryFailed, ExecutionResult, Notification, StateVisit, Upload
from localrun.simtime import SimulatedTime
from localrun.sqlserver import BackupInS3, SimulatedRdsSqlServer, unreadable_file
from localrun.template import (
    SamTemplate,
    TemplateError,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# How DMS's LastFailureMessage for a SQL Server endpoint begins (an illustration of its form).
DMS_TEST_FAILED = (
    "Test Endpoint failed: Application-Status: 1020912, Application-Message: Failed to connect, "
    "Application-Detailed-Message: [Microsoft][ODBC Driver 18 for SQL Server]"
)
DEFAULT_TEMPLATE = PROJECT_ROOT / "template.yaml"


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
        dms_task_ready_after: how long a new DMS task stays ``creating``.
        cdc_latency: how CDC latency falls once a DMS task runs.

    Attributes for tests, demos and benchmarks: ``clock``, ``sql`` (the simulated instance),
    ``dms`` (``SimulatedDms``: tasks with their CDC start position), ``dms_connections``
    (``SimulatedDmsConnections``: endpoint connection tests and deletions), ``lambdas``
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
        dms_task_ready_after: timedelta = timedelta(minutes=3),
        cdc_latency: CdcLatencyProfile | None = None,
    ) -> None:
        given = sorted(RUNTIME_PARAMETERS & set(parameters or {}))
        if given:
            raise ValueError(f"the runtime sets {given} to the resources it creates")
        self.clock = clock or ManualClock()
        self.sql = sql or SimulatedRdsSqlServer(clock=self.clock.now)
        self.template = SamTemplate.load(template_path)
        self.region = region
        self.simulation = SimulatedTime(self.clock)
        self.dms = SimulatedDms(
            self.clock,
            ACCOUNT_ID,
            region,
            ready_after=dms_task_ready_after,
            latency=cdc_latency,
            tables_of=self._tables_of,
            start_refusal=self._start_refusal,
        )
        self.dms_connections = SimulatedDmsConnections(
            self.clock, ACCOUNT_ID, region, reach=self._dms_reaches
        )
        # Databases on the simulated source server: every uploaded backup's own database.
        self.source_databases: dict[str, SourceDatabase] = {}
        self.lambdas = LambdaService(before_each_call=_fresh_container_settings)
        self.deployment = Deployment(
            template=self.template,
            parameters=parameters or {},
            definition_path=definition_path,
            stack_name=stack_name,
            region=region,
            rds_instance_id=rds_instance_id,
            clock=self.clock,
            sql=self.sql,
            lambdas=self.lambdas,
        )
        self._stack: contextlib.ExitStack | None = None
        self._sequence = 0
        self._executions_ended_seen = 0
        # Announcements (EventBridge events) whose target failed every attempt
        self.failed_deliveries: list[str] = []
        self._announced_executions: set[str] = set()

    # ------------------------------------------------------------------ what was deployed
    @property
    def bucket(self) -> str:
        return self.deployment.bucket

    @property
    def topic_arn(self) -> str:
        return self.deployment.topic_arn

    @property
    def state_machine_arn(self) -> str:
        return self.deployment.state_machine_arn

    @property
    def definition(self) -> str:
        """The ASL as deployed, every substitution resolved."""
        return self.deployment.definition

    @property
    def rds_instance_id(self) -> str:
        return self.deployment.rds_instance_id

    @property
    def rds_endpoint(self) -> tuple[str, int]:
        return self.deployment.rds_endpoint

    @property
    def skipped_resources(self) -> list[str]:
        return self.deployment.skipped_resources

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
            stack.enter_context(self.dms_connections.installed())
            bak2rds_clock = importlib.import_module("bak2rds.clock")
            stack.enter_context(mock.patch.object(bak2rds_clock, "utcnow", self.clock.now))
            stack.enter_context(mock.patch.object(pymssql, "connect", self._connect_sql))
            stack.enter_context(mock.patch.object(LambdaFunction, "invoke", self._lambda_invoke()))
            _fresh_process_caches()
            self.deployment.deploy()
            self.sql.objects_under = self._objects_under
            self.simulation.on_parked = self._deliver_announcements
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
            sfn = client(self.region, "stepfunctions")
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

        ``body`` is the object: real backup bytes (``../shared/backups``), a BackupImage, or
        anything else. ``backup`` is what the simulated instance restores from that S3 ARN;
        by default what the body's own header says (database, LSNs, type, base, stripes), and
        for a body that is not a readable backup (or no body) a full backup of the database
        named by the key with docs/design.md's example LSNs. Without a body, the object is a
        backup whose header says what ``backup`` does.
        """
        content = body.to_bytes() if isinstance(body, BackupImage) else body
        s3_arn = f"arn:{self.deployment.pseudo().partition}:s3:::{self.bucket}/{key}"
        if backup is None and content is not None:
            try:
                backup = BackupInS3.from_header(read_backup_header(content))
            except CompressedBackup:
                pass  # RDS restores it; its header is not read here: the default backup
            except NotASqlServerBackup:
                backup = unreadable_file(s3_arn)
        if backup is None:
            backup = samples.backup_in_s3(_stem(key) or samples.DATABASE)
        if content is None:
            content = _image_of(backup).to_bytes()
        response = client(self.region, "s3").put_object(
            Bucket=self.bucket, Key=key, Body=content, Metadata=dict(metadata or {})
        )
        version_id = str(response.get("VersionId") or "")
        etag = str(response["ETag"]).strip('"')
        self.sql.add_backup(s3_arn, backup)
        self.source_databases.setdefault(backup.database_name, SourceDatabase())
        event = self.object_created_event(key, len(content), etag, version_id)
        return Upload(self.bucket, key, version_id, etag, len(content), s3_arn, backup, event)

    def _objects_under(self, prefix_arn: str) -> list[str]:
        """What RDS finds under an ``arn:...:s3:::bucket/prefix`` now: the bucket's keys."""
        bucket, _, prefix = prefix_arn.split(":::", 1)[-1].partition("/")
        pages = client(self.region, "s3").get_paginator("list_objects_v2")
        partition = self.deployment.pseudo().partition
        return [
            f"arn:{partition}:s3:::{bucket}/{entry['Key']}"
            for page in pages.paginate(Bucket=bucket, Prefix=prefix)
            for entry in page.get("Contents", [])
        ]

    def _dms_reaches(self, endpoint: Any) -> str | None:
        """Why DMS could not connect to ``endpoint`` now (None: it can), as its connection
        test finds out: it reads the endpoint's secret with the access role and logs in to
        the secret's host and port, into the endpoint's database."""
        settings = endpoint.microsoft_sql_server_settings or {}
        secret_id = settings.get("SecretsManagerSecretId")
        if not secret_id or not settings.get("SecretsManagerAccessRoleArn"):
            return f"{DMS_TEST_FAILED} no credentials: the endpoint names no secret"
        try:
            text = client(self.region, "secretsmanager").get_secret_value(SecretId=secret_id)
            secret = json.loads(text["SecretString"])
        except Exception as error:  # DMS reports any failure to read the secret alike
            return f"{DMS_TEST_FAILED} could not read secret {secret_id}: {error}"
        missing = [k for k in ("username", "password", "host", "port") if k not in secret]
        if missing:
            return f"{DMS_TEST_FAILED} the secret has no {', '.join(missing)}"
        database = str(settings.get("DatabaseName") or endpoint.database_name or "")
        address = (str(secret["host"]), int(secret["port"]))
        login = (str(secret["username"]), str(secret["password"]))
        if endpoint.endpoint_type == "target":
            server, expected, exists = (
                self.rds_endpoint,
                (self.sql.username, self.sql.password),
                (self.sql.database_exists(database)),
            )
        else:
            server, expected = SOURCE_SERVER, SOURCE_LOGIN
            exists = self._source_database(database) is not None
        if address != server:
            return f"{DMS_TEST_FAILED} TCP Provider: Error code 0x102 ({address[0]}:{address[1]})"
        if login != expected:
            return f"{DMS_TEST_FAILED} Login failed for user '{login[0]}'."
        if not exists:
            return (
                f'{DMS_TEST_FAILED} Cannot open database "{database}" requested by the login. '
                "The login failed."
            )
        return None

    def _source_database(self, name: str) -> SourceDatabase | None:
        return next(
            (v for k, v in self.source_databases.items() if k.lower() == name.lower()), None
        )

    def _endpoint_database(self, endpoint_arn: str) -> str:
        endpoints = dms_backends[ACCOUNT_ID][self.region].endpoints.values()  # by identifier
        endpoint = next((e for e in endpoints if e.endpoint_arn == endpoint_arn), None)
        settings = (endpoint.microsoft_sql_server_settings or {}) if endpoint else {}
        return str(settings.get("DatabaseName") or getattr(endpoint, "database_name", "") or "")

    def _tables_of(self, task: Any) -> list[tuple[str, str]]:
        """The target database's tables the task's mappings select, as DMS lists them."""
        database = self._endpoint_database(task.target_endpoint_arn)
        if database.lower() not in self.sql.catalogues:
            return []
        selected = selected_by(str(task.table_mappings))
        return [(t.schema, t.name) for t in self.sql.tables(database) if selected(t.schema, t.name)]

    def _start_refusal(self, task: Any, position: str | None) -> str | None:
        """Why DMS's capture from the source cannot start at ``position`` (None: it can)."""
        source = self._source_database(self._endpoint_database(task.source_endpoint_arn))
        if source is None or position is None:
            return None
        if not source.published:
            return (
                "[SOURCE_CAPTURE ]E: Table is not part of a publication: a CDC native start "
                "point needs an MS-Replication publication on every table of the task "
                "(simulated text)"
            )
        oldest = source.log_available_from
        if oldest is not None and Lsn.parse(position).to_numeric() < oldest:
            return (
                f"[SOURCE_CAPTURE ]E: Failed to access LSN '{position}' in the backup log sets "
                "since BACKUP/LOG-s are not available. [1020465] (sqlserver_endpoint_capture.c:764)"
            )
        return None

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
        return aws_event(
            "Object Created",
            "aws.s3",
            account=ACCOUNT_ID,
            region=self.region,
            time=self.clock.now(),
            resources=[f"arn:{self.deployment.pseudo().partition}:s3:::{self.bucket}"],
            detail={
                "version": "0",
                "bucket": {"name": self.bucket},
                "object": detail_object,
                "request-id": uuid.uuid4().hex[:16].upper(),
                "requester": ACCOUNT_ID,
                "source-ip-address": "203.0.113.10",
                "reason": "PutObject",
            },
        )

    def deliver(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        """EventBridge: invoke the target of every rule of the template the event matches.

        Returns the targets' responses (``StartMigrationFunction``: execution name and ARN,
        and whether the event was a known duplicate). A target that fails is invoked again
        as Lambda retries an asynchronous event (the function's MaximumRetryAttempts, without
        the minutes Lambda waits in between); failing every time raises ``DeliveryFailed``.
        """
        payload = json.dumps(event)
        responses = []
        for rule in self.deployment.rules:
            if not rule.pattern.matches_event(dict(event)):
                continue
            function = self.lambdas.by_logical_id(rule.function)
            for attempt in range(1 + rule.retries):  # Lambda's retries of an async event
                response = client(self.region, "lambda").invoke(
                    FunctionName=function.arn, Payload=payload.encode()
                )
                body = json.loads(response["Payload"].read())
                if not response.get("FunctionError"):
                    break
                if attempt == rule.retries:
                    raise DeliveryFailed(f"{rule.function} ({rule.event_name}) failed: {body}")
            responses.append(body)
        return responses

    def _deliver_announcements(self) -> None:
        """What AWS announces on EventBridge, delivered to the template's rules while every
        execution is parked, so at the simulated second it happened: DMS task state changes
        (``SimulatedDms.take_events``) and executions that ended."""
        events = self.dms.take_events()
        if self.simulation.executions_ended != self._executions_ended_seen:
            self._executions_ended_seen = self.simulation.executions_ended
            events += self._execution_status_events()
        for event in events:
            try:
                self.deliver(event)
            except DeliveryFailed as lost:  # Lambda gave up: in AWS the alerts-not-sent alarm
                self.failed_deliveries.append(str(lost))

    def _execution_status_events(self) -> list[dict[str, Any]]:
        """Step Functions' "Step Functions Execution Status Change" event for each execution
        that ended since the last look (Step Functions user guide, "Automating Step Functions
        event delivery with EventBridge"; input and output omitted, as bak2rds' rules need
        neither)."""
        sfn = client(self.region, "stepfunctions")
        events = []
        for listed in self._list_executions():
            arn = listed["executionArn"]
            if listed["status"] == "RUNNING" or arn in self._announced_executions:
                continue
            self._announced_executions.add(arn)
            described = sfn.describe_execution(executionArn=arn)
            stop = described.get("stopDate")
            detail = {
                "executionArn": arn,
                "stateMachineArn": described["stateMachineArn"],
                "name": described["name"],
                "status": described["status"],
                "startDate": int(described["startDate"].timestamp() * 1000),
                "stopDate": int(stop.timestamp() * 1000) if stop else None,
                "error": described.get("error"),
                "cause": described.get("cause"),
            }
            events.append(
                aws_event(
                    "Step Functions Execution Status Change",
                    "aws.states",
                    account=ACCOUNT_ID,
                    region=self.region,
                    time=self.clock.now(),
                    resources=[arn],
                    detail=detail,
                )
            )
        return events

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
        return self.deployment.approval_api().request(method, url, body, all_headers, source_ip)

    @contextlib.contextmanager
    def serve_approvals(self, port: int = 0) -> Iterator[ApprovalServer]:
        """Serve the approval API on http://127.0.0.1:<port> (0: any free port)."""
        with serving(self.deployment.approval_api(), port) as server:
            yield server

    def local_approval_url(self, link: str) -> str:
        """An e-mail link, pointed at the server of ``serve_approvals``."""
        return self.deployment.approval_api().local_url(link)

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
        sfn = client(self.region, "stepfunctions")
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
        topic_arn = self.deployment.require_resolver().resolve({"Ref": topic_logical_id})
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
        return self.deployment.require_resolver().parameters[name]

    @property
    def now(self) -> datetime:
        return self.clock.now()

    # ------------------------------------------------------------------ deployment
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
        if args or (server, port) != (
            self.rds_endpoint[0],
            str(self.rds_endpoint[1]),
        ):
            message = (
                "DB-Lib error message 20009, severity 9:\nUnable to connect: Adaptive Server is "
                f"unavailable or does not exist ({server})\n"
            )
            raise pymssql.exceptions.OperationalError((20009, message.encode()))
        return self.sql.connect(**kwargs)

    # ------------------------------------------------------------------ helpers
    def _list_executions(self) -> list[dict[str, Any]]:
        if not self.state_machine_arn:
            return []
        pages = (
            client(self.region, "stepfunctions")
            .get_paginator("list_executions")
            .paginate(stateMachineArn=self.state_machine_arn)
        )
        return [item for page in pages for item in page["executions"]]


@dataclass
class SourceDatabase:
    """A database on the simulated source server, as DMS's capture finds it."""

    published: bool = True  # an MS-Replication publication covers its tables
    log_available_from: int | None = None  # oldest LSN (numeric) the log still holds


def selected_by(table_mappings: str) -> Callable[[str, str], bool]:
    """DMS's selection rules (include, then exclude), names as LIKE patterns: the simulator's
    own reading, independent of bak2rds.table_scope."""
    rules = [
        r
        for r in json.loads(table_mappings or "{}").get("rules", [])
        if r.get("rule-type") == "selection"
    ]

    def like(pattern: str, name: str) -> bool:  # %, _ and [set] (no ranges)
        regex = "".join(
            ".*"
            if part == "%"
            else "."
            if part == "_"
            else "[" + re.escape(part[1:-1]) + "]"
            if part.startswith("[")
            else re.escape(part)
            for part in re.findall(r"\[[^\]]+\]|.", pattern)
        )
        return re.fullmatch(regex, name, re.IGNORECASE | re.DOTALL) is not None

    def selected(schema: str, table: str) -> bool:
        hits = [
            r["rule-action"]
            for r in rules
            if like(r["object-locator"]["schema-name"], schema)
            and like(r["object-locator"].get("table-name", "%"), table)
        ]
        return any(a in {"include", "explicit"} for a in hits) and "exclude" not in hits

    return selected


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
    "SourceDatabase",
    "StateVisit",
    "Upload",
]


def _image_of(backup: BackupInS3) -> BackupImage:
    """A backup header saying what ``backup`` is."""

    def lsn(numeric: int | None) -> Lsn | None:
        return None if not numeric else Lsn.from_numeric(numeric)

    return BackupImage(
        database_name=backup.database_name,
        first_lsn=Lsn.from_numeric(backup.first_lsn),
        checkpoint_lsn=Lsn.from_numeric(backup.checkpoint_lsn),
        last_lsn=Lsn.from_numeric(backup.last_lsn),
        backup_type="DIFFERENTIAL" if backup.backup_type == "DIFFERENTIAL" else "FULL",
        database_backup_lsn=lsn(backup.database_backup_lsn),
        database_backup_id=backup.database_backup_id,
        family_count=backup.family_count,
        family_sequence_number=backup.family_sequence_number,
        media_set_id=backup.media_set_id or uuid.uuid4(),
        backup_set_id=backup.backup_set_id or uuid.uuid4(),
    )

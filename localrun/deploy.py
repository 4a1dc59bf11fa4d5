"""``template.yaml`` deployed into moto: every resource the workflow needs, created as
CloudFormation would, and the values (ARNs, names, endpoints) the runtime then reaches them by.

Resources the template names but the workflow does not use (alarms, dashboards, log groups,
permissions) are recorded in ``skipped_resources``. Parameters naming the target instance,
its secret, the DMS replication instance and the two DMS secrets are set to resources created
here (``RUNTIME_PARAMETERS``).
"""

from __future__ import annotations

import io
import json
import secrets
import string
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.dms.models import dms_backends
from moto.events.models import EventPattern

from localrun.approvals import HttpApiRoutes, Route
from localrun.clock import ManualClock
from localrun.dms import resource_id
from localrun.lambdas import LambdaService, LocalFunction
from localrun.rdstarget import create_target
from localrun.sqlserver import SimulatedRdsSqlServer
from localrun.template import (
    SERVERLESS_FUNCTION,
    SERVERLESS_STATE_MACHINE,
    Pseudo,
    Resolver,
    SamTemplate,
    TemplateError,
)

ACCOUNT_ID = "123456789012"  # moto's default account
# Parameters that name resources the runtime creates; they cannot be given.
RUNTIME_PARAMETERS = frozenset(
    {
        "RdsInstanceIdentifier",
        "RdsMasterUserSecretArn",
        "DmsReplicationInstanceArn",
        "DmsSourceSecretArn",
        "DmsTargetSecretArn",
    }
)
# The on-premises SQL Server as the replication instance reaches it (the source secret's
# host and port); localrun.runtime's simulated servers answer DMS's connection tests there.
SOURCE_SERVER = ("onprem-sql.example.internal", 1433)
SOURCE_LOGIN = ("dms_reader", "local-source-password")


def client(region: str, service: str) -> Any:
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


@dataclass
class DeployedRule:
    function: str  # logical id
    event_name: str
    pattern: Any  # moto EventPattern
    # EventBridge invokes the function asynchronously: Lambda tries an event that fails
    # again this many times (EventInvokeConfig.MaximumRetryAttempts; Lambda's default is 2).
    retries: int = 2


class Deployment:
    """The stack's resources in moto, created by ``deploy`` inside a started runtime."""

    def __init__(
        self,
        *,
        template: SamTemplate,
        parameters: Mapping[str, str],
        definition_path: Path | None,
        stack_name: str,
        region: str,
        rds_instance_id: str,
        clock: ManualClock,
        sql: SimulatedRdsSqlServer,
        lambdas: LambdaService,
    ) -> None:
        self.template = template
        self.parameters = dict(parameters)
        self.definition_path = definition_path
        self.stack_name = stack_name
        self.region = region
        self.rds_instance_id = rds_instance_id
        self.clock = clock
        self.sql = sql
        self.lambdas = lambdas
        self.resolver: Resolver | None = None
        self.state_machine_arn = ""
        self.definition = ""
        self.bucket = ""
        self.topic_arn = ""
        self.rds_endpoint = ("", 0)
        self.skipped_resources: list[str] = []
        self.rules: list[DeployedRule] = []
        self.http_apis: dict[str, HttpApiRoutes] = {}  # by logical id
        self._role_arn = ""

    def require_resolver(self) -> Resolver:
        if self.resolver is None:
            raise RuntimeError("the runtime is not started")
        return self.resolver

    def deploy(self) -> None:
        self._create_role()
        secret_arn = self._create_master_secret()
        self._create_rds_instance()
        parameters = {
            **self.parameters,
            "RdsInstanceIdentifier": self.rds_instance_id,
            "RdsMasterUserSecretArn": secret_arn,
            "DmsReplicationInstanceArn": self._create_replication_instance(),
            **self._create_dms_secrets(),
        }
        resolver = self.resolver = Resolver(self.template, parameters, self.pseudo())
        machines: list[str] = []
        creators: dict[str, Callable[[str], None]] = {
            "AWS::S3::Bucket": self._create_bucket,
            "AWS::SNS::Topic": self._create_topic,
            "AWS::SQS::Queue": self._create_queue,
            "AWS::KMS::Key": self._create_key,
            "AWS::DynamoDB::Table": self._create_table,
            "AWS::IAM::Role": self._create_iam_role,
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

    def pseudo(self) -> Pseudo:
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
        role = client(self.region, "iam").create_role(
            RoleName=self._physical_name("ExecutionRole"),
            AssumeRolePolicyDocument=json.dumps(trust),
        )
        self._role_arn = str(role["Role"]["Arn"])

    def _create_master_secret(self) -> str:
        secret = client(self.region, "secretsmanager").create_secret(
            Name=f"{self.stack_name}/rds-master-user",
            SecretString=json.dumps({"username": self.sql.username, "password": self.sql.password}),
        )
        return str(secret["ARN"])

    def _create_rds_instance(self) -> None:
        self.rds_endpoint = create_target(
            client(self.region, "rds"), self.rds_instance_id, self.sql.username, self.sql.password
        )

    def _create_replication_instance(self) -> str:
        dms = client(self.region, "dms")
        instance = dms.create_replication_instance(
            ReplicationInstanceIdentifier=self._physical_name("cdc", limit=63).lower(),
            ReplicationInstanceClass="dms.r5.large",
        )["ReplicationInstance"]
        return self._with_resource_id(str(instance["ReplicationInstanceArn"]))

    def _create_dms_secrets(self) -> dict[str, str]:
        """The two secrets in the JSON DMS reads: username, password, host, port."""
        secrets_manager = client(self.region, "secretsmanager")
        arns = {}
        for parameter, name, (username, password), (host, port) in (
            ("DmsSourceSecretArn", "dms-source", SOURCE_LOGIN, SOURCE_SERVER),
            (
                "DmsTargetSecretArn",
                "dms-target",
                (self.sql.username, self.sql.password),
                self.rds_endpoint,
            ),
        ):
            value = {"username": username, "password": password, "host": host, "port": port}
            secret = secrets_manager.create_secret(
                Name=f"{self.stack_name}/{name}", SecretString=json.dumps(value)
            )
            arns[parameter] = str(secret["ARN"])
        return arns

    def _with_resource_id(self, instance_arn: str) -> str:
        """moto names a replication instance ARN after its identifier; DMS uses a resource id."""
        backend = dms_backends[ACCOUNT_ID][self.region]
        instance = backend.replication_instances.pop(instance_arn)
        instance.arn = f"{instance_arn.rsplit(':', 1)[0]}:{resource_id()}"
        backend.replication_instances[instance.arn] = instance
        return str(instance.arn)

    def _create_iam_role(self, logical_id: str) -> None:
        """A role, with its trust policy (moto enforces neither it nor the role's policies)."""
        resolver = self.require_resolver()
        properties = resolver.resolve(dict(self.template.properties(logical_id)))
        role = client(self.region, "iam").create_role(
            RoleName=self._physical_name(logical_id),
            AssumeRolePolicyDocument=json.dumps(properties["AssumeRolePolicyDocument"]),
        )["Role"]
        resolver.provide(logical_id, str(role["RoleName"]), Arn=str(role["Arn"]))

    def _make_bucket(self, name: str, versioned: bool) -> None:
        s3 = client(self.region, "s3")
        s3.create_bucket(Bucket=name)
        if versioned:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})

    def _create_bucket(self, logical_id: str) -> None:
        properties = self.template.properties(logical_id)
        name = self._physical_name(logical_id, limit=63).lower()
        versioning = (properties.get("VersioningConfiguration") or {}).get("Status")
        self._make_bucket(name, versioned=versioning == "Enabled")
        arn = f"arn:{self.pseudo().partition}:s3:::{name}"
        self.require_resolver().provide(logical_id, name, Arn=arn, BucketName=name)

    def _create_topic(self, logical_id: str) -> None:
        resolver = self.require_resolver()
        properties = resolver.resolve(dict(self.template.properties(logical_id)))
        attributes = {
            key: str(properties[key])
            for key in ("DisplayName", "KmsMasterKeyId")
            if key in properties
        }
        name = self._physical_name(logical_id, limit=256)
        arn = str(
            client(self.region, "sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
        )
        resolver.provide(logical_id, arn, TopicArn=arn, TopicName=name)

    def _create_queue(self, logical_id: str) -> None:
        sqs = client(self.region, "sqs")
        name = self._physical_name(logical_id, limit=80)
        url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
        arn = f"arn:{self.pseudo().partition}:sqs:{self.region}:{ACCOUNT_ID}:{name}"
        self.require_resolver().provide(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)

    def _create_key(self, logical_id: str) -> None:
        """A customer managed key (moto checks no key policy: IAM is not simulated)."""
        properties = self.require_resolver().resolve(dict(self.template.properties(logical_id)))
        kms = client(self.region, "kms")
        key = kms.create_key(
            Description=str(properties.get("Description", "")),
            Policy=json.dumps(properties["KeyPolicy"]),
        )["KeyMetadata"]
        if properties.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=key["KeyId"])
        self.require_resolver().provide(logical_id, str(key["KeyId"]), Arn=str(key["Arn"]))

    def _create_table(self, logical_id: str) -> None:
        resolver = self.require_resolver()
        properties = resolver.resolve(dict(self.template.properties(logical_id)))
        name = self._physical_name(logical_id, limit=255)
        dynamodb = client(self.region, "dynamodb")
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
            client(self.region, "secretsmanager").create_secret(
                Name=self._physical_name(logical_id, limit=256), SecretString=value
            )["ARN"]
        )
        self.require_resolver().provide(logical_id, arn, Id=arn)

    def _create_http_api(self, logical_id: str) -> None:
        api_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))
        host = f"{api_id}.execute-api.{self.region}.amazonaws.com"
        self.require_resolver().provide(logical_id, api_id, ApiEndpoint=f"https://{host}")
        self.http_apis[logical_id] = HttpApiRoutes(
            api_id, host, [], self._invoke_for_api, self.clock.now
        )

    def _invoke_for_api(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """API Gateway invokes the function synchronously and reads its response."""
        function = self.lambdas.by_logical_id(logical_id)
        response = client(self.region, "lambda").invoke(
            FunctionName=function.arn, Payload=json.dumps(event).encode()
        )
        body = json.loads(response["Payload"].read())
        if response.get("FunctionError"):  # API Gateway answers 500 for a failed function
            return {"statusCode": 500, "body": '{"message":"Internal Server Error"}'}
        return dict(body)

    def approval_api(self) -> HttpApiRoutes:
        if len(self.http_apis) != 1:
            raise RuntimeError(
                f"expected one HTTP API in the template, found {len(self.http_apis)}"
            )
        return next(iter(self.http_apis.values()))

    def _create_function_resource(self, logical_id: str) -> None:
        spec = next(s for s in self.template.functions() if s.logical_id == logical_id)
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:  # moto wants a package; the code runs locally
            archive.writestr(spec.handler_file, "# runs in-process, see localrun.lambdas\n")
        created = client(self.region, "lambda").create_function(
            FunctionName=self._physical_name(logical_id),
            Runtime=spec.runtime or "python3.13",
            Role=self._role_arn,
            Handler=spec.handler,
            Code={"ZipFile": code.getvalue()},
            MemorySize=spec.memory_size,
            Timeout=spec.timeout,
        )
        name, arn = str(created["FunctionName"]), str(created["FunctionArn"])
        self.require_resolver().provide(logical_id, name, Arn=arn)

    def _create_state_machine(self, logical_id: str) -> None:
        resolver = self.require_resolver()
        spec = self.template.state_machine(logical_id)
        path = self.definition_path or self.template.root / spec.definition_uri
        self.definition = resolver.substitute_definition(
            path.read_text(encoding="utf-8"), spec.substitutions
        )
        name = resolver.resolve(self.template.properties(logical_id).get("Name"))
        created = client(self.region, "stepfunctions").create_state_machine(
            name=str(name) if name else self._physical_name(logical_id, limit=80),
            definition=self.definition,
            roleArn=self._role_arn,
            type=spec.type,
        )
        arn = str(created["stateMachineArn"])
        resolver.provide(logical_id, arn, Arn=arn, Name=arn.rsplit(":", 1)[-1])
        self.state_machine_arn = arn

    def _create_local_functions(self) -> None:
        resolver = self.require_resolver()
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
                invoke = self.template.properties(spec.logical_id).get("EventInvokeConfig") or {}
                self.rules.append(
                    DeployedRule(
                        spec.logical_id,
                        event_name,
                        EventPattern.load(json.dumps(pattern)),
                        retries=int(invoke.get("MaximumRetryAttempts", 2)),
                    )
                )

    def _add_route(self, function: str, properties: Mapping[str, Any]) -> None:
        api = self.require_resolver().resolve(properties.get("ApiId"))
        routes = next((r for r in self.http_apis.values() if r.api_id == api), None)
        if routes is None:
            raise TemplateError(f"{function}: HttpApi event of an API the runtime did not create")
        routes.routes.append(Route(str(properties["Method"]).upper(), properties["Path"], function))

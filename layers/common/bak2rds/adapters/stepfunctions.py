"""Starting a migration: one execution per object version, named after it."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from bak2rds.adapters.aws import aws_call, error_code


class StateMachine:
    def __init__(self, sfn_client: Any, state_machine_arn: str) -> None:
        self._sfn = sfn_client
        self._arn = state_machine_arn

    def start_once(self, name: str, execution_input: dict[str, Any]) -> tuple[str, bool]:
        """Start the execution ``name``; returns (execution ARN, was it a duplicate?).

        An execution name can be used once (for 90 days): an existing execution of that name
        means the event was delivered before. Step Functions answers a repeated StartExecution
        for a *running* execution with that execution, so look first; the refusal
        (ExecutionAlreadyExists) covers two deliveries racing past the look.
        """
        arn = self._execution_arn(name)
        try:
            with aws_call("Step Functions DescribeExecution"):
                self._sfn.describe_execution(executionArn=arn)
            return arn, True
        except ClientError as error:
            if error_code(error) != "ExecutionDoesNotExist":
                raise
        try:
            with aws_call("Step Functions StartExecution"):
                response = self._sfn.start_execution(
                    stateMachineArn=self._arn, name=name, input=json.dumps(execution_input)
                )
        except ClientError as error:
            if error_code(error) == "ExecutionAlreadyExists":
                return arn, True
            raise
        return str(response["executionArn"]), False

    def _execution_arn(self, name: str) -> str:
        return self._arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"

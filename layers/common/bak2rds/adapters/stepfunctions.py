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
        """Start the execution ``name``; returns (execution ARN, known duplicate?).

        Step Functions refuses a second execution with a name already used (for 90 days),
        which is what turns a duplicate event into a no-op. (While the first execution is
        still running, a call with identical input succeeds and returns the same ARN.)
        """
        try:
            with aws_call("Step Functions StartExecution"):
                response = self._sfn.start_execution(
                    stateMachineArn=self._arn, name=name, input=json.dumps(execution_input)
                )
        except ClientError as error:
            if error_code(error) == "ExecutionAlreadyExists":
                return self._execution_arn(name), True
            raise
        return str(response["executionArn"]), False

    def _execution_arn(self, name: str) -> str:
        return self._arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"

"""Starting a migration: one execution per object version, named after it."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from bak2rds.adapters.aws import aws_call, error_code
from bak2rds.models import Approval


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


# SendTask* answers for a token whose task no longer waits (timed out, execution stopped).
_NOT_WAITING = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


class TaskCallbacks:
    """The approval API's side of ``.waitForTaskToken``: is it still waiting, and the answer."""

    def __init__(self, sfn_client: Any) -> None:
        self._sfn = sfn_client

    def execution_status(self, execution_arn: str) -> str:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED; GONE if Step Functions forgot it."""
        try:
            with aws_call("Step Functions DescribeExecution"):
                response = self._sfn.describe_execution(executionArn=execution_arn)
        except ClientError as error:
            if error_code(error) == "ExecutionDoesNotExist":
                return "GONE"
            raise
        return str(response["status"])

    def succeed(self, task_token: str, output: Approval) -> bool:
        """False if the task was no longer waiting for its token."""
        return self._send(
            lambda: self._sfn.send_task_success(taskToken=task_token, output=json.dumps(output))
        )

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        return self._send(
            lambda: self._sfn.send_task_failure(taskToken=task_token, error=error, cause=cause)
        )

    @staticmethod
    def _send(call: Any) -> bool:
        try:
            with aws_call("Step Functions SendTask"):
                call()
        except ClientError as error:
            if error_code(error) in _NOT_WAITING:
                return False
            raise
        return True

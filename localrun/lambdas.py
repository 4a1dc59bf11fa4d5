"""The project's Lambda functions, run in-process as moto's Lambda backend invokes them.

For each ``AWS::Serverless::Function`` of the template, ``LocalFunction`` loads the handler
named by ``CodeUri`` + ``Handler`` (by file path, under a module name of its own, once: a warm
container) and calls it the way the Python Lambda runtime does:

* with a Lambda-shaped context (name, version, ARN, memory, request id, remaining time);
* with exactly the function's environment: its resolved template variables plus what Lambda
  sets (``AWS_REGION``, ``AWS_LAMBDA_FUNCTION_NAME``, ...), while the variables the template
  gives to *other* functions are removed, so a setting missing from one function fails
  here as it would in AWS. The environment is process-wide, so handlers run one at a time;
* settings read through ``bak2rds.config`` are forgotten before each call (every function
  has its own container in AWS; only the boto3 clients are shared here);
* the result is serialised as the runtime does (``Decimal`` → a JSON number; anything else
  not JSON → ``Runtime.MarshalError``); an exception becomes the error document Lambda
  returns (``errorType`` = the exception's class name, which Step Functions uses as the
  error name for ``Retry``/``Catch``), marked with the ``X-Amz-Function-Error`` header.

Not modelled: the function timeout, memory, concurrency limits, and cold-start latency.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from localrun.template import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]
FUNCTION_ERROR_HEADER = "x-amz-function-error"


@dataclass
class LambdaContext:
    """The attributes and method of the context object the Python runtime passes."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    timeout_seconds: int
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


@dataclass
class Invocation:
    """One call of a handler, kept for assertions and reports."""

    function: str  # logical id
    event: Any
    result: Any = None
    error_type: str | None = None
    error_message: str | None = None


class LocalFunction:
    def __init__(
        self,
        spec: FunctionSpec,
        code_root: Path,
        name: str,
        arn: str,
        region: str,
        environment: Mapping[str, str],
        foreign_variables: frozenset[str],
    ) -> None:
        self.spec = spec
        self.name = name
        self.arn = arn
        self.region = region
        self.environment = dict(environment)
        self._foreign = foreign_variables - set(environment)
        self._path = code_root / spec.code_uri / spec.handler_file
        self._handler: Handler | None = None

    def lambda_environment(self) -> dict[str, str]:
        """What Lambda itself sets for the function, then the template's variables."""
        return {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.spec.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.spec.runtime}",
            **self.environment,
        }

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.name,
            function_version="$LATEST",
            invoked_function_arn=self.arn,
            memory_limit_in_mb=self.spec.memory_size,
            aws_request_id=str(uuid.uuid4()),
            log_group_name=f"/aws/lambda/{self.name}",
            log_stream_name=f"local/[$LATEST]{uuid.uuid4().hex}",
            timeout_seconds=self.spec.timeout,
        )

    @contextmanager
    def environment_applied(self) -> Iterator[None]:
        applied = self.lambda_environment()
        saved = {name: os.environ.get(name) for name in (*applied, *self._foreign)}
        for name in self._foreign:
            os.environ.pop(name, None)
        os.environ.update(applied)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def handler(self) -> Handler:
        """Import the handler's module once (a cold start) and return the handler."""
        if self._handler is None:
            module_name = f"localrun_lambda_{self.spec.logical_id}_{uuid.uuid4().hex[:8]}"
            spec = importlib.util.spec_from_file_location(module_name, self._path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {self._path} for {self.spec.logical_id}")
            module: ModuleType = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            handler = getattr(module, self.spec.handler_function, None)
            if not callable(handler):
                raise ImportError(f"{self._path} has no {self.spec.handler_function}()")
            self._handler = handler
        return self._handler


class LambdaService:
    """Routes moto's Lambda invocations to the local functions, one at a time."""

    def __init__(self, before_each_call: Callable[[], None]) -> None:
        self.functions: dict[str, LocalFunction] = {}  # by function name
        self.invocations: list[Invocation] = []
        self._before_each_call = before_each_call
        self._lock = threading.Lock()

    def add(self, function: LocalFunction) -> None:
        self.functions[function.name] = function

    def by_logical_id(self, logical_id: str) -> LocalFunction:
        for function in self.functions.values():
            if function.spec.logical_id == logical_id:
                return function
        raise KeyError(f"no local function {logical_id!r}")

    def invoke(self, function_name: str, payload: str, response_headers: dict[str, str]) -> bytes:
        """Run the handler on ``payload`` (JSON text) and return the response payload."""
        function = self.functions[function_name]
        event = json.loads(payload) if payload else {}
        invocation = Invocation(function=function.spec.logical_id, event=event)
        with self._lock, function.environment_applied():
            self.invocations.append(invocation)
            self._before_each_call()
            try:
                result = function.handler()(event, function.context())
                body = json.dumps(result, default=_marshal)
            except Exception as error:  # every failure goes back to the caller, like Lambda
                response_headers[FUNCTION_ERROR_HEADER] = "Unhandled"
                invocation.error_type, invocation.error_message = _error_name(error), str(error)
                return json.dumps(_error_document(error)).encode()
        invocation.result = result
        return body.encode()

    def count(self, logical_id: str | None = None) -> int:
        return sum(1 for i in self.invocations if logical_id in (None, i.function))


class _MarshalError(TypeError):
    pass


class SimulatedCrash(Exception):
    """Raise in a handler to stand for a crash (out of memory, timeout, process exit).

    Step Functions reports those as ``Lambda.Unknown`` (Developer Guide, "Handle Lambda
    service exceptions"), not as the handler's exception.
    """


def crash_once_after(method: Callable[..., Any], what: str) -> Callable[..., Any]:
    """``method``, except that its first call raises ``SimulatedCrash`` after it returned:
    the function died (memory, timeout) after the call it made took effect."""
    crashed: list[bool] = []

    def crashing(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        if not crashed:
            crashed.append(True)
            raise SimulatedCrash(what)
        return result

    return crashing


def _marshal(value: Any) -> Any:
    if isinstance(value, Decimal):  # the runtime writes Decimal as a JSON number
        return float(value)
    raise _MarshalError(f"Object of type {type(value).__name__} is not JSON serializable")


def _error_name(error: BaseException) -> str:
    if isinstance(error, SimulatedCrash):
        return "Lambda.Unknown"
    return "Runtime.MarshalError" if isinstance(error, _MarshalError) else type(error).__name__


def _error_document(error: BaseException) -> dict[str, Any]:
    message = str(error)
    if isinstance(error, _MarshalError):
        message = f"Unable to marshal response: {message}"
    return {
        "errorMessage": message,
        "errorType": _error_name(error),
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__)),
    }

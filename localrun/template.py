"""template.yaml as the local runtime reads it: parameters, conditions, functions, state machine.

The runtime never keeps its own copy of what the template says. It loads ``template.yaml``
with a YAML loader that understands the CloudFormation short forms (``!Ref``, ``!GetAtt``,
``!Sub``, ``!If``, ...), and evaluates the intrinsic functions it meets against

* the stack parameters (template defaults, overridden by the values the runtime is given,
  checked against ``AllowedValues``, ``AllowedPattern`` and ``MinValue`` like CloudFormation),
* the pseudo parameters (``AWS::Region``, ``AWS::AccountId``, ``AWS::Partition``, ...),
* the ``Conditions`` section,
* and the physical ids of the resources the runtime created (``Ref`` and ``Fn::GetAtt``
  values registered with ``Resolver.provide``).

A reference to a resource the runtime did not create is an error that names it, never a
silent placeholder. SAM's merge of ``Globals.Function`` into each function (scalars as
defaults, ``Environment.Variables`` merged key by key) is reproduced for the properties the
runtime uses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml  # type: ignore[import-untyped]

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
SERVERLESS_STATE_MACHINE = "AWS::Serverless::StateMachine"
SERVERLESS_LAYER = "AWS::Serverless::LayerVersion"


class TemplateError(ValueError):
    """The template asks for something the local runtime cannot resolve."""


# ---------------------------------------------------------------------------- YAML loading
class CloudFormationLoader(yaml.SafeLoader):  # type: ignore[misc]
    """A safe YAML loader that turns ``!Tag`` short forms into their ``Fn::`` long forms."""


def _short_form(function: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if function == "Fn::GetAtt":  # !GetAtt Resource.Attribute
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(cast(yaml.MappingNode, node), deep=True)
        return {function: value}

    return construct


for _tag, _function in {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{name}": f"Fn::{name}"
        for name in (
            "And Base64 Cidr Equals FindInMap GetAtt GetAZs If ImportValue Join Not Or "
            "Select Split Sub Transform"
        ).split()
    },
}.items():
    CloudFormationLoader.add_constructor(_tag, _short_form(_function))


def load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        document = yaml.load(stream, Loader=CloudFormationLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(document, dict):
        raise TemplateError(f"{path} is not a YAML mapping")
    return document


# ---------------------------------------------------------------------------- the template
@dataclass(frozen=True)
class FunctionSpec:
    """One ``AWS::Serverless::Function`` after SAM's Globals merge (values still unresolved)."""

    logical_id: str
    code_uri: str
    handler: str
    runtime: str
    memory_size: int
    timeout: int
    environment: Mapping[str, Any]
    layers: tuple[Any, ...]
    events: Mapping[str, Any]

    @property
    def handler_file(self) -> str:
        """``app.lambda_handler`` → ``app.py`` (relative to the CodeUri folder)."""
        module, _, _ = self.handler.rpartition(".")
        return module.replace(".", "/") + ".py"

    @property
    def handler_function(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    definition_uri: str
    substitutions: Mapping[str, Any]
    type: str


@dataclass(frozen=True)
class SamTemplate:
    path: Path
    document: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path) -> SamTemplate:
        return cls(path=path, document=load_yaml(path))

    @property
    def root(self) -> Path:
        """The folder CodeUri, ContentUri and DefinitionUri are relative to."""
        return self.path.parent

    @property
    def parameters(self) -> Mapping[str, Mapping[str, Any]]:
        return cast(Mapping[str, Mapping[str, Any]], self.document.get("Parameters") or {})

    @property
    def conditions(self) -> Mapping[str, Any]:
        return cast(Mapping[str, Any], self.document.get("Conditions") or {})

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        return cast(Mapping[str, Mapping[str, Any]], self.document.get("Resources") or {})

    def resources_of_type(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if resource.get("Type") == resource_type
        }

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        return cast(Mapping[str, Any], self.resources[logical_id].get("Properties") or {})

    def functions(self) -> list[FunctionSpec]:
        globals_ = (self.document.get("Globals") or {}).get("Function") or {}
        specs = []
        for logical_id in self.resources_of_type(SERVERLESS_FUNCTION):
            own = self.properties(logical_id)

            def pick(name: str, default: Any = None, own: Mapping[str, Any] = own) -> Any:
                return own.get(name, globals_.get(name, default))

            environment = {
                **((globals_.get("Environment") or {}).get("Variables") or {}),
                **((own.get("Environment") or {}).get("Variables") or {}),
            }
            handler = pick("Handler")
            code_uri = own.get("CodeUri")
            if not handler or not isinstance(code_uri, str):
                raise TemplateError(f"{logical_id} needs a local CodeUri folder and a Handler")
            specs.append(
                FunctionSpec(
                    logical_id=logical_id,
                    code_uri=code_uri,
                    handler=str(handler),
                    runtime=str(pick("Runtime", "")),
                    memory_size=int(pick("MemorySize", 128)),
                    timeout=int(pick("Timeout", 3)),
                    environment=environment,
                    layers=(*(globals_.get("Layers") or ()), *(own.get("Layers") or ())),
                    events=own.get("Events") or {},
                )
            )
        return specs

    def state_machine(self, logical_id: str | None = None) -> StateMachineSpec:
        machines = self.resources_of_type(SERVERLESS_STATE_MACHINE)
        if logical_id is None:
            if len(machines) != 1:
                raise TemplateError(f"name one of the state machines: {sorted(machines)}")
            logical_id = next(iter(machines))
        properties = self.properties(logical_id)
        if "DefinitionUri" not in properties:
            raise TemplateError(f"{logical_id} has no DefinitionUri (an ASL file)")
        return StateMachineSpec(
            logical_id=logical_id,
            definition_uri=str(properties["DefinitionUri"]),
            substitutions=properties.get("DefinitionSubstitutions") or {},
            type=str(properties.get("Type", "STANDARD")),
        )

    def layer_content_uri(self, logical_id: str) -> str | None:
        resource = self.resources.get(logical_id) or {}
        if resource.get("Type") != SERVERLESS_LAYER:
            return None
        content_uri = (resource.get("Properties") or {}).get("ContentUri")
        return content_uri if isinstance(content_uri, str) else None


# ---------------------------------------------------------------------------- intrinsics
@dataclass(frozen=True)
class Pseudo:
    region: str
    account_id: str
    stack_name: str
    partition: str = "aws"

    def values(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:"
                f"stack/{self.stack_name}/00000000-0000-0000-0000-000000000000"
            ),
            "AWS::URLSuffix": "amazonaws.com",
        }


@dataclass
class _Provided:
    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)


class _NoValue:
    """``!Ref AWS::NoValue``: the property disappears."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()
_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]*)\}")


class Resolver:
    """Evaluates CloudFormation intrinsic functions for one local stack."""

    def __init__(
        self, template: SamTemplate, parameter_values: Mapping[str, str], pseudo: Pseudo
    ) -> None:
        self.template = template
        self.pseudo = pseudo
        self.parameters = _check_parameters(template, parameter_values)
        self._resources: dict[str, _Provided] = {}

    # -------------------------------------------------------------- what exists locally
    def provide(self, logical_id: str, ref: Any, **attributes: Any) -> None:
        """Record the physical id (``Ref``) and attributes (``GetAtt``) of a created resource."""
        if logical_id not in self.template.resources:
            raise TemplateError(f"{logical_id} is not a resource of {self.template.path.name}")
        self._resources[logical_id] = _Provided(ref, dict(attributes))

    def condition(self, name: str) -> bool:
        if name not in self.template.conditions:
            raise TemplateError(f"unknown condition {name!r}")
        return bool(self.resolve(self.template.conditions[name]))

    def is_created(self, logical_id: str) -> bool:
        """The resource's ``Condition`` (if any) holds."""
        condition = self.template.resources[logical_id].get("Condition")
        return condition is None or self.condition(str(condition))

    # -------------------------------------------------------------- evaluation
    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [item for item in (self.resolve(i) for i in node) if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Ref":
                return self._ref(str(argument))
            if key == "Condition":
                return self.condition(str(argument))
            if key.startswith("Fn::"):
                return self._function(key, argument)
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}

    def resolve_string(self, node: Any, what: str) -> str:
        value = self.resolve(node)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise TemplateError(f"{what} resolved to {value!r}, not a string")
        return str(value)

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        pseudo = self.pseudo.values()
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self._provided(name).ref

    def _provided(self, logical_id: str) -> _Provided:
        if logical_id not in self.template.resources:
            raise TemplateError(f"!Ref/!GetAtt of unknown name {logical_id!r}")
        if logical_id not in self._resources:
            raise TemplateError(
                f"{logical_id} ({self.template.resources[logical_id].get('Type')}) has no local "
                "stand-in, so nothing that refers to it can run locally"
            )
        return self._resources[logical_id]

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        provided = self._provided(logical_id)
        if attribute not in provided.attributes:
            raise TemplateError(f"the local {logical_id} has no attribute {attribute!r}")
        return provided.attributes[attribute]

    def _function(self, name: str, argument: Any) -> Any:
        if name == "Fn::GetAtt":
            target = argument if isinstance(argument, list) else str(argument).split(".", 1)
            logical_id, attribute = (self.resolve_string(part, name) for part in target)
            return self._get_att(logical_id, attribute)
        if name == "Fn::Sub":
            return self._sub(argument)
        if name == "Fn::If":
            condition, when_true, when_false = argument
            return self.resolve(when_true if self.condition(str(condition)) else when_false)
        if name == "Fn::Equals":
            left, right = (self.resolve(side) for side in argument)
            return _scalar_text(left) == _scalar_text(right)
        if name == "Fn::Not":
            return not self.resolve(argument[0])
        if name == "Fn::And":
            return all(self.resolve(item) for item in argument)
        if name == "Fn::Or":
            return any(self.resolve(item) for item in argument)
        if name == "Fn::Join":
            delimiter, items = argument
            values = self.resolve(items)
            return str(delimiter).join(_scalar_text(value) for value in values)
        if name == "Fn::Select":
            index, items = argument
            return self.resolve(items)[int(self.resolve(index))]
        if name == "Fn::Split":
            delimiter, text = argument
            return self.resolve_string(text, name).split(str(delimiter))
        raise TemplateError(f"{name} is not supported by the local runtime")

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], {k: self.resolve(v) for k, v in argument[1].items()}
        else:
            text, variables = argument, {}

        def replace(match: re.Match[str]) -> str:
            literal, name = match.group(1), match.group(2)
            if literal:  # ${!Literal} stays as ${Literal}
                return "${" + name + "}"
            if name in variables:
                return _scalar_text(variables[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return _scalar_text(self._get_att(logical_id, attribute))
            return _scalar_text(self._ref(name))

        return _SUB_VARIABLE.sub(replace, str(text))

    def substitute_definition(self, definition: str, substitutions: Mapping[str, Any]) -> str:
        """``${Key}`` in an ASL file → the resolved ``DefinitionSubstitutions`` value.

        Every ``${...}`` left in the result is an error: AWS would deploy it verbatim and the
        state would fail at run time, so a missing key is caught here instead.
        """
        values = {key: self.resolve_string(node, key) for key, node in substitutions.items()}
        result = re.sub(
            r"\$\{([A-Za-z0-9_]+)\}",
            lambda match: values.get(match.group(1), match.group(0)),
            definition,
        )
        leftover = sorted(set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", result)))
        if leftover:
            raise TemplateError(f"DefinitionSubstitutions has no value for {leftover}")
        return result


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _check_parameters(template: SamTemplate, given: Mapping[str, str]) -> dict[str, Any]:
    """Parameter values as CloudFormation would accept them (strings; lists for list types)."""
    unknown = sorted(set(given) - set(template.parameters))
    if unknown:
        raise TemplateError(f"{template.path.name} has no parameters {unknown}")
    values: dict[str, Any] = {}
    for name, declaration in template.parameters.items():
        if name in given:
            raw = str(given[name])
        elif "Default" in declaration:
            raw = _scalar_text(declaration["Default"])
        else:
            raise TemplateError(f"parameter {name} has no default and no value was given")
        kind = str(declaration.get("Type", "String"))
        items = raw.split(",") if kind == "CommaDelimitedList" and raw else [raw]
        for item in items:
            _check_parameter_value(name, declaration, kind, item)
        values[name] = ([] if not raw else items) if kind == "CommaDelimitedList" else raw
    return values


def _check_parameter_value(
    name: str, declaration: Mapping[str, Any], kind: str, value: str
) -> None:
    allowed = declaration.get("AllowedValues")
    if allowed is not None and value not in [_scalar_text(v) for v in allowed]:
        raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
    pattern = declaration.get("AllowedPattern")
    if pattern is not None and re.fullmatch(str(pattern), value) is None:
        raise TemplateError(f"parameter {name}={value!r} does not match {pattern}")
    if kind == "Number":
        try:
            number = float(value)
        except ValueError:
            raise TemplateError(f"parameter {name}={value!r} is not a number") from None
        if "MinValue" in declaration and number < float(declaration["MinValue"]):
            raise TemplateError(f"parameter {name}={value} is below {declaration['MinValue']}")
        if "MaxValue" in declaration and number > float(declaration["MaxValue"]):
            raise TemplateError(f"parameter {name}={value} is above {declaration['MaxValue']}")

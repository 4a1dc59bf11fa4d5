"""Which tables the CDC task replicates: DMS's selection rules, read and extended.

DMS selects a table when an ``include`` (or ``explicit``) selection rule's object locator
matches its schema and name and no ``exclude`` rule does. Names match as SQL ``LIKE``
patterns (DMS user guide, "Wildcards in table mapping": ``%`` any characters, ``_`` one
character, ``[_]`` a literal underscore, ``[ab]`` a set, ``[a-d]`` a range). The guide does not
say whether matching ignores case; SQL Server's names usually do, so this module does too: a
table it counts in scope that DMS would not is only reported, never missed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

EXCLUSION_RULE_PREFIX = "bak2rds-keyless-"


def in_scope(table_mappings: str, schema: str, table: str) -> bool:
    """Does the mapping (``DmsSettings.table_mappings``) select ``schema.table``?"""
    included = excluded = False
    for rule in _selection_rules(table_mappings):
        locator = rule.get("object-locator") or {}
        if _matches(str(locator.get("schema-name", "")), schema) and _matches(
            str(locator.get("table-name", "%")), table
        ):
            action = rule.get("rule-action")
            included |= action in {"include", "explicit"}
            excluded |= action == "exclude"
    return included and not excluded


def with_exclusions(table_mappings: str, tables: Iterable[tuple[str, str]]) -> str:
    """The mapping plus one ``exclude`` rule per (schema, table), named so they can be found
    again (a retry must not add them twice)."""
    document: dict[str, Any] = json.loads(table_mappings)
    rules = [r for r in document["rules"] if not _is_exclusion(r)]
    next_id = 1 + max(
        (int(r["rule-id"]) for r in rules if str(r.get("rule-id")).isdigit()), default=0
    )
    for offset, (schema, table) in enumerate(sorted(set(tables))):
        rules.append(
            {
                "rule-type": "selection",
                "rule-id": str(next_id + offset),
                "rule-name": f"{EXCLUSION_RULE_PREFIX}{offset + 1}",
                "object-locator": {"schema-name": literal(schema), "table-name": literal(table)},
                "rule-action": "exclude",
            }
        )
    return json.dumps({**document, "rules": rules}, separators=(",", ":"))


def exclusions_of(table_mappings: str) -> set[tuple[str, str]]:
    """The (schema, table) pairs ``with_exclusions`` added to a mapping."""
    found = set()
    for rule in _selection_rules(table_mappings):
        if _is_exclusion(rule):
            locator = rule["object-locator"]
            found.add((unliteral(locator["schema-name"]), unliteral(locator["table-name"])))
    return found


def literal(name: str) -> str:
    """A name as a pattern that matches only itself: each wildcard character in brackets."""
    return re.sub(r"([%_\[])", r"[\1]", name)


def unliteral(pattern: str) -> str:
    return re.sub(r"\[([%_\[])\]", r"\1", pattern)


def _is_exclusion(rule: dict[str, Any]) -> bool:
    return str(rule.get("rule-name", "")).startswith(EXCLUSION_RULE_PREFIX)


def _selection_rules(table_mappings: str) -> list[dict[str, Any]]:
    rules = json.loads(table_mappings or "{}").get("rules", [])
    return [r for r in rules if isinstance(r, dict) and r.get("rule-type") == "selection"]


def _matches(pattern: str, name: str) -> bool:
    return _compiled(pattern).fullmatch(name) is not None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    parts, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        closing = pattern.find("]", index + 2) if char == "[" else -1
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        elif closing != -1:  # [ab], [a-d], [_]: a set, as in LIKE
            body = pattern[index + 1 : closing]
            escaped = body.replace("\\", "\\\\").replace("[", "\\[").replace("^", "\\^")
            parts.append("[" + escaped + "]")
            index = closing
        else:
            parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)

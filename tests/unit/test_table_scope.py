"""DMS's selection rules as bak2rds reads them (which tables CDC replicates) and extends them
(keyless tables left out)."""

from __future__ import annotations

import json

import pytest

from bak2rds.table_scope import exclusions_of, in_scope, literal, with_exclusions

TEMPLATE_DEFAULT = json.dumps(
    {
        "rules": [
            {
                "rule-type": "selection",
                "rule-id": "1",
                "rule-name": "all-user-tables",
                "object-locator": {"schema-name": "%", "table-name": "%"},
                "rule-action": "include",
            },
            {
                "rule-type": "selection",
                "rule-id": "2",
                "rule-name": "no-ms-cdc-tables",
                "object-locator": {"schema-name": "cdc", "table-name": "%"},
                "rule-action": "exclude",
            },
            {
                "rule-type": "transformation",
                "rule-id": "3",
                "rule-name": "not-a-selection",
                "rule-target": "schema",
                "object-locator": {"schema-name": "%"},
                "rule-action": "rename",
                "value": "x",
            },
        ]
    }
)


@pytest.mark.parametrize(
    ("schema", "table", "selected"),
    [
        ("dbo", "Orders", True),
        ("Sales", "Order Lines", True),
        ("cdc", "dbo_Orders_CT", False),  # excluded by rule 2
        ("CDC", "change_tables", False),  # names compared as SQL Server does, without case
    ],
)
def test_the_templates_default_mapping_selects_every_user_table_but_cdc(
    schema: str, table: str, selected: bool
) -> None:
    assert in_scope(TEMPLATE_DEFAULT, schema, table) is selected


def test_like_wildcards_sets_and_ranges() -> None:
    mapping = json.dumps(
        {
            "rules": [
                {
                    "rule-type": "selection",
                    "rule-id": "1",
                    "rule-name": "some",
                    "object-locator": {"schema-name": "dbo", "table-name": "Ord_r[s0-9]%"},
                    "rule-action": "include",
                }
            ]
        }
    )
    assert in_scope(mapping, "dbo", "Orders")
    assert in_scope(mapping, "dbo", "Ordur7_archive")
    assert not in_scope(mapping, "dbo", "Ordersx"[:4])  # "Orde": too short for _ and a set
    assert not in_scope(mapping, "dbo", "OrderX")
    assert not in_scope(mapping, "sales", "Orders")  # no rule for the schema: not selected


def test_exclusion_rules_leave_out_exactly_the_named_tables_once() -> None:
    tables = [("dbo", "Audit_Log"), ("etl", "50%_sample"), ("dbo", "a[b]")]
    extended = with_exclusions(TEMPLATE_DEFAULT, tables)
    for schema, table in tables:
        assert not in_scope(extended, schema, table)
    assert in_scope(extended, "dbo", "AuditXLog")  # the literal _ matches only itself
    assert in_scope(extended, "etl", "500_sample")
    assert exclusions_of(extended) == set(tables)
    again = with_exclusions(extended, tables)  # a retry does not add them twice
    assert json.loads(again)["rules"] == json.loads(extended)["rules"]
    ids = [r["rule-id"] for r in json.loads(extended)["rules"]]
    assert len(ids) == len(set(ids)) == 6
    assert exclusions_of(TEMPLATE_DEFAULT) == set()


def test_a_literal_name_escapes_each_wildcard_character() -> None:
    assert literal("a_b%c[d") == "a[_]b[%]c[[]d"

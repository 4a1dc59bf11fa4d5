import re

import pytest

from bak2rds.errors import InvalidBackupObject, InvalidDatabaseName
from bak2rds.naming import (
    database_name_from_key,
    dms_task_identifier,
    execution_name,
    object_fingerprint,
    quote_identifier,
    validate_database_name,
)

EXECUTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
DMS_IDENTIFIER = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*(?<!-)$")


@pytest.mark.parametrize(
    ("key", "database"),
    [
        ("Northwind.bak", "Northwind"),
        ("incoming/2026/Sales_EU.bak", "Sales_EU"),
        ("deep/er/x/Inventory.BAK", "Inventory"),
        ("a.b.bak", "a.b"),
    ],
)
def test_database_name_is_the_file_name_without_bak(key: str, database: str) -> None:
    assert database_name_from_key(key) == database


@pytest.mark.parametrize("key", ["backups/", "Northwind.bak.tmp", "Northwind", "x.bakx"])
def test_keys_that_are_not_bak_files_are_refused(key: str) -> None:
    with pytest.raises(InvalidBackupObject):
        database_name_from_key(key)


@pytest.mark.parametrize(
    "name", ["Northwind", "Sales_EU", "_staging", "db-2026.01", "Ünïcode", "a$b#c@d", "x" * 128]
)
def test_names_sql_server_accepts_pass(name: str) -> None:
    assert validate_database_name(name) == name


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "empty"),
        ("x" * 129, "129 characters"),
        ("1stDatabase", "start with a letter"),
        ("Robert'); DROP DATABASE x;--", "characters"),
        ("a]b", "']'"),
        ("has space", "' '"),
        ("tab\there", "characters"),
        ("SELECT", "reserved word"),
        ("select", "reserved word"),
        ("master", "system database"),
        ("MSDB", "system database"),
        ("rdsadmin", "system database"),
        ("e\u0301", "normal form"),
    ],
)
def test_names_sql_server_or_rds_would_refuse_get_a_reason(name: str, says: str) -> None:
    with pytest.raises(InvalidDatabaseName, match=re.escape(says)) as caught:
        validate_database_name(name)
    assert caught.value.code == "INVALID_DATABASE_NAME"


def test_identifier_quoting_doubles_closing_brackets() -> None:
    assert quote_identifier("a]b") == "[a]]b]"


def test_execution_name_is_deterministic_readable_and_valid() -> None:
    fingerprint = object_fingerprint("bucket", "in/Northwind.bak", "v1")
    name = execution_name("in/Northwind.bak", fingerprint)
    assert name == f"Northwind-{fingerprint}"
    assert name == execution_name(
        "in/Northwind.bak", object_fingerprint("bucket", "in/Northwind.bak", "v1")
    )
    assert object_fingerprint("bucket", "in/Northwind.bak", "v2") != fingerprint


@pytest.mark.parametrize(
    "key", ["x" * 300 + ".bak", "ünï cødé/名前.bak", "a+b%20c;--'.bak", ".bak", "[x]{y}.bak"]
)
def test_execution_and_task_names_stay_valid_for_any_key(key: str) -> None:
    name = execution_name(key, object_fingerprint("b", key, "v"))
    assert EXECUTION_NAME.fullmatch(name), name
    identifier = dms_task_identifier(name)
    assert len(identifier) <= 255
    assert DMS_IDENTIFIER.fullmatch(identifier), identifier

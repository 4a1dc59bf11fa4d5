"""Hostile and odd uploads, end to end: refused with a catalogued message before any SQL.

Each refused case goes through the real EventBridge rule, StartMigration, the state machine
and its handlers. It must end in the catalogued failure (execution error = code, one SNS
failure message naming it) with no SQL statement sent and no restore task created. The real
backups of ../shared/backups (a differential, a log backup, a stripe and a password-protected
backup) are uploaded as they are.

Case rules, documented in the README: the EventBridge rule matches keys ending in ``.bak`` in
any case (``x.Bak`` is taken), so ``x.BAK.tmp``, ``x.bak/`` and other suffixes never start an
execution; everything else that reaches the state machine is judged by Read Backup Object.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import random
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest

from localrun import samples
from localrun.runtime import LocalRuntime
from localrun.sqlserver import BackupInS3
from tests import realbackups
from tests.workflow.conftest import StartRuntime, ended_in_failure

pytestmark = pytest.mark.workflow

NORTHWIND = samples.backup_image()
EXECUTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
DMS_TASK_IDENTIFIER = re.compile(r"[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)")
SNS_SUBJECT = re.compile(r"[\x20-\x7e]{1,99}")  # ASCII, one line, under 100 characters
SNS_MESSAGE_LIMIT = 256 * 1024


def zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model.xml", "<DataSchemaModel/>")
    return buffer.getvalue()


# (key, body, metadata, code). body None: a good full backup of the database the key names.
KEY_CASES: dict[str, tuple[str, str]] = {
    "space": ("incoming/My Sales.bak", "INVALID_DATABASE_NAME"),
    "leading space": ("incoming/ Sales.bak", "INVALID_DATABASE_NAME"),
    "plus": ("incoming/C++Lib.bak", "INVALID_DATABASE_NAME"),
    "percent": ("incoming/Sales100%.bak", "INVALID_DATABASE_NAME"),
    "percent-encoded": ("incoming/Sales%20Q1.bak", "INVALID_DATABASE_NAME"),
    "quote": ("incoming/O'Brien.bak", "INVALID_DATABASE_NAME"),
    "bracket": ("incoming/db]; DROP DATABASE master;--.bak", "INVALID_DATABASE_NAME"),
    "semicolon": ("incoming/x;y.bak", "INVALID_DATABASE_NAME"),
    "comment": ("incoming/x --.bak", "INVALID_DATABASE_NAME"),
    "bobby tables": ("incoming/Robert'); DROP TABLE Students;--.bak", "INVALID_DATABASE_NAME"),
    "129 characters": ("incoming/" + "A" * 129 + ".bak", "INVALID_DATABASE_NAME"),
    "reserved word": ("incoming/SELECT.bak", "INVALID_DATABASE_NAME"),
    "reserved word lower case": ("incoming/backup.bak", "INVALID_DATABASE_NAME"),
    "system database": ("incoming/master.bak", "INVALID_DATABASE_NAME"),
    "rdsadmin": ("incoming/RDSADMIN.bak", "INVALID_DATABASE_NAME"),
    "only .bak": ("incoming/.bak", "INVALID_DATABASE_NAME"),
    "only .bak at the root": (".bak", "INVALID_DATABASE_NAME"),
    "starts with a digit": ("incoming/1stQuarter.bak", "INVALID_DATABASE_NAME"),
    "tab": ("incoming/tab\tname.bak", "INVALID_DATABASE_NAME"),
    "newline": ("incoming/line\nbreak.bak", "INVALID_DATABASE_NAME"),
    "unicode with a space": ("incoming/名前 テスト.bak", "INVALID_DATABASE_NAME"),
    "unicode not NFC": ("incoming/Cafe\u0301.bak", "INVALID_DATABASE_NAME"),
    "emoji": ("incoming/Sales\U0001f4be.bak", "INVALID_DATABASE_NAME"),
}
METADATA_CASES: dict[str, tuple[str, str]] = {
    "metadata bracket injection": ("x]; DROP DATABASE [y", "INVALID_DATABASE_NAME"),
    "metadata quote injection": ("N'; EXEC xp_cmdshell 'dir'--", "INVALID_DATABASE_NAME"),
    "metadata empty": ("", "INVALID_DATABASE_NAME"),
    "metadata system database": ("tempdb", "INVALID_DATABASE_NAME"),
    "metadata reserved word": ("Drop", "INVALID_DATABASE_NAME"),
}
# An upload's bytes, or how to make them (a real backup is read only when its case runs).
Body = bytes | Callable[[], bytes] | None
BODY_CASES: dict[str, tuple[Body, str]] = {
    "empty object": (b"", "EMPTY_BACKUP_OBJECT"),
    "pg_dump renamed": (
        b"PGDMP\x01\x0e\x00\x04\x08\x01\x01" + bytes(500),
        "NOT_A_SQL_SERVER_BACKUP",
    ),
    "bacpac zip": (zipped, "NOT_A_SQL_SERVER_BACKUP"),
    "git lfs pointer": (
        b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 3503616\n",
        "NOT_A_SQL_SERVER_BACKUP",
    ),
    "random bytes": (random.Random(7).randbytes(8192), "NOT_A_SQL_SERVER_BACKUP"),
    "truncated backup": (NORTHWIND.to_bytes()[:2500], "NOT_A_SQL_SERVER_BACKUP"),
    "mysqldump": (b"-- MySQL dump 10.13\n-- Host: localhost\n", "NOT_A_SQL_SERVER_BACKUP"),
    "html error page": (b"<!DOCTYPE html><html><body>403</body></html>", "NOT_A_SQL_SERVER_BACKUP"),
    "gzip of a backup": (gzip.compress(NORTHWIND.to_bytes()), "NOT_A_SQL_SERVER_BACKUP"),
    "file backup": (
        dataclasses.replace(NORTHWIND, type_letter=b"F").to_bytes(),
        "NOT_A_SQL_SERVER_BACKUP",
    ),
    "differential without its base (synthesised)": (
        samples.differential_image().to_bytes(),
        "BASE_BACKUP_MISSING",
    ),
    "real differential without its base": (
        partial(realbackups.read, "restoretimeclean/RestoreTimeClean2.bak"),
        "BASE_BACKUP_MISSING",
    ),
    "real log backup": (
        partial(realbackups.read, "restoretimeclean/RestoreTimeClean_1.trn"),
        "UNSUPPORTED_BACKUP_TYPE",
    ),
    "real password-protected": (
        partial(realbackups.read, "passwd.bak"),
        "PASSWORD_PROTECTED_BACKUP",
    ),
    "striped over 11 files": (
        dataclasses.replace(NORTHWIND, family_count=11, family_sequence_number=3).to_bytes(),
        "TOO_MANY_STRIPES",
    ),
    "from SQL Server 2022 onto 2019": (
        dataclasses.replace(NORTHWIND, sql_version=(16, 0), sql_build=1000).to_bytes(),
        "RESTORE_BACKUP_TOO_NEW",
    ),
    "from SQL Server 2005 onto 2019": (
        partial(realbackups.read, "Northwind-2005.bak"),
        "BACKUP_TOO_OLD",
    ),
}


def assert_refused_before_any_sql(runtime: LocalRuntime, code: str) -> None:
    execution, _ = ended_in_failure(runtime, code)
    assert EXECUTION_NAME.fullmatch(execution.name)
    for notification in runtime.notifications():
        assert SNS_SUBJECT.fullmatch(notification.subject), notification.subject
        assert len(notification.message.encode()) < SNS_MESSAGE_LIMIT
    assert runtime.sql.executed == []
    assert runtime.sql.tasks == []
    assert "Start Restore" not in execution.state_names


def upload_and_deliver(
    runtime: LocalRuntime,
    key: str,
    body: Body = None,
    metadata: dict[str, str] | None = None,
    backup: BackupInS3 | None = None,
) -> None:
    content = body() if callable(body) else body
    upload = runtime.upload(key, backup=backup, body=content, metadata=metadata)
    (started,) = runtime.deliver(upload.event)
    assert EXECUTION_NAME.fullmatch(str(started["execution_name"]))


@pytest.mark.parametrize(("key", "code"), KEY_CASES.values(), ids=KEY_CASES.keys())
def test_a_hostile_key_is_refused_before_any_sql(
    runtime: LocalRuntime, key: str, code: str
) -> None:
    upload_and_deliver(runtime, key)

    assert_refused_before_any_sql(runtime, code)


@pytest.mark.parametrize(("name", "code"), METADATA_CASES.values(), ids=METADATA_CASES.keys())
def test_a_hostile_database_name_override_is_refused_before_any_sql(
    runtime: LocalRuntime, name: str, code: str
) -> None:
    upload_and_deliver(runtime, "incoming/Northwind.bak", metadata={"database-name": name})

    assert_refused_before_any_sql(runtime, code)


@pytest.mark.parametrize(("body", "code"), BODY_CASES.values(), ids=BODY_CASES.keys())
def test_a_file_that_is_not_a_restorable_full_backup_is_refused_before_any_sql(
    runtime: LocalRuntime, body: Body, code: str
) -> None:
    upload_and_deliver(runtime, "incoming/Northwind.bak", body)

    assert_refused_before_any_sql(runtime, code)


@pytest.mark.parametrize(
    "key",
    ["incoming/Northwind.BAK.tmp", "incoming/Northwind.bak.part", "incoming/x.bak/", "x/", "a.bk"],
)
def test_a_key_without_the_bak_suffix_starts_nothing(runtime: LocalRuntime, key: str) -> None:
    upload = runtime.upload(key)

    assert runtime.deliver(upload.event) == []
    assert runtime.executions() == []
    assert runtime.sql.executed == []


@pytest.mark.parametrize(
    "key",
    [
        "incoming/Northwind.Bak",
        "incoming/Ünïcödé_Straße.bak",
        "incoming/Данные" + "Ж" * 122 + ".bak",  # 128 characters, nothing ASCII in it
        "incoming/Ab--c$d#e@f.bak",
        "incoming/" + "deep/" * 180 + "Deep.bak",  # a key near S3's 1,024-byte limit
    ],
    ids=["mixed-case suffix", "unicode", "128 cyrillic", "punctuation", "1000-byte key"],
)
def test_an_odd_but_valid_name_migrates_with_valid_aws_names_and_messages(
    start_runtime: StartRuntime, key: str
) -> None:
    database = key.rsplit("/", 1)[-1][:-4]
    runtime = start_runtime()
    backup = samples.backup_in_s3("Sales", restore_duration=timedelta(minutes=5))
    upload_and_deliver(runtime, key, backup=backup)

    runtime.run_until(
        lambda: any(runtime.dms.status(t.arn) == "running" for t in runtime.dms.tasks.values())
    )

    (task,) = runtime.dms.tasks.values()
    assert DMS_TASK_IDENTIFIER.fullmatch(task.identifier), task.identifier
    assert runtime.sql.databases >= {database}
    (execution,) = runtime.executions()
    assert EXECUTION_NAME.fullmatch(execution.name)
    assert execution.status == "RUNNING"
    for notification in runtime.notifications():
        assert SNS_SUBJECT.fullmatch(notification.subject), notification.subject
        assert database in notification.message

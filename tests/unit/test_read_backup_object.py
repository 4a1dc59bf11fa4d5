import copy
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bak2rds.adapters.s3 import ListedObject, ObjectFacts
from bak2rds.errors import (
    AwsAccessDenied,
    InvalidBackupObject,
    InvalidDatabaseName,
    UnusableBackup,
)
from bak2rds.steps import read_backup_object
from localrun import samples

EVENT = json.loads((Path(__file__).parents[2] / "events" / "start_migration.json").read_text())
VERSION = EVENT["detail"]["object"]["version-id"]


NORTHWIND = samples.backup_image()


@dataclass
class FakeBucket:
    objects: dict[tuple[str, str], ObjectFacts] = field(default_factory=dict)
    bodies: dict[tuple[str, str], bytes] = field(default_factory=dict)
    newest: dict[str, str] = field(default_factory=dict)
    heads: list[tuple[str, str]] = field(default_factory=list)
    reads: list[int] = field(default_factory=list)
    read_keys: list[str] = field(default_factory=list)
    denied: set[str] = field(default_factory=set)  # keys whose GET S3 refuses
    storage_classes: dict[str, str] = field(default_factory=dict)

    def put(
        self,
        key: str,
        size: int = 100_000,
        version: str = VERSION,
        metadata: dict[str, str] | None = None,
        body: bytes | None = None,
        storage_class: str = "STANDARD",
    ) -> None:
        self.storage_classes[key] = storage_class
        self.objects[(key, version)] = ObjectFacts(key, version, size, "etag", metadata or {})
        self.bodies[(key, version)] = (
            NORTHWIND.to_bytes(min(size, 100_000)) if body is None else body
        )
        self.newest[key] = version

    def read_start(self, bucket: str, key: str, version_id: str, length: int) -> bytes:
        self.reads.append(length)
        self.read_keys.append(key)
        if key in self.denied:
            raise AwsAccessDenied(f"S3 GetObject: Access Denied ({key})")
        return self.bodies[(key, version_id or self.newest[key])][:length]

    def head(self, bucket: str, key: str, version_id: str) -> ObjectFacts | None:
        self.heads.append((key, version_id))
        return self.objects.get((key, version_id or self.newest.get(key, "")))

    def list_objects(
        self, bucket: str, prefix: str, *, recursive: bool, limit: int
    ) -> tuple[list[ListedObject], bool]:
        keys = sorted(
            key
            for key in self.newest
            if key.startswith(prefix) and (recursive or "/" not in key[len(prefix) :])
        )
        listed = [
            ListedObject(
                k,
                self.objects[(k, self.newest[k])].size,
                storage_class=self.storage_classes.get(k, "STANDARD"),
            )
            for k in keys
        ]
        return listed[:limit], len(listed) > limit


def _event(key: str) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(EVENT)
    event["detail"]["object"]["key"] = key
    return event


def test_a_backup_becomes_a_migration() -> None:
    bucket = FakeBucket()
    bucket.put("incoming/Northwind.bak")
    migration = read_backup_object.run(EVENT, bucket, "aws")
    assert migration["database_name"] == "Northwind"
    assert migration["s3_arn"] == "arn:aws:s3:::bak2rds-staging/incoming/Northwind.bak"
    assert migration["version_id"] == VERSION


def test_url_encoded_keys_are_decoded() -> None:
    bucket = FakeBucket()
    bucket.put("in/Sales 2026.bak", metadata={"database-name": "Sales2026"})
    migration = read_backup_object.run(_event("in/Sales+2026.bak"), bucket, "aws")
    assert migration["key"] == "in/Sales 2026.bak"
    assert (migration["database_name"], migration["database_name_from"]) == (
        "Sales2026",
        "metadata",
    )


def test_a_key_sent_verbatim_is_found_too() -> None:
    bucket = FakeBucket()
    bucket.put("in/C++Lib.bak", metadata={"database-name": "CppLib"})
    migration = read_backup_object.run(_event("in/C++Lib.bak"), bucket, "aws-cn")
    assert migration["key"] == "in/C++Lib.bak"
    assert migration["s3_arn"].startswith("arn:aws-cn:s3:::")


@pytest.mark.parametrize(
    ("setup", "key", "code"),
    [
        (lambda b: None, "incoming/Northwind.bak", "BACKUP_OBJECT_MISSING"),
        (
            lambda b: b.put("incoming/Northwind.bak", size=0),
            "incoming/Northwind.bak",
            "EMPTY_BACKUP_OBJECT",
        ),
        (
            lambda b: b.put("incoming/Northwind.bak", size=6 * 1024**4),
            "incoming/Northwind.bak",
            "BACKUP_TOO_LARGE",
        ),
        (lambda b: b.put("x.bak.tmp"), "x.bak.tmp", "NOT_A_BAK_FILE"),
        (lambda b: b.put("folder/"), "folder/", "NOT_A_BAK_FILE"),
    ],
)
def test_bad_uploads_are_refused_with_their_code(setup: Any, key: str, code: str) -> None:
    bucket = FakeBucket()
    setup(bucket)
    with pytest.raises(InvalidBackupObject) as caught:
        read_backup_object.run(_event(key), bucket, "aws")
    assert caught.value.code == code


def test_a_superseded_version_is_not_restored() -> None:
    bucket = FakeBucket()
    bucket.put("incoming/Northwind.bak")
    bucket.put("incoming/Northwind.bak", version="newer")
    with pytest.raises(InvalidBackupObject) as caught:
        read_backup_object.run(EVENT, bucket, "aws")
    assert caught.value.code == "BACKUP_OBJECT_SUPERSEDED"


@pytest.mark.parametrize("override", ["x]; DROP DATABASE master;--", "", "master"])
def test_metadata_overrides_are_validated_like_keys(override: str) -> None:
    bucket = FakeBucket()
    bucket.put("incoming/Northwind.bak", metadata={"database-name": override})
    with pytest.raises(InvalidDatabaseName):
        read_backup_object.run(EVENT, bucket, "aws")


def test_the_header_facts_go_into_the_migration_from_one_read_of_at_most_1_mib() -> None:
    bucket = FakeBucket()
    bucket.put("incoming/Northwind.bak", size=5 * 1024**4)
    migration = read_backup_object.run(EVENT, bucket, "aws")
    assert bucket.reads == [1024 * 1024]
    assert migration["backup"] | {"backup_set_id": "-"} == {
        "header_read": True,
        "backup_type": "FULL",
        "source_database": "Northwind",
        "source_server": "EC2AMAZ-SOURCE",
        "sql_version": "15.0",
        "sql_build": "15.0.4236",
        "first_lsn": "00000014:000000f3:0001",
        "checkpoint_lsn": "00000014:000000f5:0001",
        "last_lsn": "00000014:000000fa:0001",
        "database_backup_lsn": None,
        "compressed": False,
        "backup_set_id": "-",
        "family_count": 1,
    }
    assert migration["restores"] == [
        {
            "restore_type": "FULL",
            "s3_arn": migration["s3_arn"],
            "keys": ["incoming/Northwind.bak"],
            "size_bytes": 5 * 1024**4,
            "with_norecovery": False,
            "backup": migration["backup"],
        }
    ]


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        (b"PGDMP\x01\x0e" + bytes(200), "NOT_A_SQL_SERVER_BACKUP", "PostgreSQL"),
        (b"version https://git-lfs.github.com/spec/v1\n", "NOT_A_SQL_SERVER_BACKUP", "LFS"),
        (NORTHWIND.to_bytes()[:3000], "NOT_A_SQL_SERVER_BACKUP", "truncated"),
        (
            samples.differential_image().to_bytes(),
            "BASE_BACKUP_MISSING",
            "differential backup of 'Northwind'; its base is the full backup with checkpoint",
        ),
        (
            dataclasses.replace(NORTHWIND, backup_type="LOG").to_bytes(),
            "UNSUPPORTED_BACKUP_TYPE",
            "log backup",
        ),
        (
            dataclasses.replace(NORTHWIND, password_protected=True).to_bytes(),
            "PASSWORD_PROTECTED_BACKUP",
            "password",
        ),
        (
            dataclasses.replace(NORTHWIND, family_count=11, family_sequence_number=2).to_bytes(),
            "TOO_MANY_STRIPES",
            "striped over 11 files; RDS restores from at most 10",
        ),
    ],
    ids=["pg_dump", "lfs-pointer", "truncated", "differential alone", "log", "password", "stripes"],
)
def test_a_backup_rds_must_not_restore_is_refused_from_its_header(
    body: bytes, code: str, says: str
) -> None:
    bucket = FakeBucket()
    bucket.put("incoming/Northwind.bak", size=len(body), body=body)
    with pytest.raises(UnusableBackup, match=says) as caught:
        read_backup_object.run(EVENT, bucket, "aws")
    assert caught.value.code == code


def test_a_compressed_backup_is_accepted_with_its_header_unread() -> None:
    bucket = FakeBucket()
    bucket.put("incoming/Northwind.bak", body=b"MSSQLBAK" + bytes(4096))
    migration = read_backup_object.run(EVENT, bucket, "aws")
    assert migration["backup"] == {"header_read": False, "compressed": True}

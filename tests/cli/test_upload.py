"""``bak2rds upload``: refused before a byte is sent, or sent with a checksum S3 verifies."""

from __future__ import annotations

import base64
import zlib
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from bak2rds_cli import upload
from bak2rds_cli.main import app
from tests import realbackups

from .conftest import STACK, Aws

runner = CliRunner()


def _nothing_in(bucket: str) -> bool:
    s3 = boto3.client("s3")
    return not s3.list_object_versions(Bucket=bucket).get(
        "Versions"
    ) and not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def _copy(tmp_path: Path, name: str, as_name: str, pad_to: int = 0) -> Path:
    data = realbackups.read(name)
    path = tmp_path / as_name
    path.write_bytes(data + b"\0" * max(0, pad_to - len(data)))
    return path


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("check-source", "upload", "status", "show"):
        assert command in result.output


@pytest.mark.parametrize(
    ("name", "as_name", "code"),
    [
        (
            "restoretimeclean/RestoreTimeClean_1.trn",
            "RestoreTimeClean.bak",
            "UNSUPPORTED_BACKUP_TYPE",
        ),
        ("passwd.bak", "passwd.bak", "PASSWORD_PROTECTED_BACKUP"),
        ("PROVENANCE.md", "notes.bak", "NOT_A_SQL_SERVER_BACKUP"),
        ("restoretimeclean/RestoreTimeClean_1.trn", "RestoreTimeClean_1.trn", "NOT_A_BAK_FILE"),
    ],
)
def test_what_the_preflight_would_refuse_is_refused_before_a_byte_is_sent(
    aws: Aws, tmp_path: Path, name: str, as_name: str, code: str
) -> None:
    good = _copy(tmp_path, "sample-2019.bak", "Sample.bak")
    bad = _copy(tmp_path, name, as_name)

    result = runner.invoke(app, ["upload", str(good), str(bad), "--bucket", aws.bucket])

    assert result.exit_code == 1
    assert code in result.output and "nothing sent" in result.output
    assert _nothing_in(aws.bucket)  # not even the good file: the call is refused as a whole


def test_a_backup_newer_than_the_stacks_engine_is_refused(aws: Aws, tmp_path: Path) -> None:
    boto3.client("rds").modify_db_instance(
        DBInstanceIdentifier="bak2rds-target", EngineVersion="14.00.3451.2.v1"
    )
    backup = _copy(tmp_path, "sample-2019.bak", "Sample.bak")  # SQL Server 2019 (15.0)

    result = runner.invoke(app, ["upload", str(backup), "--stack", STACK, "--follow-seconds", "0"])

    assert result.exit_code == 1
    assert "RESTORE_BACKUP_TOO_NEW" in result.output
    assert _nothing_in(aws.bucket)


def test_a_backup_is_sent_in_parallel_parts_with_its_metadata_and_a_verified_crc32(
    aws: Aws, tmp_path: Path
) -> None:
    backup = _copy(tmp_path, "sample-2019.bak", "Sample.bak", pad_to=20 * 1024 * 1024)

    result = runner.invoke(
        app,
        [
            "upload",
            str(backup),
            "--stack",
            STACK,
            "--database",
            "Sample_RDS",
            "--workers",
            "3",
            "--follow-seconds",
            "0",
        ],
    )

    assert result.exit_code == 0, result.output
    expected = base64.b64encode(zlib.crc32(backup.read_bytes()).to_bytes(4, "big")).decode()
    assert f"3 part(s), CRC32 {expected} verified by S3" in result.output
    assert "No migration seen yet" in result.output
    head = boto3.client("s3").head_object(
        Bucket=aws.bucket, Key="incoming/Sample.bak", ChecksumMode="ENABLED"
    )
    assert head["Metadata"] == {"database-name": "Sample_RDS"}
    assert head["ContentLength"] == backup.stat().st_size
    assert head["ChecksumCRC32"] == expected


def test_a_checksum_mismatch_creates_no_object(
    aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = _copy(tmp_path, "sample-2019.bak", "Sample.bak")
    # What S3 receives no longer matches what was read (a part corrupted on the way)
    monkeypatch.setattr(upload, "running_crc32", lambda data, crc: zlib.crc32(data, crc) ^ 1)

    result = runner.invoke(app, ["upload", str(backup), "--bucket", aws.bucket])

    assert result.exit_code == 1
    assert "checksum mismatch" in result.output and "Nothing was created" in result.output
    assert _nothing_in(aws.bucket)  # no object, and the multipart upload was aborted


def test_a_base_is_staged_and_a_striped_set_goes_into_one_folder(aws: Aws, tmp_path: Path) -> None:
    full = _copy(tmp_path, "sample-2019.bak", "Sample.bak")
    stripes = [
        _copy(tmp_path, f"stripe/{name}", name)
        for name in ("Stripe1_RestoreTimeStripe.bak", "Stripe2_RestoreTimeStripe1.bak")
    ]

    staged = runner.invoke(app, ["upload", str(full), "--bucket", aws.bucket, "--stage"])
    striped = runner.invoke(
        app, ["upload", *map(str, stripes), "--bucket", aws.bucket, "--prefix", "sets/stripe"]
    )

    assert staged.exit_code == 0 and "Staged: it starts nothing" in staged.output
    assert striped.exit_code == 0, striped.output
    listed = boto3.client("s3").list_objects_v2(Bucket=aws.bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == [
        "sets/stripe/Stripe1_RestoreTimeStripe.bak",
        "sets/stripe/Stripe2_RestoreTimeStripe1.bak",
        "staged/Sample.bak",
    ]


def test_part_sizes_keep_within_s3s_10000_parts() -> None:
    assert upload.part_size_for(1) == 8 * 1024 * 1024
    five_tb = 5 * 1000**4
    assert upload.part_size_for(five_tb) * upload.MAX_PARTS >= five_tb
    assert upload.part_size_for(five_tb) % (1024 * 1024) == 0


def test_a_part_that_fails_stops_the_upload_and_leaves_no_parts(
    aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = _copy(tmp_path, "sample-2019.bak", "Sample.bak", pad_to=40 * 1024 * 1024)
    s3: Any = boto3.client("s3")
    sent: list[int] = []
    real_upload_part = s3.upload_part

    def flaky_upload_part(**kwargs: Any) -> Any:
        sent.append(int(kwargs["PartNumber"]))
        if kwargs["PartNumber"] == 2:
            raise OSError("connection reset")
        return real_upload_part(**kwargs)

    monkeypatch.setattr(s3, "upload_part", flaky_upload_part)
    with pytest.raises(OSError, match="connection reset"):
        upload.upload_file(s3, backup, aws.bucket, "incoming/Sample.bak", {}, workers=1)

    assert len(sent) < 5  # it stopped reading once part 2 failed (5 parts in all)
    assert _nothing_in(aws.bucket)

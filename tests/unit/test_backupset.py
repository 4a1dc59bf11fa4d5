"""bak2rds.backupset: a differential's base and a striped set's files, found by header only."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from bak2rds.backupfile import read_backup_header
from bak2rds.backupset import BackupFinder, FoundBackup, StripeSet
from bak2rds.errors import UnusableBackup
from bak2rds.lsn import Lsn
from localrun import samples
from localrun.backupimage import BackupImage
from tests import realbackups
from tests.unit.test_read_backup_object import FakeBucket

OLA = "olamsfilter-complex"
FULL_1413 = f"{OLA}/Full/test_FULL_20160629_141300.bak"
FULL_1422 = f"{OLA}/Full/test_FULL_20160629_142200.bak"
DIFF_1416 = f"{OLA}/Diff/test_DIFF_20160629_141600.bak"
STRIPES = ["stripe/Stripe1_RestoreTimeStripe.bak", "stripe/Stripe2_RestoreTimeStripe1.bak"]


def put_real(bucket: FakeBucket, key: str, name: str) -> FoundBackup:
    body = realbackups.read(name)
    bucket.put(key, size=len(body), body=body)
    return FoundBackup(key, len(body), read_backup_header(body))


def put_image(bucket: FakeBucket, key: str, image: BackupImage) -> FoundBackup:
    body = image.to_bytes()
    bucket.put(key, size=len(body), body=body)
    return FoundBackup(key, len(body), read_backup_header(body))


def test_the_base_is_the_full_the_differential_names_not_the_newest_or_the_nearest() -> None:
    bucket = FakeBucket()
    put_real(bucket, "staged/a.bak", FULL_1422)  # newer, same database: not the base
    base = put_real(bucket, "staged/old/b.bak", FULL_1413)  # found under staged/, any depth
    diff = put_real(bucket, "Diff/d.bak", DIFF_1416)

    found = BackupFinder(bucket, "b").base_of(diff)

    assert found.keys == [base.key]
    assert found.header.backup_set_id == diff.header.database_backup_id


def test_a_full_with_the_right_checkpoint_but_another_backup_set_is_never_the_base() -> None:
    # What a copy-only full, or a full of a copy of the database, looks like from the
    # differential's side: the LSN may match, the backup set it names does not.
    bucket = FakeBucket()
    real = read_backup_header(realbackups.read(FULL_1413))
    assert real.first_lsn and real.checkpoint_lsn and real.last_lsn
    impostor = BackupImage(
        real.database_name, real.first_lsn, real.checkpoint_lsn, real.last_lsn,
        backup_set_id=uuid.uuid4(),
    )  # fmt: skip
    put_image(bucket, "staged/copy_only.bak", impostor)
    diff = put_real(bucket, "Diff/d.bak", DIFF_1416)

    with pytest.raises(UnusableBackup, match="no such full backup") as caught:
        BackupFinder(bucket, "b").base_of(diff)
    assert caught.value.code == "BASE_BACKUP_MISSING"


def test_a_full_of_another_database_is_never_the_base() -> None:
    bucket = FakeBucket()
    real = read_backup_header(realbackups.read(FULL_1413))
    assert real.first_lsn and real.checkpoint_lsn and real.last_lsn
    other = BackupImage(
        "Payroll", real.first_lsn, real.checkpoint_lsn, real.last_lsn,
        backup_set_id=real.backup_set_id,
    )  # fmt: skip
    put_image(bucket, "staged/payroll.bak", other)
    diff = put_real(bucket, "Diff/d.bak", DIFF_1416)

    with pytest.raises(UnusableBackup, match="BASE_BACKUP_MISSING"):
        BackupFinder(bucket, "b").base_of(diff)


def test_a_base_outside_staged_and_the_differentials_folder_is_not_looked_for() -> None:
    bucket = FakeBucket()
    put_real(bucket, "Full/base.bak", FULL_1413)  # Ola's own layout, not staged/
    diff = put_real(bucket, "Diff/d.bak", DIFF_1416)

    with pytest.raises(UnusableBackup) as caught:
        BackupFinder(bucket, "b").base_of(diff)
    assert "s3://b/staged/ and s3://b/Diff/ (that folder only)" in str(caught.value)


def test_a_striped_base_is_used_only_with_every_stripe() -> None:
    bucket = FakeBucket()
    full = BackupImage("Sales", Lsn(30, 10, 1), Lsn(30, 12, 1), Lsn(30, 20, 1), family_count=2)
    put_image(bucket, "staged/Sales_1.bak", full)
    diff = put_image(
        bucket,
        "in/Sales_diff.bak",
        samples.differential_of(full, Lsn(30, 40, 1), Lsn(30, 50, 1)),
    )
    with pytest.raises(UnusableBackup, match=r"stripe\(s\) 2 of 2 are not in"):
        BackupFinder(bucket, "b").base_of(diff)

    put_image(bucket, "staged/Sales_2.bak", dataclasses.replace(full, family_sequence_number=2))
    finder = BackupFinder(bucket, "b")
    base = finder.base_of(diff)

    assert base.keys == ["staged/Sales_1.bak", "staged/Sales_2.bak"]
    assert finder.restore_arn(base, "aws") == "arn:aws:s3:::b/staged/Sales_*"


def test_a_stripe_set_is_the_files_of_one_media_and_backup_set_in_one_folder() -> None:
    bucket = FakeBucket()
    first = put_real(bucket, STRIPES[0], STRIPES[0])
    put_real(bucket, "elsewhere/Stripe2_RestoreTimeStripe1.bak", STRIPES[1])  # other folder
    put_real(bucket, "stripe/unrelated.bak", FULL_1413)

    alone = BackupFinder(bucket, "b").stripes_of(first)
    assert (alone.family_count, alone.keys, alone.missing) == (2, [STRIPES[0]], [2])

    put_real(bucket, STRIPES[1], STRIPES[1])
    whole = BackupFinder(bucket, "b").stripes_of(first)
    assert (whole.keys, whole.missing) == (STRIPES, [])


@pytest.mark.parametrize(
    ("keys", "wildcard"),
    [
        (["in/Sales_1.bak", "in/Sales_2.bak", "in/Sales_3.bak"], "in/Sales_*"),
        (["x/backup1-of-2.bak", "x/backup2-of-2.bak"], "x/backup*"),  # rds_backup_database's
        (STRIPES, "stripe/Stripe*"),
    ],
)
def test_the_restore_wildcard_is_the_stripes_common_prefix(keys: list[str], wildcard: str) -> None:
    bucket = FakeBucket()
    image = BackupImage("Sales", Lsn(1, 1, 1), Lsn(1, 1, 1), Lsn(1, 2, 1), family_count=len(keys))
    files = StripeSet(
        len(keys),
        tuple(
            put_image(bucket, key, dataclasses.replace(image, family_sequence_number=n))
            for n, key in enumerate(keys, start=1)
        ),
    )
    assert BackupFinder(bucket, "b").restore_arn(files, "aws") == f"arn:aws:s3:::b/{wildcard}"


@pytest.mark.parametrize(
    ("other", "says"),
    [
        ("in/Sales_old.bak", "also matches in/Sales_old.bak"),
        ("in/Sales_1.bak.md5", "also matches in/Sales_1.bak.md5"),  # any suffix, as RDS reads
        ("in/Sales_/more/deep.bak", "also matches in/Sales_/more/deep.bak"),  # keys, not folders
    ],
)
def test_a_wildcard_that_also_matches_another_object_is_refused(other: str, says: str) -> None:
    bucket = FakeBucket()
    image = BackupImage("Sales", Lsn(1, 1, 1), Lsn(1, 1, 1), Lsn(1, 2, 1), family_count=2)
    files = StripeSet(
        2,
        (
            put_image(bucket, "in/Sales_1.bak", image),
            put_image(
                bucket, "in/Sales_2.bak", dataclasses.replace(image, family_sequence_number=2)
            ),
        ),
    )
    bucket.put(other, size=10, body=b"0123456789")

    with pytest.raises(UnusableBackup, match=says) as caught:
        BackupFinder(bucket, "b").restore_arn(files, "aws")
    assert caught.value.code == "STRIPE_SET_AMBIGUOUS"


def test_stripes_without_a_common_file_name_prefix_are_refused() -> None:
    bucket = FakeBucket()
    image = BackupImage("Sales", Lsn(1, 1, 1), Lsn(1, 1, 1), Lsn(1, 2, 1), family_count=2)
    files = StripeSet(
        2,
        (
            put_image(bucket, "in/a.bak", image),
            put_image(bucket, "in/b.bak", dataclasses.replace(image, family_sequence_number=2)),
        ),
    )
    with pytest.raises(UnusableBackup, match="no file name prefix in common"):
        BackupFinder(bucket, "b").restore_arn(files, "aws")


def test_stripes_are_found_among_more_backups_than_bak2rds_reads() -> None:
    # A dump folder with 120 other backups sorting before the stripes: the stripes share
    # most of the uploaded file's name, so they are read first.
    bucket = FakeBucket()
    other = samples.backup_image("Other").to_bytes()
    for n in range(120):
        bucket.put(f"stripe/A_{n:03}.bak", size=len(other), body=other)
    first = put_real(bucket, STRIPES[0], STRIPES[0])
    put_real(bucket, STRIPES[1], STRIPES[1])

    finder = BackupFinder(bucket, "b")
    whole = finder.stripes_of(first)

    assert (whole.keys, whole.missing) == (STRIPES, [])
    assert finder.headers_read < 10


def test_a_stripe_search_cut_short_says_so_instead_of_waiting_for_ever() -> None:
    bucket = FakeBucket()
    image = BackupImage("Sales", Lsn(1, 1, 1), Lsn(1, 1, 1), Lsn(1, 2, 1), family_count=2)
    first = put_image(bucket, "dump/Sales_1.bak", image)
    other = samples.backup_image("Other").to_bytes()
    for n in range(120):  # share the prefix better than the real second stripe does
        bucket.put(f"dump/Sales_1_{n:03}.bak", size=len(other), body=other)
    put_image(bucket, "dump/Sales_2.bak", dataclasses.replace(image, family_sequence_number=2))

    with pytest.raises(UnusableBackup, match="holds more backups than bak2rds reads") as caught:
        BackupFinder(bucket, "b").stripes_of(first)
    assert caught.value.code == "STRIPE_SET_AMBIGUOUS"


def test_an_object_s3_will_not_let_bak2rds_read_is_passed_over() -> None:
    bucket = FakeBucket()
    bucket.put("staged/locked.bak")
    bucket.denied.add("staged/locked.bak")  # another KMS key, say
    bucket.put("staged/archived.bak", storage_class="DEEP_ARCHIVE")
    base = put_real(bucket, "staged/base.bak", FULL_1413)
    diff = put_real(bucket, "Diff/d.bak", DIFF_1416)

    assert BackupFinder(bucket, "b").base_of(diff).keys == [base.key]
    assert "staged/archived.bak" not in bucket.read_keys

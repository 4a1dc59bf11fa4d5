"""localrun.backupimage writes headers that read back as what a real backup says.

The workflow tests upload synthesised backups; these tests keep the synthesiser honest by
writing each real backup's facts out again and reading them back with the production reader.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bak2rds.backupfile import NotASqlServerBackup, read_backup_header
from bak2rds.lsn import Lsn
from localrun.backupimage import BackupImage
from tests.unit.test_backupfile import EXPECTED, backups, header

__all__ = ["backups"]  # the fixture, imported for its name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_given_a_real_backups_facts_when_written_and_read_then_they_are_the_same(
    backups: Path, name: str
) -> None:
    real = header(backups, name)
    fields = {
        f.name: getattr(real, f.name)
        for f in dataclasses.fields(BackupImage)
        if f.name != "type_letter"
    }
    image = BackupImage(**fields)

    assert read_backup_header(image.to_bytes()) == dataclasses.replace(real, compressed=False)


def test_given_a_file_backup_type_then_the_reader_rejects_the_image() -> None:
    image = BackupImage("db", Lsn(1, 1, 1), Lsn(1, 1, 1), Lsn(1, 2, 1), type_letter=b"F")

    with pytest.raises(NotASqlServerBackup, match="file or partial backup"):
        read_backup_header(image.to_bytes())


def test_given_a_size_then_the_image_has_exactly_that_many_bytes() -> None:
    image = BackupImage("db", Lsn(1, 1, 1), Lsn(1, 1, 1), Lsn(1, 2, 1))

    assert len(image.to_bytes(200_000)) == 200_000

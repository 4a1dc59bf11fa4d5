"""The default backup every local run and test starts from, in one place.

Its LSNs are docs/design.md's example: ``first_lsn`` 20000000024300001 is DMS's
``00000014:000000f3:0001``. Tests that need other values say so next to the test.
"""

from __future__ import annotations

from datetime import timedelta

from bak2rds.lsn import Lsn
from localrun.backupimage import BackupImage
from localrun.sqlserver import BackupInS3

DATABASE = "Northwind"
FIRST_LSN = Lsn(20, 243, 1)
CHECKPOINT_LSN = Lsn(20, 245, 1)
LAST_LSN = Lsn(20, 250, 1)


def backup_image(database: str = DATABASE) -> BackupImage:
    """The first blocks of the default full backup, as SQL Server writes them."""
    return BackupImage(database, FIRST_LSN, CHECKPOINT_LSN, LAST_LSN)


def differential_of(full: BackupImage, first_lsn: Lsn, last_lsn: Lsn) -> BackupImage:
    """A differential whose base is ``full`` (its checkpoint LSN and backup set GUID)."""
    return BackupImage(
        full.database_name,
        first_lsn,
        first_lsn,
        last_lsn,
        backup_type="DIFFERENTIAL",
        database_backup_lsn=full.checkpoint_lsn,
        database_backup_id=full.backup_set_id,
    )


def differential_image(database: str = DATABASE) -> BackupImage:
    """A differential of a default full backup whose backup set GUID is random: no other
    upload is ever its base."""
    return differential_of(backup_image(database), Lsn(20, 400, 1), Lsn(20, 410, 1))


def backup_in_s3(
    database: str = DATABASE,
    restore_duration: timedelta = timedelta(minutes=10),
    fails_with: str | None = None,
) -> BackupInS3:
    """What the simulated RDS instance finds in S3 for the default backup."""
    return BackupInS3(
        database,
        FIRST_LSN.to_numeric(),
        CHECKPOINT_LSN.to_numeric(),
        LAST_LSN.to_numeric(),
        restore_duration,
        fails_with,
    )

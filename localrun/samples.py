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

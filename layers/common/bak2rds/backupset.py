"""The files one migration restores, found by their headers: a striped set's stripes, and the
full backup a differential is based on.

A full backup parked under ``staged/`` starts nothing (Start Migration skips that prefix). A
differential dropped anywhere else finds its base among the objects under ``staged/`` and in
its own folder by what the headers say, never by file name or upload time: a FULL backup of
the same database whose ``checkpoint_lsn`` is the differential's ``database_backup_lsn`` and
whose backup set GUID is the differential's ``database_backup_id`` (msdb's
``differential_base_guid``). "A copy-only backup cannot serve as a differential base"
(Microsoft Learn, "Using Differential Backups"), so no differential names a copy-only full.

A striped set is the files whose headers carry one media set GUID and one backup set GUID.
RDS restores it from "the prefix that the files have in common, then suffix that with an
asterisk (*)", and "make sure ... that no other files use that prefix" (RDS user guide,
"Using native backup and restore"): ``restore_arn`` refuses a prefix that matches anything
else, and a set of more than 10 files is refused before ("You can't back up to or restore
from more than 10 backup files at the same time", ibid., "Limitations and recommendations").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bak2rds.adapters.s3 import ListedObject, ObjectFacts
from bak2rds.backupfile import HEADER_READ_BYTES, BackupHeader, NotASqlServerBackup
from bak2rds.backupfile import read_backup_header as _read_header
from bak2rds.errors import AwsAccessDenied, InvalidBackupObject, UnusableBackup
from bak2rds.lsn import Lsn
from bak2rds.naming import BACKUP_SUFFIX

STAGED_PREFIX = "staged/"
MAX_RESTORE_FILES = 10
MAX_RESTORE_FILE_BYTES = 5 * 1024**4  # "a size limit of 5 TB per file"
# Headers read while looking for stripes or a base: each is one ranged GET of at most 1 MiB.
MAX_HEADERS_READ = 100
_MAX_LISTED = 1000
_ARCHIVED = frozenset({"GLACIER", "DEEP_ARCHIVE"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BucketReader(Protocol):
    """What finding files needs of the staging bucket (``adapters.s3.StagingBucket``)."""

    def head(self, bucket: str, key: str, version_id: str) -> ObjectFacts | None: ...
    def read_start(self, bucket: str, key: str, version_id: str, length: int) -> bytes: ...
    def list_objects(
        self, bucket: str, prefix: str, *, recursive: bool, limit: int
    ) -> tuple[list[ListedObject], bool]: ...


def is_staged(key: str) -> bool:
    """A key under ``staged/`` (S3 keys are case-sensitive, and so is this prefix)."""
    return key.startswith(STAGED_PREFIX)


def folder_of(key: str) -> str:
    """``Full/db.bak`` → ``Full/``; a key at the top of the bucket → ``""``."""
    return key[: key.rfind("/") + 1]


@dataclass(frozen=True)
class FoundBackup:
    key: str
    size: int
    header: BackupHeader


@dataclass(frozen=True)
class StripeSet:
    """The files of one backup set that are in the bucket, by family sequence number."""

    family_count: int
    files: tuple[FoundBackup, ...]

    @property
    def missing(self) -> list[int]:
        present = {found.header.family_sequence_number for found in self.files}
        return [n for n in range(1, self.family_count + 1) if n not in present]

    @property
    def keys(self) -> list[str]:
        return [found.key for found in self.files]

    @property
    def size(self) -> int:
        return sum(found.size for found in self.files)

    @property
    def header(self) -> BackupHeader:
        return self.files[0].header


class BackupFinder:
    """Reads the headers of a bucket's objects, each at most once per invocation."""

    def __init__(self, reader: BucketReader, bucket: str) -> None:
        self._reader = reader
        self.bucket = bucket
        self._headers: dict[str, BackupHeader | None] = {}
        self.headers_read = 0
        self.search_cut_short = False  # a listing or the header reads stopped at their cap

    def stripes_of(self, found: FoundBackup) -> StripeSet:
        """Every file of ``found``'s backup set in its folder (itself when it is not striped)."""
        wanted = found.header
        files = {wanted.family_sequence_number: found}
        if wanted.family_count > 1:
            folder = folder_of(found.key)
            # Stripes usually share most of their name: those are read first.
            listed_here = sorted(
                self._list(folder, recursive=False),
                key=lambda o: (-len(os.path.commonprefix([o.key, found.key])), o.key),  # noqa: RUF071
            )
            for listed in listed_here:
                if len(files) == wanted.family_count:
                    break  # every stripe is found
                other = self._header(listed) if listed.key != found.key else None
                if (
                    other is not None
                    and other.media_set_id == wanted.media_set_id
                    and other.backup_set_id == wanted.backup_set_id
                ):
                    files.setdefault(
                        other.family_sequence_number, FoundBackup(listed.key, listed.size, other)
                    )
        stripes = StripeSet(wanted.family_count, tuple(files[n] for n in sorted(files)))
        if stripes.missing and self.search_cut_short:
            raise UnusableBackup(
                f"{self._where(folder)} holds more backups than bak2rds reads while looking "
                f"for the stripes of {self._where(found.key)} ({MAX_HEADERS_READ} headers, "
                f"{_MAX_LISTED} keys); stripe(s) {_numbers(stripes.missing)} of "
                f"{stripes.family_count} were not among them",
                code="STRIPE_SET_AMBIGUOUS",
            )
        return stripes

    def base_of(self, differential: FoundBackup) -> StripeSet:
        """The full backup (all its stripes) ``differential`` is based on, or raise
        BASE_BACKUP_MISSING saying what was looked for and where."""
        diff = differential.header
        places = [(STAGED_PREFIX, True), (folder_of(differential.key), False)]
        for prefix, recursive in places:
            # The newest first: a base is usually the latest full, taken days ago at most.
            listed_here = sorted(
                self._list(prefix, recursive=recursive),
                key=lambda o: (o.last_modified is None, -(o.last_modified or _EPOCH).timestamp()),
            )
            for listed in listed_here:
                header = self._header(listed)
                if header is not None and _is_base_of(header, diff):
                    base = self.stripes_of(FoundBackup(listed.key, listed.size, header))
                    if base.missing:
                        raise UnusableBackup(
                            f"{self._where(differential.key)} is based on the full backup in "
                            f"{self._where(listed.key)}, a striped backup whose stripe(s) "
                            f"{_numbers(base.missing)} of {base.family_count} are not in "
                            f"{self._where(folder_of(listed.key))}",
                            code="BASE_BACKUP_MISSING",
                        )
                    return base
        searched = " and ".join(
            self._where(prefix) + ("" if recursive else " (that folder only)")
            for prefix, recursive in dict.fromkeys(places)
        )
        raise UnusableBackup(
            f"{self._where(differential.key)} is a differential backup of "
            f"{diff.database_name!r}; its base is the full backup with checkpoint LSN "
            f"{_lsn_text(diff.database_backup_lsn)} (backup set {diff.database_backup_id}), and "
            f"no such full backup is under {searched} ({self.headers_read} backup headers read"
            + (
                f"; the search stopped there, at most {MAX_HEADERS_READ} headers and "
                f"{_MAX_LISTED} keys per place: keep staged/ to the bases you need"
                if self.search_cut_short
                else ""
            )
            + ")",
            code="BASE_BACKUP_MISSING",
        )

    def restore_arn(self, files: StripeSet, partition: str) -> str:
        """The ``@s3_arn_to_restore_from`` for these files: the key itself, or for a striped
        set ``<common prefix>*``, which must match exactly the set's files."""
        if files.family_count == 1:
            return f"arn:{partition}:s3:::{self.bucket}/{files.keys[0]}"
        keys = sorted(files.keys)
        prefix = os.path.commonprefix(keys)  # noqa: RUF071 - characters, as RDS matches
        if not prefix or prefix.endswith("/"):
            raise UnusableBackup(
                f"the {files.family_count} stripes in {self._where(folder_of(keys[0]))} have "
                f"no file name prefix in common ({', '.join(keys)}), and RDS restores a striped "
                "backup from '<prefix>*'",
                code="STRIPE_SET_AMBIGUOUS",
            )
        matched, more = self._reader.list_objects(
            self.bucket, prefix, recursive=True, limit=MAX_RESTORE_FILES + 20
        )
        others = [listed.key for listed in matched if listed.key not in keys]
        if others or more:
            shown = ", ".join(others[:5]) + (" and more" if more or len(others) > 5 else "")
            raise UnusableBackup(
                f"RDS would restore the striped backup from {self._where(prefix)}*, and that "
                f"prefix also matches {shown}, which is not one of its {files.family_count} "
                "stripes",
                code="STRIPE_SET_AMBIGUOUS",
            )
        return f"arn:{partition}:s3:::{self.bucket}/{prefix}*"

    def _list(self, prefix: str, recursive: bool) -> list[ListedObject]:
        """The objects that may be backups: ``.bak``, not empty, not archived (neither RDS
        nor a ranged GET reads a Glacier Flexible Retrieval or Deep Archive object)."""
        listed, more = self._reader.list_objects(
            self.bucket, prefix, recursive=recursive, limit=_MAX_LISTED
        )
        self.search_cut_short |= more
        return [
            o
            for o in listed
            if o.size > 0
            and o.key.lower().endswith(BACKUP_SUFFIX)
            and o.storage_class not in _ARCHIVED
        ]

    def _header(self, listed: ListedObject) -> BackupHeader | None:
        """The header of a backup object; None for anything that is not a readable backup,
        or that S3 does not let bak2rds read (one such file does not stop the search; a
        transient S3 error raises, to be tried again)."""
        if listed.key in self._headers:
            return self._headers[listed.key]
        if self.headers_read >= MAX_HEADERS_READ:
            self.search_cut_short = True  # a folder of thousands must not cost a GET each
            return None
        self.headers_read += 1
        try:
            start = self._reader.read_start(
                self.bucket, listed.key, "", min(listed.size, HEADER_READ_BYTES)
            )
            header: BackupHeader | None = _read_header(start)
        except (NotASqlServerBackup, AwsAccessDenied, InvalidBackupObject):
            header = None
        self._headers[listed.key] = header
        return header

    def _where(self, key_or_prefix: str) -> str:
        return f"s3://{self.bucket}/{key_or_prefix}"


def _is_base_of(full: BackupHeader, differential: BackupHeader) -> bool:
    return (
        full.backup_type == "FULL"
        and differential.database_backup_id is not None
        and full.backup_set_id == differential.database_backup_id
        and full.checkpoint_lsn == differential.database_backup_lsn
        and full.database_name.casefold() == differential.database_name.casefold()
    )


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def _lsn_text(lsn: Lsn | None) -> str:
    return "none" if lsn is None else lsn.to_dms()

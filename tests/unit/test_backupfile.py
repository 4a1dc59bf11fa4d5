"""bak2rds.backupfile against real SQL Server backups and against files that are not backups.

The real files live outside the repository (see ../shared/backups/PROVENANCE.md). Expected
values come from what is known without this parser: the version suffix in the file name,
the folder a file came from (a chain, a striped pair, a password-protected backup) and the
public RTM build numbers of each SQL Server version. LSN values are pinned from hexdumps and
their meaning is checked by how the chain links up.
"""

from __future__ import annotations

import io
import itertools
import random
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bak2rds.backupfile import (
    HEADER_READ_BYTES,
    BackupHeader,
    CompressedBackup,
    NotASqlServerBackup,
    read_backup_header,
)
from bak2rds.lsn import Lsn
from tests import realbackups

FULL = "restoretimeclean/RestoreTimeClean.bak"
DIFF = "restoretimeclean/RestoreTimeClean2.bak"
LOGS = [f"restoretimeclean/RestoreTimeClean_{n}.trn" for n in (1, 2, 3)]
STRIPES = ["stripe/Stripe1_RestoreTimeStripe.bak", "stripe/Stripe2_RestoreTimeStripe1.bak"]

# Ola Hallengren's layout: <Full|Diff|Log>/test_<TYPE>_<yyyymmdd_hhmmss>.<bak|trn>, names in
# time order (PROVENANCE.md). The 19,968-byte logs were taken when nothing had been logged
# since the previous log backup: they hold no log records.
OLA = "olamsfilter-complex"
OLA_TIMES = {
    "FULL": ["141300", "142200"],
    "DIFF": ["141600", "141900", "142500", "142800"],
    "LOG": [f"14{m}00" for m in (14, 15, 17, 18, 20, 21, 23, 24, 26, 27, 29, 30)],
}
OLA_EMPTY_LOGS = {f"14{m}00" for m in (15, 18, 21, 24, 27, 30)}


def ola_name(kind: str, time: str) -> str:
    folder, suffix = kind.capitalize(), "trn" if kind == "LOG" else "bak"
    return f"{OLA}/{folder}/test_{kind}_20160629_{time}.{suffix}"


OLA_BY_TIME = sorted(
    ((time, kind, ola_name(kind, time)) for kind, times in OLA_TIMES.items() for time in times)
)
OLA_LOGS = [name for _, kind, name in OLA_BY_TIME if kind == "LOG"]


@dataclass(frozen=True)
class Facts:
    backup_type: str
    database_name: str
    sql_version: tuple[int, int]
    sql_build: int
    server_name: str
    password_protected: bool = False
    family: tuple[int, int] = (1, 1)  # (family count, family sequence number)


# 9.00.1399, 10.50.1600, 11.0.2100 and 15.0.2000 are the public RTM builds of 2005, 2008 R2,
# 2012 and 2019; 10.50.4000 is 2008 R2 SP2 (both servers that made these say "SQL2008R2").
EXPECTED = {
    "Northwind-2005.bak": Facts("FULL", "Northwind", (9, 0), 1399, "I208789\\SQLEXPRESS"),
    "pubs-2012.bak": Facts("FULL", "pubs", (11, 0), 2100, "DESKTOP-7789AN9\\SQLEXPRESS"),
    "sample-2019.bak": Facts("FULL", "sample", (15, 0), 2000, "DESKTOP-AIQE648"),
    FULL: Facts("FULL", "RestoreTimeClean", (10, 50), 1600, "SQL2008"),
    DIFF: Facts("DIFFERENTIAL", "RestoreTimeClean", (10, 50), 1600, "SQL2008"),
    **{log: Facts("LOG", "RestoreTimeClean", (10, 50), 1600, "SQL2008") for log in LOGS},
    "singlerestore.bak": Facts("FULL", "singlerestore", (10, 50), 1600, "SQL2008"),
    # The database inside is a copy of the stripe test database: its data file is
    # ...\StripeTestrestoretimestripe.mdf, so the name is not the file name here.
    "passwd.bak": Facts(
        "FULL", "stripetest", (10, 50), 4000, "JUMPBOX\\SQL2008R2", password_protected=True
    ),
    STRIPES[0]: Facts(
        "FULL", "RestoreTimeStripe", (10, 50), 4042, "CGE100LAP-42\\SQL2008R2SP2", family=(2, 1)
    ),
    STRIPES[1]: Facts(
        "FULL", "RestoreTimeStripe", (10, 50), 4042, "CGE100LAP-42\\SQL2008R2SP2", family=(2, 2)
    ),
    # Taken on the machine that took the striped pair (same lab, same SQL Server build).
    **{
        name: Facts(
            {"FULL": "FULL", "DIFF": "DIFFERENTIAL", "LOG": "LOG"}[kind],
            "OlaMsFilterTest",
            (10, 50),
            4042,
            "CGE100LAP-42\\SQL2008R2SP2",
        )
        for _, kind, name in OLA_BY_TIME
    },
}

# (first, last, checkpoint, database backup) as read from hexdumps of the SCIN record.
PINNED_LSNS = {
    FULL: ("19:3e:aa", "19:84:1", "19:3e:aa", None),
    LOGS[0]: ("19:3e:aa", "19:99:1", "19:3e:aa", "19:3e:aa"),
    LOGS[1]: ("19:99:1", "19:a3:1", "19:3e:aa", "19:3e:aa"),
    LOGS[2]: ("19:a3:1", "19:ad:1", "19:3e:aa", "19:3e:aa"),
    DIFF: ("19:ad:26", "19:be:1", "19:ad:26", "19:3e:aa"),
    "Northwind-2005.bak": ("1f:14b:46", "1f:16b:1", "1f:14b:46", None),
    "sample-2019.bak": ("25:244:d3", "25:29b:1", "25:244:d3", None),
}


@pytest.fixture(scope="module")
def backups() -> Path:
    return realbackups.folder()


def header(backups: Path, name: str) -> BackupHeader:
    with (backups / name).open("rb") as file:
        return read_backup_header(file)


def head(backups: Path, name: str, size: int = HEADER_READ_BYTES) -> bytes:
    with (backups / name).open("rb") as file:
        return file.read(size)


def lsn(text: str | None) -> Lsn | None:
    return None if text is None else Lsn.parse(text)


# --- real backups -----------------------------------------------------------------------


def test_given_the_sample_folder_then_every_backup_in_it_has_expected_facts(
    backups: Path,
) -> None:
    found = {
        path.relative_to(backups).as_posix()
        for path in backups.rglob("*")
        if path.suffix in {".bak", ".trn"}
    }
    assert found == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_given_a_real_backup_when_read_then_the_header_matches_what_is_known(
    backups: Path, name: str
) -> None:
    facts = EXPECTED[name]
    got = header(backups, name)
    assert got.backup_type == facts.backup_type
    assert got.database_name == facts.database_name
    assert got.sql_version == facts.sql_version
    assert got.sql_build == facts.sql_build
    assert got.server_name == facts.server_name
    assert got.password_protected is facts.password_protected
    assert (got.family_count, got.family_sequence_number) == facts.family
    assert got.compressed is False  # PROVENANCE.md: none of the samples is compressed
    assert got.first_lsn is not None
    assert got.last_lsn is not None
    if name in {ola_name("LOG", time) for time in OLA_EMPTY_LOGS}:
        assert got.first_lsn == got.last_lsn  # an empty log backup covers no log records
    else:
        assert got.first_lsn < got.last_lsn


@pytest.mark.parametrize("name", sorted(PINNED_LSNS))
def test_given_a_real_backup_when_read_then_lsns_match_the_hexdump(
    backups: Path, name: str
) -> None:
    got = header(backups, name)
    lsns = (got.first_lsn, got.last_lsn, got.checkpoint_lsn, got.database_backup_lsn)
    assert lsns == tuple(lsn(text) for text in PINNED_LSNS[name])


def test_given_bytes_or_a_file_object_when_read_then_the_headers_are_equal(
    backups: Path,
) -> None:
    assert read_backup_header(head(backups, FULL)) == header(backups, FULL)


def test_given_the_log_chain_then_each_log_starts_where_the_previous_ended(
    backups: Path,
) -> None:
    logs = [header(backups, name) for name in LOGS]
    for previous, following in itertools.pairwise(logs):
        assert following.first_lsn == previous.last_lsn


def test_given_the_full_and_first_log_then_the_log_covers_the_end_of_the_full(
    backups: Path,
) -> None:
    full, first_log = header(backups, FULL), header(backups, LOGS[0])
    assert full.first_lsn is not None
    assert full.last_lsn is not None
    assert first_log.first_lsn is not None
    assert first_log.last_lsn is not None
    # The first log restorable after the full must contain the full's last LSN.
    assert first_log.first_lsn <= full.last_lsn < first_log.last_lsn


@pytest.mark.parametrize("name", [DIFF, *LOGS])
def test_given_a_diff_or_log_then_its_base_is_the_checkpoint_of_the_full(
    backups: Path, name: str
) -> None:
    full = header(backups, FULL)
    assert full.database_backup_lsn is None  # the chain's first full backup
    assert header(backups, name).database_backup_lsn == full.checkpoint_lsn


def test_given_the_diff_then_it_was_taken_after_the_full(backups: Path) -> None:
    full, diff = header(backups, FULL), header(backups, DIFF)
    assert full.last_lsn is not None
    assert diff.checkpoint_lsn is not None
    assert diff.checkpoint_lsn > full.last_lsn


def test_given_the_ola_log_backups_in_time_order_then_they_form_one_unbroken_chain(
    backups: Path,
) -> None:
    # Full and differential backups do not break the log chain: each log starts where the
    # previous log ended, also across the second full backup at 14:22.
    logs = [header(backups, name) for name in OLA_LOGS]
    for previous, following in itertools.pairwise(logs):
        assert following.first_lsn == previous.last_lsn


@pytest.mark.parametrize("time", sorted(OLA_EMPTY_LOGS))
def test_given_a_19968_byte_ola_log_then_it_is_read_as_an_empty_log_backup(
    backups: Path, time: str
) -> None:
    name = ola_name("LOG", time)
    assert (backups / name).stat().st_size == 19968
    got = header(backups, name)
    assert got.backup_type == "LOG"
    assert got.first_lsn == got.last_lsn
    assert got.database_backup_lsn is not None


def test_given_the_ola_set_then_each_diff_and_log_belongs_to_the_latest_full_before_it(
    backups: Path,
) -> None:
    base = None
    for _, kind, name in OLA_BY_TIME:
        got = header(backups, name)
        if kind == "FULL":
            if base is not None:  # the second full was taken while the first was the base
                assert got.database_backup_lsn == base.checkpoint_lsn
            base = got
            continue
        assert base is not None
        assert got.database_backup_lsn == base.checkpoint_lsn, name
        assert got.first_lsn is not None
        assert base.last_lsn is not None
        if kind == "DIFF":
            assert got.first_lsn >= base.last_lsn, name


def test_given_every_real_backup_then_its_base_id_is_the_backup_set_of_its_base_full(
    backups: Path,
) -> None:
    # database_backup_id names the full whose checkpoint is database_backup_lsn: wherever
    # that full is in the folder, its backup set GUID; None exactly where the LSN is None.
    headers = {name: header(backups, name) for name in EXPECTED}
    fulls = {h.checkpoint_lsn: h for h in headers.values() if h.backup_type == "FULL"}
    linked = 0
    for name, got in headers.items():
        assert (got.database_backup_id is None) == (got.database_backup_lsn is None), name
        base = fulls.get(got.database_backup_lsn)
        if base is not None:
            assert got.database_backup_id == base.backup_set_id, name
            linked += 1
    # the Ola set's 4 diffs, 12 logs and its second full; the RestoreTimeClean chain's 4
    assert linked == 21


def test_given_the_second_ola_full_then_later_diffs_name_it_and_earlier_ones_the_first(
    backups: Path,
) -> None:
    first, second = (header(backups, ola_name("FULL", t)) for t in OLA_TIMES["FULL"])
    for time in OLA_TIMES["DIFF"]:
        diff = header(backups, ola_name("DIFF", time))
        base = first if time < OLA_TIMES["FULL"][1] else second
        assert (diff.database_backup_lsn, diff.database_backup_id) == (
            base.checkpoint_lsn,
            base.backup_set_id,
        )


def test_given_an_empty_database_backup_set_then_it_is_rejected_as_damaged(
    backups: Path,
) -> None:
    # Only a log backup may end without data: the empty log's header with a full's type byte.
    data = bytearray(head(backups, ola_name("LOG", "141500")))
    data[scin_of(data) + 0x57] = ord("D")
    with pytest.raises(NotASqlServerBackup, match="ends before any data"):
        read_backup_header(bytes(data))


def test_given_the_striped_pair_then_both_files_belong_to_one_set(backups: Path) -> None:
    first, second = (header(backups, name) for name in STRIPES)
    assert first.media_set_id == second.media_set_id
    assert first.backup_set_id == second.backup_set_id
    assert (first.family_count, second.family_count) == (2, 2)
    assert {first.family_sequence_number, second.family_sequence_number} == {1, 2}
    assert (first.first_lsn, first.last_lsn) == (second.first_lsn, second.last_lsn)


def test_given_unrelated_backups_then_their_media_and_backup_sets_differ(
    backups: Path,
) -> None:
    singles = [name for name in EXPECTED if name not in STRIPES]
    headers = [header(backups, name) for name in singles]
    assert len({h.media_set_id for h in headers}) == len(singles)
    assert len({h.backup_set_id for h in headers}) == len(singles)
    assert all(isinstance(h.backup_set_id, uuid.UUID) for h in headers)


# --- reading at most 1 MiB ----------------------------------------------------------------


class CountingReader(io.RawIOBase):
    """A file object that records what it was asked for and may hand out more."""

    def __init__(self, data: bytes, chunk: int | None = None, greedy: bool = False) -> None:
        self._data, self._chunk, self._greedy = data, chunk, greedy
        self.position = 0
        self.handed_out = 0
        self.requests: list[int] = []

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        assert whence == io.SEEK_SET
        self.position = offset
        return offset

    def read(self, size: int | None = -1) -> bytes:
        self.requests.append(-1 if size is None else size)
        end = len(self._data) if self._greedy or size is None or size < 0 else size
        if self._chunk is not None:
            end = min(end, self._chunk)
        data = self._data[self.position : self.position + end]
        self.position += len(data)
        self.handed_out += len(data)
        return data


@pytest.mark.parametrize("chunk", [None, 4096], ids=["whole-reads", "short-reads"])
def test_given_a_3_mib_file_object_when_read_then_at_most_1_mib_is_requested(
    backups: Path, chunk: int | None
) -> None:
    data = (backups / "sample-2019.bak").read_bytes()
    assert len(data) > 3 * HEADER_READ_BYTES
    reader = CountingReader(data, chunk=chunk)
    assert read_backup_header(reader).database_name == "sample"
    assert all(0 <= size <= HEADER_READ_BYTES for size in reader.requests)
    assert reader.handed_out <= HEADER_READ_BYTES


def test_given_the_next_block_lies_past_1_mib_then_it_is_never_looked_at(
    backups: Path,
) -> None:
    # Stretch the TAPE block's pad so the next block "starts" at 2 MiB, where a larger read
    # would find a copy of the SSET; the parser must stop at the 1 MiB it is allowed.
    data = bytearray(head(backups, FULL, 8192)) + bytes(3 * HEADER_READ_BYTES)
    spad = data.index(b"SPAD")
    struct.pack_into("<Q", data, spad + 8, 2 * HEADER_READ_BYTES - spad - 22)
    data[2 * HEADER_READ_BYTES : 2 * HEADER_READ_BYTES + 512] = data[1536:2048]
    for source in (bytes(data), CountingReader(bytes(data), greedy=True)):
        with pytest.raises(NotASqlServerBackup, match="past the first 1 MiB"):
            read_backup_header(source)


# --- files that are not backups ------------------------------------------------------------

LFS_POINTER = (
    b"version https://git-lfs.github.com/spec/v1\n"
    b"oid sha256:b95656161324883458df6bab08db3933ab6cf10c330fd48256281febf108859a\n"
    b"size 1460736\n"
)
NOT_BACKUPS = {
    "empty file": (b"", "empty file"),
    "Git LFS pointer": (LFS_POINTER, "Git LFS pointer, not the backup itself"),
    "PostgreSQL custom dump": (b"PGDMP\x01\x0e\x00\x04\x08\x01\x01" * 20, "PostgreSQL custom"),
    "PostgreSQL plain dump": (
        b"--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n",
        "PostgreSQL plain SQL dump",
    ),
    "mysqldump": (
        b"-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost\n",
        "MySQL/MariaDB SQL text dump",
    ),
    "SQL script": (b"USE [master]\nGO\nCREATE TABLE dbo.t (id int);\n", "SQL script"),
    "gzip": (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(100), "gzip"),
    "zip": (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(100), "ZIP archive"),
    "UTF-16 script": ("\ufeffCREATE TABLE t (id int)".encode("utf-16-le"), "UTF-16 text"),
    "HTML error page": (b"<!DOCTYPE html><html><body>403 Forbidden</body></html>", "HTML"),
    "plain text": (b"hello\nworld\n", "text file (first line 'hello')"),
    "random bytes": (random.Random(20240611).randbytes(65536), "unrecognised binary data"),
    "SQL Server data file": (b"\x01\x0f\x00\x00\x08\x00" + bytes(8186), "database file"),
}


def test_given_a_compressed_backup_then_compressed_backup_is_raised() -> None:
    with pytest.raises(CompressedBackup, match="compressed SQL Server backup"):
        read_backup_header(b"MSSQLBAK\x02\x00\x00\x00" + bytes(100))


@pytest.mark.parametrize(("data", "says"), NOT_BACKUPS.values(), ids=NOT_BACKUPS.keys())
def test_given_something_else_renamed_to_bak_then_it_is_rejected_saying_what_it_is(
    data: bytes, says: str
) -> None:
    with pytest.raises(NotASqlServerBackup, match=r"^looks like ") as caught:
        read_backup_header(data)
    assert says in str(caught.value)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(NotASqlServerBackup):
        read_backup_header(io.BytesIO(data))


def test_given_an_mtf_tape_from_other_software_then_it_is_rejected_naming_it() -> None:
    tape = bytearray(1024)
    tape[0:4] = b"TAPE"
    tape[48] = 2  # UTF-16 strings
    name = "NTBackup".encode("utf-16-le")
    struct.pack_into("<HH", tape, 80, len(name), 0x100)
    tape[0x100 : 0x100 + len(name)] = name
    with pytest.raises(NotASqlServerBackup, match="written by 'NTBackup', not SQL Server"):
        read_backup_header(bytes(tape))


# Ends inside TAPE, SFMB, SSET, VOLB, MSCI, the SCIN strings, MSDA and the MQDA header.
@pytest.mark.parametrize("length", [4, 51, 140, 700, 1600, 2600, 3600, 4000, 6700, 7660])
def test_given_a_truncated_backup_then_it_is_rejected_as_truncated(
    backups: Path, length: int
) -> None:
    with pytest.raises(NotASqlServerBackup, match="truncated or damaged"):
        read_backup_header(head(backups, FULL, length))


@pytest.mark.parametrize("tag", [b"TAPE", b"SSET", b"MSCI", b"MQCI", b"SCIN", b"RAID", b"MSDA"])
def test_given_a_bit_flipped_block_tag_then_the_file_is_rejected(backups: Path, tag: bytes) -> None:
    data = bytearray(head(backups, FULL))
    data[data.index(tag)] ^= 0x01
    with pytest.raises(NotASqlServerBackup):
        read_backup_header(bytes(data))


def scin_of(data: bytes | bytearray) -> int:
    return data.index(b"SCIN")


def patch(data: bytearray, offset: int, fmt: str, *values: int) -> bytearray:
    struct.pack_into(fmt, data, offset, *values)
    return data


HOSTILE_EDITS: dict[str, tuple[Callable[[bytearray], bytearray], str]] = {
    # name: (edit of RestoreTimeClean.bak, what the message says)
    "pad stream of 2**64-1 bytes": (
        lambda d: patch(d, d.index(b"SPAD") + 8, "<Q", 2**64 - 1),
        "truncated or damaged",
    ),
    "soft filemark of size 0": (lambda d: patch(d, 0x400 + 8, "<H", 0), "empty soft filemark"),
    "block header shorter than MTF's": (lambda d: patch(d, 0x600 + 8, "<H", 4), "unexpected"),
    "SCIN longer than its stream": (
        lambda d: patch(d, scin_of(d) + 4, "<I", 0xFFFF),
        "SCIN record",
    ),
    "database name past the record": (
        lambda d: patch(d, scin_of(d) + 0x68, "<HH", 0x20, 0xFFF0),
        "outside the record",
    ),
    "database name of odd length": (
        lambda d: patch(d, scin_of(d) + 0x68, "<H", 0x1F),
        "outside the record",
    ),
    "empty database name": (lambda d: patch(d, scin_of(d) + 0x68, "<H", 0), "empty database"),
    "lone UTF-16 surrogate in the name": (
        lambda d: patch(d, scin_of(d) + 0x16C, "<H", 0xD800),
        "not UTF-16",
    ),
    "family 3 of 1": (lambda d: patch(d, d.index(b"RAID") + 22 + 24, "<H", 3), "family 3 of 1"),
    "unknown backup type": (lambda d: patch(d, scin_of(d) + 0x57, "<B", ord("Z")), "type byte"),
    "file backup": (
        lambda d: patch(d, scin_of(d) + 0x57, "<B", ord("F")),
        "file or partial backup \\(type F\\), which RDS cannot restore",
    ),
}


@pytest.mark.parametrize(("edit", "says"), HOSTILE_EDITS.values(), ids=HOSTILE_EDITS.keys())
def test_given_a_backup_with_a_hostile_field_then_only_not_a_backup_is_raised(
    backups: Path, edit: Callable[[bytearray], bytearray], says: str
) -> None:
    data = edit(bytearray(head(backups, FULL, 16384)))
    with pytest.raises(NotASqlServerBackup, match=says):
        read_backup_header(bytes(data))


@pytest.mark.parametrize(
    "name", [FULL, LOGS[0], "pubs-2012.bak", STRIPES[1], ola_name("LOG", "141500")]
)
def test_given_random_corruption_of_a_header_then_only_not_a_backup_is_ever_raised(
    backups: Path, name: str
) -> None:
    original = head(backups, name, 20000)
    rng = random.Random(name)
    rejected = 0
    for _ in range(300):
        data = bytearray(original[: rng.randrange(len(original) + 1)])
        for _ in range(rng.randrange(1, 8)):
            if data:
                data[rng.randrange(min(len(data), 12000))] = rng.randrange(256)
        try:
            read_backup_header(bytes(data))
        except NotASqlServerBackup:
            rejected += 1
    assert rejected > 0

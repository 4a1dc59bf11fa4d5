"""Read what ``RESTORE HEADERONLY`` reports from the first bytes of a SQL Server native backup.

An uncompressed native backup is a Microsoft Tape Format (MTF) stream of descriptor blocks
(DBLKs), each followed by a chain of data streams that ends with an ``SPAD`` pad stream::

    TAPE  media header; its RAID stream says which family of a striped set this file is
    SFMB  soft filemark (no streams; its "offset to first event" is its size)
    SSET  start of the backup set: SQL Server version, backup set GUID
    VOLB  volume (machine name)
    MSCI  SQL Server block; its MQCI stream starts with the SCIN record: database name,
          server name, backup type and LSNs
    MSDA / MSTL  first data block (MQDA data pages / MQTL log blocks)
    ESET  end of the backup set

A log backup taken when no log record was written since the previous one has MSTL blocks
with no MQTL stream and ends (MSLS, ESET) without any data: its header is whole all the same.

MTF parts follow the published MTF 1.00a layout. SCIN and RAID are undocumented: their offsets
were read off real backups from SQL Server 2005 to 2019 and checked against facts known without
this parser (tests/unit/test_backupfile.py). All of it sits in the first few KiB, so callers
fetch ``HEADER_READ_BYTES`` with one ranged GET. Every offset is bounds-checked: input that is
not a readable backup raises ``NotASqlServerBackup`` and nothing else.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from typing import Literal, Protocol

from bak2rds.lsn import Lsn

HEADER_READ_BYTES = 1024 * 1024

BackupType = Literal["FULL", "DIFFERENTIAL", "LOG"]


class SeekableReader(Protocol):
    """What ``read_backup_header`` needs of a binary file object."""

    def seek(self, offset: int, whence: int = ..., /) -> int: ...

    def read(self, size: int = ..., /) -> bytes: ...


# SCIN stores msdb's backupset.type letter.
_BACKUP_TYPES: dict[int, BackupType] = {ord("D"): "FULL", ord("I"): "DIFFERENTIAL", ord("L"): "LOG"}
_FILE_OR_PARTIAL_TYPES = b"FGPQ"  # file, differential file, partial, differential partial

_DBLK_HEADER = 52  # MTF common block header
_STREAM_HEADER = 22  # id, fs attrs, media attrs, u64 length, encryption, compression, checksum
_STREAM_COMPRESSED = 0x10  # MTF media format attribute bit
_KNOWN_BLOCKS = {b"TAPE", b"SSET", b"VOLB", b"MSCI", b"MSDA", b"MSTL", b"MSLS", b"ESET"}
_DATA_BLOCKS = {b"MSDA", b"MSTL"}
_DATA_STREAMS = {b"MQDA", b"MQTL"}
_END_OF_SET = b"ESET"
_MAX_BLOCKS = 32  # real backups need ~7 blocks; caps hostile chains
_MAX_STREAMS = 64

# SCIN offsets, identical in every sample from 2005 to 2019.
_SCIN_BUILD = 0x18  # u16 build, then u8 minor, u8 major
_SCIN_LSNS = 0x20  # first, last, checkpoint, database backup: 10 bytes each
_SCIN_TYPE = 0x57
_SCIN_DATABASE_NAME = 0x68  # u16 byte length, u16 offset from the SCIN tag; UTF-16LE
_SCIN_SERVER_NAME = 0x6C
# Backup set GUID of the full backup whose checkpoint is the database backup LSN (all zero
# where that LSN is 0): msdb's differential_base_guid for a differential.
_SCIN_DATABASE_BACKUP_ID = 0xC8
_SCIN_MIN_LENGTH = 0xD8

# Leading bytes of other things that get renamed to .bak, checked in order.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PGDMP", "a PostgreSQL custom-format dump (pg_dump -Fc)"),
    (b"PK\x03\x04", "a ZIP archive (a .bacpac export, or a zipped backup to unzip first)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "a gzip file (decompress it first)"),
    (b"BZh", "a bzip2 file (decompress it first)"),
    (b"\xfd7zXZ\x00", "an xz file (decompress it first)"),
    (b"(\xb5/\xfd", "a zstd file (decompress it first)"),
    (b"7z\xbc\xaf'\x1c", "a 7-Zip archive (extract it first)"),
    (b"Rar!\x1a\x07", "a RAR archive (extract it first)"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x01\x0f", "a SQL Server database file (.mdf/.ldf page 0)"),
    (b"\xff\xfe", "a UTF-16 text file (such as a script saved by SSMS)"),
)
# Phrases that identify a text file, checked in order (dump headers before plain SQL).
_TEXT_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("mysql dump", "mariadb dump"), "a MySQL/MariaDB SQL text dump (mysqldump)"),
    (("postgresql database dump",), "a PostgreSQL plain SQL dump (pg_dump)"),
    (("<!doctype html", "<html", "<?xml"), "an HTML/XML page (an error page saved instead?)"),
    (("create table", "insert into", "create database"), "a SQL script (text)"),
)
_SQL_SERVER = "Microsoft SQL Server"  # the TAPE block's software name
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"


class NotASqlServerBackup(ValueError):
    """The bytes are not a SQL Server native backup whose header bak2rds can read.

    ``looks_like`` says what the file seems to be instead, for the operator.
    """

    def __init__(self, looks_like: str) -> None:
        super().__init__(f"looks like {looks_like}")
        self.looks_like = looks_like


class CompressedBackup(NotASqlServerBackup):
    """A SQL Server backup taken WITH COMPRESSION: its header cannot be read here.

    Compressed backups wrap the whole MTF stream in XPRESS-compressed chunks (an
    ``MSSQLBAK`` container); RDS restores them, but this reader does not decompress.
    """

    def __init__(self) -> None:
        super().__init__("a compressed SQL Server backup (MSSQLBAK container)")


@dataclass(frozen=True, slots=True)
class BackupHeader:
    """The backup set described by one backup file (one file of a striped set).

    Attributes:
        backup_type: "FULL", "DIFFERENTIAL" or "LOG" (msdb backupset.type D, I, L).
        database_name: name of the database that was backed up.
        server_name: ``@@SERVERNAME`` of the instance that took it (``HOST`` or ``HOST\\INSTANCE``).
        sql_version: (major, minor) of that SQL Server, e.g. (10, 50) for 2008 R2.
        sql_build: its build number, e.g. 1600 for 10.50.1600.
        first_lsn: oldest log record in the backup; for a log backup, where it starts.
        last_lsn: the next LSN after the backup; a log backup's successor starts here.
        checkpoint_lsn: the most recent checkpoint when the backup was taken.
        database_backup_lsn: checkpoint LSN of the latest full backup before this one, i.e.
            the base a differential or log backup belongs to; None if there was none.
        database_backup_id: backup set GUID of that full backup (msdb's
            ``differential_base_guid`` for a differential); None when there was none. A
            copy-only full "cannot serve as a differential base" (Microsoft Learn, "Using
            Differential Backups"), so no differential names one here.
        compressed: an MTF compression marker is set (SSET software compression or the first
            data stream). SQL Server writes compressed backups in another container, for
            which ``read_backup_header`` raises ``CompressedBackup``, so on real files this
            is False.
        password_protected: taken WITH PASSWORD / MEDIAPASSWORD (a password is recorded in
            the media or backup set header); RESTORE needs the password.
        family_count: number of files (media families) the backup is striped over; 1 if none.
        family_sequence_number: which of those files this is, 1-based.
        media_set_id: GUID shared by every file of one media set; groups stripes.
        backup_set_id: GUID of this backup set (msdb backupset.backup_set_uuid).

    Every LSN is None where SQL Server stores 0.
    """

    backup_type: BackupType
    database_name: str
    server_name: str
    sql_version: tuple[int, int]
    sql_build: int
    first_lsn: Lsn | None
    last_lsn: Lsn | None
    checkpoint_lsn: Lsn | None
    database_backup_lsn: Lsn | None
    database_backup_id: uuid.UUID | None
    compressed: bool
    password_protected: bool
    family_count: int
    family_sequence_number: int
    media_set_id: uuid.UUID
    backup_set_id: uuid.UUID


def read_backup_header(source: bytes | bytearray | memoryview | SeekableReader) -> BackupHeader:
    """Parse the header of a backup given as bytes or a seekable binary file object.

    Reads at most ``HEADER_READ_BYTES`` from the start; raises ``NotASqlServerBackup``, or
    its subclass ``CompressedBackup`` for a real backup whose header is compressed.
    """
    buf = _head(source)
    if buf.startswith(b"MSSQLBAK"):
        raise CompressedBackup
    if not buf.startswith(b"TAPE"):
        raise NotASqlServerBackup(_describe(buf))
    try:
        return _parse(buf)
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        # Every read below is bounds-checked; this is a backstop so that a slip in that
        # checking still surfaces as a rejected file, never as a crash of the caller.
        raise _damaged(f"unreadable header ({exc})") from exc


def _head(source: bytes | bytearray | memoryview | SeekableReader) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[:HEADER_READ_BYTES])
    source.seek(0)
    chunks: list[bytes] = []
    remaining = HEADER_READ_BYTES
    while remaining > 0:
        chunk = source.read(remaining)
        if not chunk:
            break
        chunk = chunk[:remaining]  # a misbehaving reader may return more than asked
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _describe(buf: bytes) -> str:
    """Say what a file that does not start with an MTF TAPE block looks like."""
    if buf.startswith(_LFS_POINTER):
        return "a Git LFS pointer, not the backup itself (fetch it with `git lfs pull`)"
    return f"{_what_else(buf)}, not a SQL Server backup"


def _what_else(buf: bytes) -> str:
    if not buf:
        return "an empty file"
    for magic, what in _SIGNATURES:
        if buf.startswith(magic):
            return what
    sample = buf[:512].removeprefix(b"\xef\xbb\xbf")
    if not all(byte >= 0x20 or byte in b"\t\n\r\f" for byte in sample):
        return f"unrecognised binary data (starts {buf[:8].hex(' ')})"
    text = sample.decode("utf-8", "replace")
    lowered = text.lower()
    for words, what in _TEXT_HINTS:
        if any(word in lowered for word in words):
            return what
    first_line = text.strip().splitlines()[0][:60] if text.strip() else ""
    return f"a text file (first line {first_line!r})"


def _damaged(detail: str) -> NotASqlServerBackup:
    return NotASqlServerBackup(f"a truncated or damaged SQL Server backup: {detail}")


def _need(buf: bytes, offset: int, size: int) -> None:
    if offset < 0 or size < 0 or offset + size > len(buf):
        read = "the first 1 MiB" if len(buf) >= HEADER_READ_BYTES else f"the {len(buf)} bytes"
        raise _damaged(f"bytes {offset}..{offset + size} are past {read} read")


def _u16(buf: bytes, offset: int) -> int:
    _need(buf, offset, 2)
    return int.from_bytes(buf[offset : offset + 2], "little")


def _bytes(buf: bytes, offset: int, size: int) -> bytes:
    _need(buf, offset, size)
    return buf[offset : offset + size]


@dataclass(frozen=True, slots=True)
class _Stream:
    header: int  # offset of the 22-byte stream header
    data: int
    length: int


def _index_blocks(buf: bytes) -> dict[bytes, tuple[int, dict[bytes, _Stream]]]:
    """Map each DBLK type to its offset and streams, up to the first data stream header
    or, for a backup set without any data (an empty log backup), its ESET block."""
    blocks: dict[bytes, tuple[int, dict[bytes, _Stream]]] = {}
    pos = 0
    for _ in range(_MAX_BLOCKS):
        tag = _bytes(buf, pos, 4)
        first_event = _u16(buf, pos + 8)
        if tag == b"SFMB":
            if first_event == 0:
                raise _damaged(f"empty soft filemark at offset {pos}")
            pos += first_event
            continue
        if tag not in _KNOWN_BLOCKS or first_event < _DBLK_HEADER:
            raise _damaged(f"unexpected block {tag!r} at offset {pos}")
        streams: dict[bytes, _Stream] = {}
        next_block = None
        spos = pos + first_event
        for _ in range(_MAX_STREAMS):
            _need(buf, spos, _STREAM_HEADER)
            sid, length = buf[spos : spos + 4], int.from_bytes(buf[spos + 8 : spos + 16], "little")
            stream = _Stream(spos, spos + _STREAM_HEADER, length)
            if sid == b"SPAD":  # pads to the next block and ends the chain
                next_block = stream.data + length
                break
            streams.setdefault(sid, stream)
            if tag in _DATA_BLOCKS and sid in _DATA_STREAMS:
                break  # the data itself runs on far past the header window
            spos = (stream.data + length + 3) & ~3  # streams are 4-byte aligned
        if tag in _DATA_BLOCKS and _DATA_STREAMS & streams.keys():
            blocks[tag] = (pos, streams)  # the first data block that holds data
            return blocks
        blocks.setdefault(tag, (pos, streams))
        if tag == _END_OF_SET:
            return blocks
        if next_block is None:
            raise _damaged(f"block {tag!r} at offset {pos} has no end")
        pos = next_block
    raise _damaged(f"no data block within the first {_MAX_BLOCKS} blocks")


def _parse(buf: bytes) -> BackupHeader:
    # Other MTF writers (NTBackup, tape software) name themselves in the TAPE block.
    software = _tape_string(buf, 0, 80)
    if software != _SQL_SERVER:
        if not software.isprintable() or _SQL_SERVER.startswith(software[:13]):  # garbled
            raise _damaged(f"its media header names the writer {software!r}")
        raise NotASqlServerBackup(f"an MTF tape backup written by {software!r}, not SQL Server")
    blocks = _index_blocks(buf)
    for tag in (b"SSET", b"MSCI"):
        if tag not in blocks:
            raise _damaged(f"no {tag.decode()} block before the data")
    sset = blocks[b"SSET"][0]

    # TAPE (at 0) and SSET: password algorithm (u16), password (tape address) per MTF 1.00a.
    password_protected = any(
        (_u16(buf, algorithm), _u16(buf, password)) != (0, 0)
        for algorithm, password in ((62, 76), (sset + 56, sset + 72))
    )
    media_set_id, family_count, family_sequence = _raid(buf, blocks[b"TAPE"][1])

    # The SSET's OS-specific data starts with the backup set GUID.
    guid_size, guid_offset = _u16(buf, sset + 44), _u16(buf, sset + 46)
    if guid_size < 16:
        raise _damaged("backup set has no GUID")
    backup_set_id = uuid.UUID(bytes_le=_bytes(buf, sset + guid_offset, 16))

    data_stream = _first_data_stream(blocks)
    compressed = _u16(buf, sset + 58) != 0 or (  # SSET software compression algorithm
        data_stream is not None
        and (
            _u16(buf, data_stream.header + 18) != 0  # stream compression algorithm
            or bool(_u16(buf, data_stream.header + 6) & _STREAM_COMPRESSED)
        )
    )

    scin = _scin(buf, blocks[b"MSCI"][1])
    type_letter = buf[scin + _SCIN_TYPE]
    if data_stream is None and type_letter != ord("L"):
        # Only a log backup can be empty: a database backup always carries pages.
        raise _damaged("the backup set ends before any data")
    if type_letter in _FILE_OR_PARTIAL_TYPES:
        raise NotASqlServerBackup(
            f"a SQL Server file or partial backup (type {chr(type_letter)}), "
            "which RDS cannot restore"
        )
    if type_letter not in _BACKUP_TYPES:
        raise _damaged(f"unknown backup type byte {type_letter:#04x}")
    first, last, checkpoint, database_backup = (
        _lsn(buf, scin + _SCIN_LSNS + 10 * i) for i in range(4)
    )
    database_name = _scin_string(buf, scin, _SCIN_DATABASE_NAME)
    if not database_name:
        raise _damaged("empty database name")
    return BackupHeader(
        backup_type=_BACKUP_TYPES[type_letter],
        database_name=database_name,
        server_name=_scin_string(buf, scin, _SCIN_SERVER_NAME),
        # MTF SSET software major/minor version; SCIN repeats them next to the build.
        sql_version=(_bytes(buf, sset + 93, 1)[0], _bytes(buf, sset + 94, 1)[0]),
        sql_build=_u16(buf, scin + _SCIN_BUILD),
        first_lsn=first,
        last_lsn=last,
        checkpoint_lsn=checkpoint,
        database_backup_lsn=database_backup,
        database_backup_id=_guid_or_none(_bytes(buf, scin + _SCIN_DATABASE_BACKUP_ID, 16)),
        compressed=compressed,
        password_protected=password_protected,
        family_count=family_count,
        family_sequence_number=family_sequence,
        media_set_id=media_set_id,
        backup_set_id=backup_set_id,
    )


def _first_data_stream(blocks: dict[bytes, tuple[int, dict[bytes, _Stream]]]) -> _Stream | None:
    for tag in _DATA_BLOCKS:
        for sid, stream in blocks.get(tag, (0, {}))[1].items():
            if sid in _DATA_STREAMS:
                return stream
    return None


def _tape_string(buf: bytes, block: int, address: int) -> str:
    """Decode an MTF_TAPE_ADDRESS string (size, offset from the block) of a DBLK."""
    size, offset = _u16(buf, address), _u16(buf, address + 2)
    raw = _bytes(buf, block + offset, size)
    if _bytes(buf, block + 48, 1) == b"\x02":  # string type 2: UTF-16LE
        return raw.decode("utf-16-le", "replace").rstrip("\x00")
    return raw.decode("latin-1").rstrip("\x00")


def _raid(buf: bytes, tape_streams: dict[bytes, _Stream]) -> tuple[uuid.UUID, int, int]:
    """Media set GUID, family count and family sequence number from the TAPE's RAID stream.

    Layout (32 bytes): media set GUID, u32 (always 0xf00000ad), u16 family count,
    u16 (1, mirror count?), u16 family sequence number, then padding.
    """
    raid = tape_streams.get(b"RAID")
    if raid is None or raid.length < 26:
        raise _damaged("media header has no RAID stream")
    media_set_id = uuid.UUID(bytes_le=_bytes(buf, raid.data, 16))
    count, sequence = _u16(buf, raid.data + 20), _u16(buf, raid.data + 24)
    if not 1 <= sequence <= count:
        raise _damaged(f"family {sequence} of {count}")
    return media_set_id, count, sequence


def _scin(buf: bytes, msci_streams: dict[bytes, _Stream]) -> int:
    """Offset of the SCIN record that opens the MSCI block's MQCI stream, length-checked."""
    mqci = msci_streams.get(b"MQCI")
    if mqci is None or _bytes(buf, mqci.data, 4) != b"SCIN":
        raise _damaged("no SCIN record in the MSCI block")
    length = int.from_bytes(_bytes(buf, mqci.data + 4, 4), "little")
    if not _SCIN_MIN_LENGTH <= length <= mqci.length:
        raise _damaged(f"SCIN record of {length} bytes")
    _need(buf, mqci.data, length)
    return mqci.data


def _scin_string(buf: bytes, scin: int, field: int) -> str:
    size, offset = _u16(buf, scin + field), _u16(buf, scin + field + 2)
    scin_length = int.from_bytes(buf[scin + 4 : scin + 8], "little")
    if size % 2 or (size and offset + size > scin_length):
        raise _damaged(f"string at SCIN offset {field:#x} is outside the record")
    try:
        return buf[scin + offset : scin + offset + size].decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise _damaged(f"string at SCIN offset {field:#x} is not UTF-16") from exc


def _guid_or_none(raw: bytes) -> uuid.UUID | None:
    return None if raw == bytes(16) else uuid.UUID(bytes_le=raw)


def _lsn(buf: bytes, offset: int) -> Lsn | None:
    """A 10-byte LSN: u32 VLF sequence, u32 block offset, u16 slot, little-endian."""
    vlf, block, slot = struct.unpack("<IIH", _bytes(buf, offset, 10))
    if vlf == block == slot == 0:
        return None
    return Lsn(vlf, block, slot)

"""Write the first blocks of a SQL Server native backup, for uploads to the local runtime.

The real backups in ``../shared/backups`` are a few MB each and fixed; the workflow tests and
``make demo`` need backups of any database name, type, version and LSNs. This writes the
same Microsoft Tape Format blocks a real backup opens with (TAPE with its RAID stream, SSET,
VOLB, MSCI with the SCIN record, then the first MSDA data block) at the offsets
``bak2rds.backupfile`` documents, followed by zero "data pages" up to ``size``.
tests/unit/test_backupimage.py checks that a real file's facts written out again read back
the same, so this cannot drift from what SQL Server writes without a test noticing.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass, field

from bak2rds.backupfile import BackupType
from bak2rds.lsn import Lsn

_BLOCK = 1024  # SQL Server aligns MTF blocks to its logical block size
_DBLK_HEADER = 52
_TYPE_LETTERS: dict[BackupType, bytes] = {"FULL": b"D", "DIFFERENTIAL": b"I", "LOG": b"L"}
_SOFTWARE = "Microsoft SQL Server".encode("utf-16-le")  # the TAPE block's writer
_SCIN_STRINGS = 0xD8  # where the SCIN record's strings start, after its fixed part
_SCIN_DATABASE_BACKUP_ID = 0xC8


@dataclass(frozen=True)
class BackupImage:
    """The facts a synthesised backup header carries (names as in BackupHeader)."""

    database_name: str
    first_lsn: Lsn
    checkpoint_lsn: Lsn
    last_lsn: Lsn
    backup_type: BackupType = "FULL"
    database_backup_lsn: Lsn | None = None
    database_backup_id: uuid.UUID | None = None
    server_name: str = "EC2AMAZ-SOURCE"
    sql_version: tuple[int, int] = (15, 0)
    sql_build: int = 4236
    password_protected: bool = False
    family_count: int = 1
    family_sequence_number: int = 1
    media_set_id: uuid.UUID = field(default_factory=uuid.uuid4)
    backup_set_id: uuid.UUID = field(default_factory=uuid.uuid4)
    type_letter: bytes = b""  # overrides backup_type, e.g. b"F" for a file backup

    def to_bytes(self, size: int = 64 * 1024) -> bytes:
        """The backup's first ``size`` bytes (at least its header blocks)."""
        header = b"".join(
            (
                _block(
                    b"TAPE",
                    self._tape_fields(),
                    {b"RAID": self._raid()},
                    _SOFTWARE,
                ),
                _block(b"SSET", self._sset_fields(), {}, self.backup_set_id.bytes_le),
                _block(b"VOLB", b"", {}, b""),
                _block(b"MSCI", b"", {b"MQCI": self._scin()}, b""),
                _data_block(),
            )
        )
        return header + bytes(max(0, size - len(header)))

    def _tape_fields(self) -> bytes:
        # From offset 52: media family id, attributes, sequence, password algorithm (62) ...
        fields = bytearray(40)
        if self.password_protected:
            struct.pack_into("<H", fields, 62 - 52, 1)
        return bytes(fields)

    def _raid(self) -> bytes:
        return self.media_set_id.bytes_le + struct.pack(
            "<IHHH6x", 0xF00000AD, self.family_count, 1, self.family_sequence_number
        )

    def _sset_fields(self) -> bytes:
        fields = bytearray(48)  # offsets 52..99 of the SSET block
        struct.pack_into("<BB", fields, 93 - 52, *self.sql_version)
        return bytes(fields)

    def _scin(self) -> bytes:
        database = self.database_name.encode("utf-16-le")
        server = self.server_name.encode("utf-16-le")
        record = bytearray(_SCIN_STRINGS + len(database) + len(server))
        record[0:4] = b"SCIN"
        struct.pack_into("<I", record, 4, len(record))
        major, minor = self.sql_version
        struct.pack_into("<HBB", record, 0x18, self.sql_build, minor, major)
        lsns = (self.first_lsn, self.last_lsn, self.checkpoint_lsn, self.database_backup_lsn)
        for index, lsn in enumerate(lsns):
            if lsn is not None:
                struct.pack_into("<IIH", record, 0x20 + 10 * index, lsn.vlf, lsn.block, lsn.slot)
        record[0x57:0x58] = self.type_letter or _TYPE_LETTERS[self.backup_type]
        if self.database_backup_id is not None:
            at = _SCIN_DATABASE_BACKUP_ID
            record[at : at + 16] = self.database_backup_id.bytes_le
        struct.pack_into("<HH", record, 0x68, len(database), _SCIN_STRINGS)
        struct.pack_into("<HH", record, 0x6C, len(server), _SCIN_STRINGS + len(database))
        record[_SCIN_STRINGS:] = database + server
        return bytes(record)


def _block(tag: bytes, fields: bytes, streams: dict[bytes, bytes], variable: bytes) -> bytes:
    """One DBLK: common header, block fields, variable area, streams, SPAD to the block size.

    ``variable`` is the TAPE's software name or the SSET's backup set GUID; each block type
    points at it from the field the reader looks at.
    """
    fixed = _DBLK_HEADER + len(fields)
    first_event = (fixed + len(variable) + 3) & ~3
    head = bytearray(first_event)
    head[0:4] = tag
    struct.pack_into("<H", head, 8, first_event)
    head[48] = 2  # strings are UTF-16LE
    head[_DBLK_HEADER:fixed] = fields
    head[fixed : fixed + len(variable)] = variable
    if tag == b"TAPE":
        struct.pack_into("<HH", head, 80, len(variable), fixed)  # software name
    elif tag == b"SSET":
        struct.pack_into("<HH", head, 44, len(variable), fixed)  # OS data: backup set GUID
    body = bytearray(head)
    for stream_id, data in streams.items():
        body += _stream_header(stream_id, len(data)) + data
        body += bytes(-len(body) % 4)
    pad = -(len(body) + 22) % _BLOCK
    return bytes(body + _stream_header(b"SPAD", pad) + bytes(pad))


def _data_block() -> bytes:
    head = bytearray(_DBLK_HEADER)
    head[0:4] = b"MSDA"
    struct.pack_into("<H", head, 8, _DBLK_HEADER)
    return bytes(head + _stream_header(b"MQDA", 1 << 20))


def _stream_header(stream_id: bytes, length: int) -> bytes:
    return stream_id + struct.pack("<HHQHHH", 0, 0, length, 0, 0, 0)

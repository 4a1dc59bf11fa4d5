"""SQL Server log sequence numbers (LSNs) in the two forms bak2rds meets.

msdb stores an LSN as ``numeric(25,0)``: ``VLF * 10**15 + block * 10**5 + slot``.
DMS (and ``fn_dblog``) take the hex form ``VVVVVVVV:BBBBBBBB:SSSS``.
Example: ``20000000024300001`` is ``00000014:000000f3:0001``.

The three parts are the virtual log file sequence number (4 bytes), the block offset
inside it (4 bytes) and the slot in the block (2 bytes). Because the decimal form gives
the block five digits and the slot five digits, a part that does not fit there cannot be
written to msdb either; both parsers reject it, so every ``Lsn`` has both forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_MAX_VLF = 0xFFFFFFFF
_MAX_BLOCK = 0xFFFFFFFF  # a 4-byte block offset (< 10**10) fits the 10 decimal digits left
_MAX_SLOT = 0xFFFF  # a 2-byte slot (< 10**5) fits the 5 decimal digits
_BLOCK_FACTOR = 10**5
_VLF_FACTOR = 10**15
_DMS_FORM = re.compile(
    r"^(?:0x)?(?P<vlf>[0-9a-f]{1,8}):(?P<block>[0-9a-f]{1,8}):(?P<slot>[0-9a-f]{1,4})$",
    re.IGNORECASE,
)


class InvalidLsn(ValueError):
    """A value that is not a SQL Server LSN in either form."""


@dataclass(frozen=True, order=True, slots=True)
class Lsn:
    """One log sequence number; instances sort in log order and are hashable."""

    vlf: int
    block: int
    slot: int

    def __post_init__(self) -> None:
        for name, value, maximum in (
            ("VLF sequence number", self.vlf, _MAX_VLF),
            ("block offset", self.block, _MAX_BLOCK),
            ("slot", self.slot, _MAX_SLOT),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidLsn(f"LSN {name} must be an int, got {value!r}")
            if not 0 <= value <= maximum:
                raise InvalidLsn(f"LSN {name} {value} is outside 0..{maximum}")

    @classmethod
    def from_numeric(cls, value: int | str | Decimal) -> Lsn:
        """Read the ``numeric(25,0)`` form msdb stores (an int, decimal string or Decimal)."""
        number = _whole_number(value)
        if number < 0:
            raise InvalidLsn(f"LSN {value!r} is negative")
        vlf, rest = divmod(number, _VLF_FACTOR)
        block, slot = divmod(rest, _BLOCK_FACTOR)
        if vlf > _MAX_VLF or block > _MAX_BLOCK or slot > _MAX_SLOT:
            raise InvalidLsn(
                f"LSN {value!r} does not split into VLF/block/slot: got {vlf}/{block}/{slot}, "
                f"limits are {_MAX_VLF}/{_MAX_BLOCK}/{_MAX_SLOT}"
            )
        return cls(vlf, block, slot)

    @classmethod
    def parse(cls, text: str) -> Lsn:
        """Read the fn_dblog/DMS form ``VVVVVVVV:BBBBBBBB:SSSS`` (hex, any case, optional 0x)."""
        if not isinstance(text, str):
            raise InvalidLsn(f"LSN text must be a str, got {type(text).__name__}")
        match = _DMS_FORM.match(text.strip())
        if match is None:
            raise InvalidLsn(
                f"{text!r} is not an LSN of the form VVVVVVVV:BBBBBBBB:SSSS "
                "(three hex parts of at most 8, 8 and 4 digits)"
            )
        return cls(int(match["vlf"], 16), int(match["block"], 16), int(match["slot"], 16))

    def to_numeric(self) -> int:
        """The ``numeric(25,0)`` value msdb would store for this LSN."""
        return self.vlf * _VLF_FACTOR + self.block * _BLOCK_FACTOR + self.slot

    def to_dms(self) -> str:
        """Zero-padded lowercase hex, the form DMS takes as a CDC start position."""
        return f"{self.vlf:08x}:{self.block:08x}:{self.slot:04x}"

    def __str__(self) -> str:
        return self.to_dms()


def _whole_number(value: int | str | Decimal) -> int:
    if isinstance(value, bool):
        raise InvalidLsn(f"LSN must be a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if not re.fullmatch(r"\s*[+-]?\d+\s*", value):
            raise InvalidLsn(f"LSN {value!r} is not a whole decimal number")
        return int(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InvalidLsn(f"LSN {value!r} is not a finite number")
        integral = value.to_integral_value()
        if integral != value:
            raise InvalidLsn(f"LSN {value!r} has a fractional part")
        return int(integral)
    raise InvalidLsn(f"LSN must be an int, decimal string or Decimal, got {type(value).__name__}")

from decimal import Decimal

import pytest

from bak2rds.lsn import InvalidLsn, Lsn

DESIGN_EXAMPLE_NUMERIC = 20000000024300001
DESIGN_EXAMPLE_DMS = "00000014:000000f3:0001"


@pytest.mark.parametrize(
    "stored",
    [DESIGN_EXAMPLE_NUMERIC, str(DESIGN_EXAMPLE_NUMERIC), Decimal(DESIGN_EXAMPLE_NUMERIC)],
    ids=["int", "decimal-string", "Decimal"],
)
def test_msdb_numeric_form_converts_to_the_dms_form(stored: object) -> None:
    lsn = Lsn.from_numeric(stored)  # type: ignore[arg-type]
    assert lsn.to_dms() == DESIGN_EXAMPLE_DMS
    assert str(lsn) == DESIGN_EXAMPLE_DMS
    assert (lsn.vlf, lsn.block, lsn.slot) == (0x14, 0xF3, 1)


@pytest.mark.parametrize(
    "text",
    [
        DESIGN_EXAMPLE_DMS,
        DESIGN_EXAMPLE_DMS.upper(),
        "0x00000014:000000F3:0001",
        "14:f3:1",
        "0X14:F3:0001",
        f"  {DESIGN_EXAMPLE_DMS}\n",
    ],
)
def test_dms_form_is_read_in_any_case_with_optional_prefix_and_zeros(text: str) -> None:
    assert Lsn.parse(text).to_numeric() == DESIGN_EXAMPLE_NUMERIC


def test_round_trip_keeps_the_extremes_of_each_part() -> None:
    for lsn in (Lsn(0, 0, 0), Lsn(0xFFFFFFFF, 0xFFFFFFFF, 0xFFFF), Lsn(1, 0, 0xFFFF)):
        assert Lsn.from_numeric(lsn.to_numeric()) == lsn
        assert Lsn.parse(lsn.to_dms()) == lsn


def test_lsns_sort_in_log_order_and_are_hashable() -> None:
    later_vlf = Lsn.parse("00000015:00000001:0001")
    later_block = Lsn.parse("00000014:000000f4:0001")
    later_slot = Lsn.parse("00000014:000000f3:0002")
    first = Lsn.from_numeric(DESIGN_EXAMPLE_NUMERIC)
    assert sorted([later_vlf, later_slot, first, later_block]) == [
        first,
        later_slot,
        later_block,
        later_vlf,
    ]
    # Numeric order and log order agree, so msdb's ORDER BY on the numeric column is log order.
    assert first.to_numeric() < later_slot.to_numeric() < later_block.to_numeric()
    assert {first, Lsn.parse(DESIGN_EXAMPLE_DMS)} == {first}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (-1, "negative"),
        ("12.5", "not a whole decimal number"),
        ("", "not a whole decimal number"),
        ("0x14", "not a whole decimal number"),
        (Decimal("1.5"), "fractional"),
        (Decimal("NaN"), "not a finite number"),
        (True, "must be a number"),
        (1.0, "must be an int, decimal string or Decimal"),
        # slot 100000 cannot be written in two hex bytes
        (10**15 + 99999, "limits are"),
        (2**32 * 10**15, "limits are"),
        (9_999_999_999 * 10**5, "limits are"),  # block offset above four bytes
    ],
)
def test_malformed_or_out_of_range_numeric_lsn_is_rejected_with_a_reason(
    value: object, says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        Lsn.from_numeric(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "00000014:000000f3",
        "00000014:000000f3:0001:0000",
        "000000014:000000f3:0001",  # nine hex digits of VLF
        "00000014:000000f3:00001",  # five hex digits of slot
        "00000014-000000f3-0001",
        "0000001g:000000f3:0001",
        "20000000024300001",
        "0x:1:1",
    ],
)
def test_malformed_dms_text_is_rejected_with_the_expected_form(text: str) -> None:
    with pytest.raises(InvalidLsn, match="VVVVVVVV:BBBBBBBB:SSSS"):
        Lsn.parse(text)


def test_parts_out_of_range_are_rejected_when_constructed() -> None:
    with pytest.raises(InvalidLsn, match="slot 65536"):
        Lsn(1, 1, 0x10000)
    with pytest.raises(InvalidLsn, match="must be a str"):
        Lsn.parse(20000000024300001)  # type: ignore[arg-type]

"""Signed approval links: only the stack's key makes a link that verifies, until it expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from bak2rds.approval.links import LinkRejected, new_approval_id, sign, verify

KEY = b"k" * 64
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
EXPIRES = int((NOW + timedelta(days=7)).timestamp())


@pytest.fixture
def link() -> tuple[str, str, str]:
    signed = sign(KEY, new_approval_id(), EXPIRES)
    return signed.approval_id, str(signed.expires_at), signed.signature


def rejected(reason: str, *args: object) -> None:
    with pytest.raises(LinkRejected) as caught:
        verify(*args)  # type: ignore[arg-type]
    assert caught.value.reason == reason


def test_a_genuine_link_verifies_until_it_expires(link: tuple[str, str, str]) -> None:
    approval_id, expires, signature = link
    assert verify(KEY, approval_id, expires, signature, NOW) == EXPIRES
    last_second = datetime.fromtimestamp(EXPIRES - 1, UTC)
    assert verify(KEY, approval_id, expires, signature, last_second) == EXPIRES
    rejected("expired", KEY, approval_id, expires, signature, datetime.fromtimestamp(EXPIRES, UTC))


def test_any_change_to_the_link_breaks_the_signature(link: tuple[str, str, str]) -> None:
    approval_id, expires, signature = link
    other_id = new_approval_id()
    flipped = ("A" if signature[-1] != "A" else "B").join([signature[:-1], ""])
    for args in (
        (KEY, other_id, expires, signature, NOW),  # another approval
        (KEY, approval_id, str(EXPIRES + 3600), signature, NOW),  # a longer life
        (KEY, approval_id, str(EXPIRES - 3600), signature, NOW),  # even a shorter one
        (KEY, approval_id, expires, flipped, NOW),
        (KEY, approval_id, expires, signature[:-1], NOW),  # truncated by a mail client
        (KEY, approval_id, expires, signature[:20], NOW),
        (KEY, approval_id, expires, "", NOW),
        (KEY, approval_id, expires, None, NOW),
        (KEY, approval_id, None, signature, NOW),
        (KEY, approval_id, "-1", signature, NOW),
        (KEY, approval_id, "9" * 40, signature, NOW),
        (KEY, approval_id[:-1], expires, signature, NOW),
        (KEY, "<script>", expires, signature, NOW),
        (b"x" * 64, approval_id, expires, signature, NOW),  # another stack's key
    ):
        rejected("invalid", *args)


def test_an_edited_expiry_is_invalid_even_when_it_is_in_the_past(
    link: tuple[str, str, str],
) -> None:
    approval_id, _, signature = link
    rejected("invalid", KEY, approval_id, str(int(NOW.timestamp()) - 10), signature, NOW)


def test_approve_and_reject_links_share_the_signature_and_differ_in_action() -> None:
    signed = sign(KEY, new_approval_id(), EXPIRES)
    approve = urlsplit(signed.url("https://abc.execute-api.eu-west-1.amazonaws.com/", "approve"))
    reject = urlsplit(signed.url("https://abc.execute-api.eu-west-1.amazonaws.com", "reject"))
    assert approve.path == reject.path == f"/approvals/{signed.approval_id}"
    assert parse_qs(approve.query)["action"] == ["approve"]
    assert parse_qs(reject.query)["action"] == ["reject"]
    assert parse_qs(approve.query)["signature"] == parse_qs(reject.query)["signature"]
    with pytest.raises(ValueError, match="unknown action"):
        signed.url("https://x", "drop")


def test_ids_are_random_and_a_weak_key_is_refused() -> None:
    assert len({new_approval_id() for _ in range(1000)}) == 1000
    with pytest.raises(ValueError, match="at least 32 bytes"):
        sign(b"short", new_approval_id(), EXPIRES)

"""Approval links: what the e-mail carries, and how the approval API checks it.

Design (docs/design.md, "The approval"):

* **The task token never leaves AWS.** Step Functions' task token is a long bearer credential:
  whoever holds it can end the wait with any output. It is stored in the approvals DynamoDB
  table under a random *approval id* (128 bits from ``secrets``), and only that id goes into
  the link. Encrypting the token into the URL would also keep it secret, but the link must work
  *once*, and "once" needs state anyway (a conditional write that moves the record from
  ``pending`` to a decision); with the table holding that state, storing the token next to it
  costs nothing and keeps URLs short. The record has a DynamoDB TTL, so tokens do not outlive
  their use by long.
* **Links are signed and expire.** ``signature = HMAC-SHA256(key, "v1|<approval id>|<expiry>")``,
  base64url without padding, with the key the stack generates in Secrets Manager
  (``AWS::SecretsManager::Secret`` ``GenerateSecretString``). A guessed or edited id, an edited
  expiry, a truncated signature or a key from another stack fails verification before any
  record is read; ``hmac.compare_digest`` keeps the comparison constant-time.
* **One link per decision, one decision per approval.** The e-mail's approve and reject links
  share id, expiry and signature and differ only in ``action``, which only picks the button
  the page highlights: the signature grants "decide on this approval", and the decision is the
  button the person presses. GET never decides (mail scanners open every link).

Nothing secret is in a URL: the id is random and useless without the signature, the signature
is useless after the expiry or the first decision, and neither reveals the key or the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

SIGNATURE_VERSION = "v1"
ACTIONS = ("approve", "reject")
_APPROVAL_ID = re.compile(r"[A-Za-z0-9_-]{22}")  # 16 random bytes, base64url
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{43}")  # 32 bytes of HMAC-SHA256, base64url
_MIN_KEY_BYTES = 32


class LinkRejected(ValueError):
    """The link cannot be honoured. ``reason`` is ``invalid`` or ``expired``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SignedLink:
    approval_id: str
    expires_at: int  # Unix seconds
    signature: str

    def url(self, base_url: str, action: str) -> str:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        query = urlencode(
            {"expires": self.expires_at, "signature": self.signature, "action": action}
        )
        return f"{base_url.rstrip('/')}/approvals/{self.approval_id}?{query}"


def new_approval_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip("=")


def sign(key: bytes, approval_id: str, expires_at: int) -> SignedLink:
    _check_key(key)
    return SignedLink(approval_id, expires_at, _signature(key, approval_id, expires_at))


def verify(
    key: bytes, approval_id: str, expires: str | None, signature: str | None, now: datetime
) -> int:
    """The link's expiry (Unix seconds) if its signature is right and it has not expired.

    Raises ``LinkRejected``: ``invalid`` for anything malformed or not signed with ``key``,
    ``expired`` for a genuine link past its expiry (checked after the signature, so an edited
    expiry is "invalid", never "expired").
    """
    _check_key(key)
    if not _APPROVAL_ID.fullmatch(approval_id or ""):
        raise LinkRejected("invalid", "the link does not name an approval")
    if not expires or not expires.isdigit() or len(expires) > 12:
        raise LinkRejected("invalid", "the link has no valid expiry")
    if not signature or not _SIGNATURE.fullmatch(signature):
        raise LinkRejected("invalid", "the link's signature is missing or truncated")
    expires_at = int(expires)
    expected = _signature(key, approval_id, expires_at)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise LinkRejected("invalid", "the link's signature does not match")
    if now >= datetime.fromtimestamp(expires_at, UTC):
        raise LinkRejected("expired", "the link has expired")
    return expires_at


def _signature(key: bytes, approval_id: str, expires_at: int) -> str:
    message = f"{SIGNATURE_VERSION}|{approval_id}|{expires_at}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _check_key(key: bytes) -> None:
    # A short key means the secret was replaced by hand with something weak: refuse to sign.
    if len(key) < _MIN_KEY_BYTES:
        raise ValueError(f"the signing key must have at least {_MIN_KEY_BYTES} bytes")

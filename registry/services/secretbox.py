"""Small secrets kept in the database encrypted (TOTP secrets, one-time reveal slots).

AES-256-GCM with a key derived from the application's SECRET_KEY (HKDF-SHA256, one key per purpose),
so a copy of the database alone does not give a second factor away. Changing SECRET_KEY makes what
was sealed with the old key unreadable: users then enrol their second factor again (an admin or
`fairrecruit users reset-2fa` clears it).
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12


class Unreadable(ValueError):
    """The sealed text was changed or sealed with another key."""


def derive_key(secret: str, purpose: str) -> bytes:
    """A 256-bit key for one purpose (e.g. "totp"), derived from the application secret."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"fairrecruit {purpose} v1".encode())
    return hkdf.derive(secret.encode())


def seal(key: bytes, plaintext: str, *, context: str = "") -> str:
    """Encrypt and authenticate `plaintext`; `context` (e.g. a row id) must be given again to open it."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(key: bytes, token: str, *, context: str = "") -> str:
    try:
        raw = base64.urlsafe_b64decode(token.encode())
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
    except (InvalidTag, ValueError) as e:
        raise Unreadable("sealed text is unreadable (changed, or sealed with another key)") from e

"""Credentials at rest: MultiFernet over keys that live only in the environment.

`ENCRYPTION_KEYS` lists Fernet keys, newest first. New tokens use the newest;
any listed key can decrypt, so keys rotate without downtime.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class KeyConfigError(ValueError):
    """ENCRYPTION_KEYS is missing or holds something that is not a Fernet key."""


class CredentialsUndecryptable(Exception):
    """No configured key opens this user's stored credentials."""

    def __init__(self, user_id: int) -> None:
        super().__init__(
            f"no key in ENCRYPTION_KEYS decrypts the credentials of user {user_id}; "
            "was a key removed before `rotate-keys` ran?"
        )
        self.user_id = user_id


class CredentialCipher:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise KeyConfigError(
                "ENCRYPTION_KEYS is empty: set it to the output of `python -m bot gen-key`"
            )
        fernets = []
        self._newest = keys[0].strip().encode("ascii", "replace")
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                raise KeyConfigError(
                    f"ENCRYPTION_KEYS: key #{position} is not a Fernet key "
                    "(32 url-safe base64-encoded bytes; make one with `python -m bot gen-key`)"
                ) from None
        self._cipher = MultiFernet(fernets)

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode("ascii")

    def derive_key(self, purpose: str) -> bytes:
        """A key for another use (keyed hashes), derived from the newest key: HMAC-SHA256."""
        return hmac.new(self._newest, purpose.encode(), hashlib.sha256).digest()

    def encrypt(self, plaintext: str) -> str:
        return self._cipher.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str, *, user_id: int) -> str:
        try:
            return self._cipher.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise CredentialsUndecryptable(user_id) from None

    def rotate(self, token: str, *, user_id: int) -> str:
        """Re-encrypt under the newest key."""
        try:
            return self._cipher.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise CredentialsUndecryptable(user_id) from None

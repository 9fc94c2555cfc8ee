"""Secrets kept in the database encrypted with keys from configuration, which can be rotated.

A setting such as TOTP_ENCRYPTION_KEYS holds Fernet keys, comma-separated, newest first.
cryptography's MultiFernet encrypts with the first and decrypts with any of them, so a new
key can be put in front while values encrypted with the older ones are still read; `rotate`
re-encrypts a value with the newest key, after which the older keys can be removed.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from portal.config import fernet_keys


class UndecryptableError(RuntimeError):
    """A stored value that none of the configured keys decrypts."""


def _box(setting: str) -> MultiFernet:
    value = current_app.config[setting]
    cache = current_app.extensions.setdefault("encryption", {})
    # Keyed by the value as well, so that a changed setting (a test, a rotation) takes effect.
    box = cache.get((setting, value))
    if box is None:
        keys = fernet_keys(value)
        if not keys:
            raise UndecryptableError(f"{setting} holds no key")
        box = cache[(setting, value)] = MultiFernet([Fernet(key) for key in keys])
    return box


def encrypt(plain: str, setting: str) -> str:
    """`plain` encrypted (and authenticated) with the newest key of `setting`."""
    return _box(setting).encrypt(plain.encode()).decode("ascii")


def decrypt(token: str, setting: str) -> str:
    """The plain text of a value from `encrypt`, read with any key of `setting`."""
    try:
        return _box(setting).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise UndecryptableError(
            f"A value encrypted with a key no longer in {setting}: put the old key back after "
            "the new one, run the rotation command, and only then remove it."
        ) from None


def rotate(token: str, setting: str) -> str:
    """The same value encrypted with the newest key of `setting` (UndecryptableError when no
    configured key reads it)."""
    try:
        return _box(setting).rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise UndecryptableError(f"A value no key in {setting} decrypts") from None

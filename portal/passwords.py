"""Password rules and hashing (argon2id).

The rules follow current guidance: length between 8 and 128 characters, no composition
rules, and refusal of passwords found in a list of common ones. The list shipped here
(common-passwords.txt.gz, 19,646 entries) comes from Django's password validation
(BSD licence), itself drawn from Royce Williams' list of leaked passwords.
"""

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 8
MAX_LENGTH = 128
_LIST = Path(__file__).with_name("common-passwords.txt.gz")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased; read once, on first use."""
    with gzip.open(_LIST, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Why a new password is refused; an empty list when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = password.strip().lower()
    if lowered in common_passwords():
        problems.append(_l("This password is too common; choose one that is harder to guess."))
    elif email and len(email.split("@")[0]) >= 4 and email.split("@")[0].lower() in lowered:
        problems.append(_l("The password must not contain your e-mail address."))
    return [str(p) for p in problems]


def _hasher() -> PasswordHasher:
    # The test suite uses argon2's cheapest profile so that hundreds of users stay fast;
    # everywhere else it is RFC 9106's low-memory profile (argon2id, 64 MiB, t=3).
    profile = current_app.config.get("ARGON2_PROFILE", "RFC_9106_LOW_MEMORY")
    return PasswordHasher.from_parameters(getattr(profiles, profile))


def hash_password(password: str) -> str:
    """An argon2id hash of the password, salted."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash; never raises for a wrong password."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than the current ones."""
    return _hasher().check_needs_rehash(password_hash)


#: Verified against when the e-mail is unknown, so that both failures take as long.
@cache
def dummy_hash() -> str:
    return hash_password("not-a-real-password-but-long-enough")

"""Throttling of sign-in attempts (OWASP ASVS 5.0 V6.3.1), made so that knowing someone's
e-mail address is not enough to lock them out.

Failed passwords are counted per account against LOGIN_RATE_LIMIT_ACCOUNT in two ways:

* from each address: beyond the limit, that address is refused for that account. One machine
  guessing is stopped, and nobody elsewhere notices.
* from all addresses together: beyond the limit, the account is slowed down, never closed.
  One attempt is let through, then none for a wait that starts at one second and doubles
  with every further failure, up to LOGIN_SLOWDOWN_MAX_SECONDS. Guessing from many addresses
  gets a few attempts an hour at most, while the owner still gets a turn.

Neither applies to a sign-in that brings the password and a code from the authenticator app
together: the right pair is not guessable, so it always gets in, and a wrong one tells
nothing about which of the two was wrong. A password reset forgets the account's failures.
Codes asked for after the right password have their own count per account (only someone who
knows the password can add to it).

The counters live in the rate limiter's storage (Redis in production), shared by all workers.
With the rate limits turned off (RATELIMIT_ENABLED false), nothing is counted or refused.
"""

import hashlib
import ipaddress
import math
import time

from flask import current_app, request
from limits import RateLimitItem, parse_many

from portal.extensions import limiter

#: The first wait of the slowdown, in seconds; each further failure doubles it.
FIRST_WAIT = 1
#: How long the slowdown remembers how far it has grown.
SLOWDOWN_MEMORY = 3600


class RateLimitedError(Exception):
    """Too many failed attempts; answer 429. `retry_after` is the wait in seconds when the
    account is slowed down (None when this address is refused for the account)."""

    def __init__(self, retry_after: int | None = None):
        super().__init__(retry_after)
        self.retry_after = retry_after


def _limits() -> list[RateLimitItem]:
    return parse_many(current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"])


def _account(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _address() -> str:
    """The client's address; IPv6 by /64, the block one machine usually has."""
    raw = request.remote_addr or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _key(kind: str, email: str, *more: str) -> tuple[str, ...]:
    # Same storage as Flask-Limiter's own limits, same key prefix.
    return (current_app.config["RATELIMIT_KEY_PREFIX"], kind, _account(email), *more)


def _raw_key(kind: str, email: str) -> str:
    return "LIMITER/" + "/".join(_key(kind, email))


def _counting() -> bool:
    """Whether the rate limits are on (Flask-Limiter keeps no storage when they are off)."""
    return current_app.config.get("RATELIMIT_ENABLED", True)


def _over(key: tuple[str, ...]) -> bool:
    return _counting() and any(not limiter.limiter.test(item, *key) for item in _limits())


def _count(key: tuple[str, ...]) -> None:
    for item in _limits() if _counting() else ():
        limiter.limiter.hit(item, *key)


# Passwords ----------------------------------------------------------------------------------
def check_address(email: str) -> None:
    """RateLimitedError when this address has failed too often on this account lately."""
    if _over(_key("login-address", email, _address())):
        raise RateLimitedError


def check_password_attempt(email: str) -> None:
    """Let a password attempt go ahead, or raise RateLimitedError: this address is refused
    for the account, or the account is slowed down and it is not this attempt's turn."""
    check_address(email)
    if not _over(_key("login-account", email)):
        return
    turn = _raw_key("login-turn", email)
    # Atomic: of attempts arriving together once a wait is over, only the first goes ahead.
    if limiter.storage.incr(turn, FIRST_WAIT) == 1:
        return
    raise RateLimitedError(max(1, math.ceil(limiter.storage.get_expiry(turn) - time.time())))


def count_password_failure(email: str) -> None:
    """Count a wrong password (or a wrong password-and-code pair); beyond the account's
    limit, the next attempt waits twice as long as the last."""
    _count(_key("login-address", email, _address()))
    _count(_key("login-account", email))
    if not _over(_key("login-account", email)):
        return
    level = limiter.storage.incr(_raw_key("login-slowdown", email), SLOWDOWN_MEMORY)
    wait = min(
        FIRST_WAIT * 2 ** min(level - 1, 30), current_app.config["LOGIN_SLOWDOWN_MAX_SECONDS"]
    )
    turn = _raw_key("login-turn", email)
    limiter.storage.clear(turn)
    limiter.storage.incr(turn, max(1, int(wait)))


# Codes after the right password ---------------------------------------------------------------
def check_code_attempt(email: str) -> None:
    """RateLimitedError when the account has had too many wrong codes lately."""
    if _over(_key("login-code", email)):
        raise RateLimitedError


def count_code_failure(email: str) -> None:
    _count(_key("login-code", email))


# A reset -----------------------------------------------------------------------------------------
def forget_failures(email: str) -> None:
    """After a password reset: the account's failures (and this address's) are forgotten, so
    the owner signs in with the new password at once."""
    if not _counting():
        return
    for key in (
        _key("login-account", email),
        _key("login-address", email, _address()),
        _key("login-code", email),
    ):
        for item in _limits():
            limiter.limiter.clear(item, *key)
    limiter.storage.clear(_raw_key("login-slowdown", email))
    limiter.storage.clear(_raw_key("login-turn", email))

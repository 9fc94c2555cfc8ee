"""Time helpers: everything stored is UTC; pages show Europe/Stockholm via Flask-Babel."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)

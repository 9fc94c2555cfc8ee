"""Who the current request is for, and in which language: one place for every view."""

from flask_babel import get_locale
from flask_login import current_user


def user():
    """The signed-in user as the real object, not Flask-Login's proxy, so that services and
    the ORM get a `User` they can compare and store."""
    return current_user._get_current_object()


def language() -> str:
    """The page's language code, "sv" or "en"."""
    return str(get_locale())

"""Time helpers: everything stored is UTC; pages show Europe/Stockholm via Flask-Babel."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache

from babel import dates
from flask_babel import format_date, get_locale, get_timezone


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


# How dates and times reach a person: one pattern each, in the language of the page (or of the
# mail) and, for moments, in Europe/Stockholm time. "30 Nov 2026" / "30 nov. 2026" and
# "30 Nov 2026, 23:59" / "30 nov. 2026, 23:59": day first, the year in full and a 24-hour
# clock read well in both languages. ISO 8601 stays for exports and form fields' values.
DATE_PATTERN = "d MMM y"
DATETIME_PATTERN = "d MMM y, HH:mm"


def show_date(value: date | datetime | str | None) -> str:
    """A day as a person reads it in the current language; "" for None.

    A datetime is shown as its day in Stockholm; an ISO date string (as stored in answers
    and audit details) is parsed first, and any other text is returned as it is.
    """
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return format_date(value, DATE_PATTERN)
    return _date_text(value, get_locale())


@lru_cache(maxsize=4096)
def _date_text(value: date, locale) -> str:
    # What flask_babel.format_date does with a day, remembered (see _datetime_text).
    return dates.format_date(value, DATE_PATTERN, locale=locale)


def show_datetime(value: datetime | None) -> str:
    """A moment as a person reads it in the current language, in Stockholm time; "" for None."""
    return _datetime_text(value, get_locale(), get_timezone()) if value else ""


def days_shown() -> Callable[[date | datetime], str]:
    """show_date for the many dates of a page of a list, each day formatted once."""
    shown: dict[date, str] = {}
    zone = get_timezone()

    def day(value: date | datetime) -> str:
        local = value.astimezone(zone).date() if isinstance(value, datetime) else value
        if local not in shown:
            shown[local] = show_date(local)
        return shown[local]

    return day


def moments_shown() -> Callable[[datetime | None], str]:
    """show_datetime for the many moments of a page of a list: the language and time zone
    are looked up once, not for every row."""
    locale, zone = get_locale(), get_timezone()
    return lambda value: _datetime_text(value, locale, zone) if value else ""


@lru_cache(maxsize=4096)
def _datetime_text(value: datetime, locale, timezone) -> str:
    # What flask_babel.format_datetime does, remembered: a list of fifty rows would otherwise
    # format fifty moments through Babel on every request, the same ones each time.
    return dates.format_datetime(value, DATETIME_PATTERN, tzinfo=timezone, locale=locale)

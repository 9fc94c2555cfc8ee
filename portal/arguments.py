"""Numbers and filters taken from the URL, kept to what the database and `url_for` can take.

Every id and count in the schema is an INTEGER column, 32 bits on PostgreSQL, and SQLite
refuses to bind anything past 64 bits: a larger number names no row and fits no column, and
passed on it would fail in the database (a server error). So an `<int:...>` path argument
outside 0..MAX_INTEGER matches no route (404), and an integer query argument outside
1..MAX_INTEGER counts as absent.
"""

import re

from flask import Flask, request
from werkzeug.routing import AnyConverter, IntegerConverter, ValidationError

from portal.spreadsheets import DOWNLOAD_TYPES

#: The largest value of an INTEGER column on every database the portal runs on.
MAX_INTEGER = 2**31 - 1

_WHOLE = re.compile(rf"[0-9]{{1,{len(str(MAX_INTEGER))}}}")


class DatabaseIntegerConverter(IntegerConverter):
    """`<int:...>` in every route: a whole number the database can hold, or no match."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INTEGER)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        # Checked before int(): a long enough string of digits makes int() itself refuse.
        if not _WHOLE.fullmatch(value):
            raise ValidationError()
        return super().to_python(value)


class DownloadFormatConverter(AnyConverter):
    """`<download:fmt>`: a format a list can be downloaded in (csv or xlsx), or no match, so
    that a download's rows are never gathered for a format it cannot be written in."""

    def __init__(self, map):
        super().__init__(map, *DOWNLOAD_TYPES)


def int_arg(name: str, default: int | None = None) -> int | None:
    """The query argument `name` as a whole number from 1 to MAX_INTEGER, else `default`."""
    number = whole_number(request.args.get(name, ""))
    return default if number is None else number


def whole_number(value: str) -> int | None:
    """`value` (as sent in a URL or a form) as a whole number from 1 to MAX_INTEGER, else
    None: an id that can name a row."""
    if not _WHOLE.fullmatch(value) or not 1 <= int(value) <= MAX_INTEGER:
        return None
    return int(value)


def kept_args(*names: str) -> dict[str, str]:
    """The named query arguments that have a value, for a link that keeps the page's
    filters. Never the whole query string: `url_for` reads some names itself (`_method`,
    `_external`…) and would fail on others (`endpoint`)."""
    return {name: request.args[name] for name in names if request.args.get(name)}


def init_app(app: Flask) -> None:
    """Before any route is added: `<int:...>` is the database's integer, `<download:...>` a
    download's format."""
    app.url_map.converters["int"] = DatabaseIntegerConverter
    app.url_map.converters["download"] = DownloadFormatConverter

"""Reading an uploaded country-risk table: every row checked, nothing stored.

The file is read as portal.spreadsheets reads every upload (the content decides whether it is
CSV or XLSX, a CSV file's encoding and delimiter are detected). The first non-empty row holds
the headings, in English or Swedish, as the table's export writes them or as its field names;
case, spaces, punctuation and the order of the columns do not matter, and other columns are
left alone. A country is its ISO 3166 code (two or three letters) or its name in English or
Swedish. The table is taken whole or not at all: `read_table` returns every row's problems.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import pycountry
from babel import Locale
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal import spreadsheets
from portal.selection.models import FIGURES, FIRST_YEAR, SOURCE_LENGTH

#: Largest file taken: a table of every country takes a few tens of kilobytes.
MAX_BYTES = 2 * 1024 * 1024
#: Problems listed at most; the rest are counted.
MAX_PROBLEMS_SHOWN = 200

#: The figures' names, as the page and the export's headings call them.
FIGURE_LABELS = {
    "freedom_of_association": _l("Freedom of association"),
    "working_time": _l("Working time"),
    "gender_inequality": _l("Gender inequality"),
    "overall": _l("Overall"),
}
#: Every column of the table, in the order the export writes them.
COLUMNS = ("country", *(f"{n}{suffix}" for n in FIGURES for suffix in ("", "_source", "_year")))
#: Headings also understood in either language (normalised as _normalise does).
_OTHER_HEADINGS = {
    "country code": "country",
    "iso": "country",
    "iso code": "country",
    "land": "country",
    "landskod": "country",
    "working hours": "working_time",
    "arbetstider": "working_time",
    "overall risk": "overall",
    "samlad risk": "overall",
    "sammantagen risk": "overall",
}
_PUNCTUATION = re.compile(r"[\s_\-–.,:;()/]+")


def heading(column: str) -> str:
    """The column's heading in the current language (as the export writes it)."""
    if column == "country":
        return str(_l("Country"))
    for name in FIGURES:
        if column == f"{name}_source":
            return str(_l("%(figure)s, source", figure=FIGURE_LABELS[name]))
        if column == f"{name}_year":
            return str(_l("%(figure)s, year", figure=FIGURE_LABELS[name]))
    return str(FIGURE_LABELS[column])


def _normalise(text: str) -> str:
    return _PUNCTUATION.sub(" ", text.casefold()).strip()


def known_headings() -> dict[str, str]:
    """Normalised heading -> column, in every language of the portal."""
    known = {_normalise(column): column for column in COLUMNS}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            known.update({_normalise(heading(column)): column for column in COLUMNS})
    for text, column in _OTHER_HEADINGS.items():
        known.setdefault(text, column)
    return known


@cache
def _country_names() -> dict[str, str]:
    """Casefolded name or code -> ISO alpha-2 code: codes, ISO names, and the English and
    Swedish names Babel knows."""
    codes = {c.alpha_2 for c in pycountry.countries}
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                names[value.casefold()] = country.alpha_2
    for language in ("en", "sv"):
        for code, name in Locale.parse(language).territories.items():
            if code in codes:
                names.setdefault(name.casefold(), code)
    return names


def country_code(text: str) -> str | None:
    """The ISO alpha-2 code of a country given by code or name, None if it is none."""
    return _country_names().get(" ".join(text.split()).casefold())


@dataclass
class Problem:
    """Something wrong in one row (`row` as the spreadsheet numbers it), or with the file
    as a whole (`row` None)."""

    row: int | None
    message: str
    column: str | None = None


@dataclass
class ReadTable:
    """The countries read from a file, and every problem found; the rows are only taken
    when there are no problems."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Headings of columns the table does not use.
    ignored: list[str] = field(default_factory=list)

    @property
    def shown_problems(self) -> list[Problem]:
        return self.problems[:MAX_PROBLEMS_SHOWN]

    @property
    def more_problems(self) -> int:
        return max(len(self.problems) - MAX_PROBLEMS_SHOWN, 0)


def read_table(data: bytes, filename: str, today: date) -> ReadTable:
    """Every row of the uploaded table checked; nothing is stored. A file that cannot be read
    as a whole, lacks a column or holds no row gives one problem without a row."""
    try:
        found = _records(data, filename)
    except spreadsheets.SpreadsheetError as error:
        return ReadTable(problems=[Problem(None, spreadsheets.error_message(error, _FILE_ERRORS))])
    if found is None:
        return ReadTable(problems=[Problem(None, str(_l("The file holds no countries.")))])
    headings, positions, records = found
    known = known_headings()
    columns: dict[str, int] = {}
    ignored = []
    for text, position in zip(headings, positions, strict=True):
        column = known.get(_normalise(text))
        if column is None or column in columns:
            ignored.append(text)
        else:
            columns[column] = position
    missing = [heading(c) for c in COLUMNS if c not in columns]
    if missing:
        message = _l("These columns are missing: %(columns)s.", columns="; ".join(missing))
        return ReadTable(problems=[Problem(None, str(message))], ignored=ignored)
    if not records:
        return ReadTable(problems=[Problem(None, str(_l("The file holds no countries.")))])
    table = ReadTable(ignored=ignored)
    seen: dict[str, int] = {}
    for number, cells in records:
        row, problems = _row(number, cells, columns, today)
        code = row.get("country")
        if code in seen:
            problems.append(
                Problem(
                    number,
                    str(_l("The country is also in row %(row)s.", row=seen[code])),
                    heading("country"),
                )
            )
        elif code:
            seen[code] = number
        table.rows.append(row)
        table.problems.extend(problems)
    return table


def _records(data: bytes, filename: str):
    if spreadsheets.file_kind(data, filename) == "csv":
        _encoding, _delimiter, records = spreadsheets.read_csv(data)
        return spreadsheets.headed(records)
    with spreadsheets.open_workbook(data) as sheets:
        return spreadsheets.headed(sheets[0]()) if sheets else None


def _cell(cells: list, position: int) -> Any:
    return cells[position] if position < len(cells) else None


def _row(number: int, cells: list, columns: dict[str, int], today: date):
    row: dict[str, Any] = {}
    problems: list[Problem] = []

    def check(column: str, reader: Callable[[Any], Any]) -> None:
        try:
            row[column] = reader(_cell(cells, columns[column]))
        except _CellError as error:
            problems.append(Problem(number, str(error.message), heading(column)))

    check("country", _country)
    for name in FIGURES:
        check(name, _figure)
        check(f"{name}_source", _source)
        check(f"{name}_year", lambda value: _year(value, today))
    return row, problems


class _CellError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _text(value: Any) -> str:
    if isinstance(value, spreadsheets.Formula):
        raise _CellError(_l("The cell holds a formula; enter its value instead."))
    return " ".join(spreadsheets.as_text(value).split())


def _country(value: Any) -> str:
    text = _text(value)
    if not text:
        raise _CellError(_l("Enter the country."))
    code = country_code(text)
    if code is None:
        shown = text if len(text) <= 60 else text[:60] + "…"
        raise _CellError(
            _l(
                "“%(value)s” is not a country in ISO 3166. Give its two-letter code "
                "(such as CN) or its name.",
                value=shown,
            )
        )
    return code


def _number(value: Any) -> float | None:
    """The cell as a finite number, None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = _text(value).replace("\u2212", "-").replace(",", ".").replace(" ", "")
        if not re.fullmatch(r"-?\d{1,12}(\.\d{1,12})?", text):
            return None
        number = float(text)
    return number if math.isfinite(number) else None


def _figure(value: Any) -> float:
    if not _text(value):
        raise _CellError(_l("Enter the figure, from 0 to 100."))
    number = _number(value)
    if number is None or not 0 <= number <= 100:
        raise _CellError(_l("The figure must be a number from 0 to 100."))
    return round(number, 2)


def _source(value: Any) -> str:
    text = _text(value)
    if not text:
        raise _CellError(_l("Name the source of the figure."))
    if len(text) > SOURCE_LENGTH:
        raise _CellError(_l("Use at most %(max)d characters.", max=SOURCE_LENGTH))
    return text


def _year(value: Any, today: date) -> int:
    if not _text(value):
        raise _CellError(_l("Enter the year the figure describes."))
    number = _number(value)
    if number is None or not number.is_integer() or not FIRST_YEAR <= number <= today.year:
        raise _CellError(
            _l(
                "The year must be a whole number from %(first)d to %(last)d.",
                first=FIRST_YEAR,
                last=today.year,
            )
        )
    return int(number)


#: What the user reads for the reasons portal.spreadsheets gives for not reading a file
#: that name this kind of table (the others are worded there).
_FILE_ERRORS: dict[str, Callable[..., Any]] = {
    "unsupported": lambda: _l(
        "Only Excel workbooks (.xlsx) and CSV files (.csv) can be imported; "
        "save the table in one of these formats."
    ),
    "not_text": lambda: _l(
        "The file could not be read as text. Save the table as CSV (UTF-8) or as .xlsx."
    ),
    "too_many_parts": lambda count, max: _l(
        "The workbook holds more parts than a country-risk table needs. Save the table "
        "alone in a new workbook and upload that."
    ),
    "too_large": lambda max_mb: _l(
        "The workbook is too large when unpacked for a country-risk table. Save the table "
        "alone in a new workbook and upload that."
    ),
    "part_too_large": lambda max_mb: _l(
        "The workbook is too large when unpacked for a country-risk table. Save the table "
        "alone in a new workbook and upload that."
    ),
    "too_many_cells": lambda max: _l(
        "The sheet holds more cells than a country-risk table needs. Leave out the rows "
        "and columns that are not about the countries."
    ),
    "too_many_rows": lambda max: _l(
        "The file has more rows than a country-risk table needs. Leave out the rows that "
        "are not about the countries."
    ),
    "too_many_columns": lambda count, max: _l(
        "The file has more columns than a country-risk table needs. Leave out the columns "
        "that are not about the countries."
    ),
}

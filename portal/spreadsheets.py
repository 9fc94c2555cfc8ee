"""Spreadsheets in and out: reading uploaded CSV and XLSX files within limits, and writing
exports that no spreadsheet program runs as formulas.

Reading turns the bytes of an upload into rows of cells as read: text, and from a workbook also
numbers, dates, booleans and `Formula` text, never evaluated. `file_kind` decides from the
content (and the filename must agree) how a file is read; `read_csv` detects its encoding and
delimiter; `open_workbook` opens a workbook's sheets; `headed` takes the first non-empty row as
headings and the rest as data rows. Whatever cannot be read as a whole raises
`SpreadsheetError`, whose `reason` becomes the user's message through `error_message`: the
reasons that read alike for every table are worded here, and the caller words those that name
its own kind of table. `read_rows` does all of it at once, as text.

The work of reading grows with the file, never faster: a workbook is checked part by part
before openpyxl parses it (sizes from the zip directory, then the XML's longest runs, which
expat would read over and over), and rows, cells and headings are counted as they come.
openpyxl reads through defusedxml (installed with the portal), so no entity is expanded.

Writing: `neutralise` makes a value safe text for a cell; `to_csv` and `to_xlsx` write a header
and rows as the bytes of a download.
"""

import codecs
import csv
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from functools import partial
from typing import IO, Any

import openpyxl
from charset_normalizer import from_bytes
from flask import make_response
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook

#: Most data rows a file may hold (more than any list the portal takes in).
MAX_ROWS = 20_000
#: Most headed columns: more than any list has (and than a form of one choice per column
#: should carry).
MAX_COLUMNS = 300
#: Longest heading kept; longer ones are cut.
MAX_HEADING = 200
#: Bytes of a CSV file that encoding detection reads: many rows, and a bound on the work
#: whatever the file's size.
DETECT_BYTES = 64 * 1024
MAX_XLSX_MEMBERS = 500
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
#: Largest part of a workbook, unpacked: the sheet of MAX_ROWS rows with many columns takes
#: about 20 MB, and reading costs time in proportion to the size read.
MAX_XLSX_PART = 64 * 1024 * 1024
#: Longest stretch of a workbook's XML without a "<", and longest comment or processing
#: instruction in it. Python's XML parser (expat) is fed 16 kB at a time and reads a tag,
#: comment or instruction left unfinished at the end of a piece again from its start, so one
#: long one costs the square of its length (a 20 MB comment took 18 s, 190 MB over 11
#: minutes); below this length the cost stays a few seconds for the largest part. A cell
#: holds at most 32,767 characters (96 kB of Chinese text), which this leaves room for.
MAX_XML_RUN = 128 * 1024
#: Cells a sheet may yield, the empty ones before the last filled one of each row included:
#: MAX_ROWS rows of 200 columns. A few rows reaching column XFD would be billions.
MAX_SHEET_CELLS = 20_000 * 200
#: Excel's last row; openpyxl would count empty rows up to any number a sheet names.
_LAST_ROW = 1_048_576
#: How much of a workbook part is checked at a time (less than MAX_XML_RUN).
_XML_CHUNK = 64 * 1024

_XLSX_MAGIC = b"PK\x03\x04"
# Old .xls files and password-protected .xlsx files are both OLE compound documents.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
_DELIMITERS = (",", ";", "\t")
# Byte-order marks decide the encoding before any detection; UTF-32's starts like UTF-16's.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters other than tab and line breaks: what binary data decodes into, never text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class SpreadsheetError(Exception):
    """A file that cannot be read as a whole.

    `reason` names why, for the caller's message: "empty", "old_excel", "unsupported",
    "mislabelled" (details: extension, is_xlsx), "not_text", "csv_syntax" (line),
    "unreadable_workbook", "too_many_parts" (count, max), "too_large" (max_mb),
    "part_too_large" (max_mb), "too_costly", "too_many_cells" (max), "too_many_rows" (max),
    "too_many_columns" (count, max).
    """

    def __init__(self, reason: str, **details: Any):
        super().__init__(reason, details)
        self.reason = reason
        self.details = details


#: What the user reads for the reasons that read alike whatever the table.
_SHARED_MESSAGES: dict[str, Callable[..., Any]] = {
    "empty": lambda: _l("The file is empty."),
    "old_excel": lambda: _l(
        "This is an old Excel file (.xls) or a password-protected workbook. Save it "
        "as an Excel workbook (.xlsx) without a password, or as CSV, and upload that."
    ),
    "mislabelled": lambda extension, is_xlsx: _l(
        "The file's name ends in %(extension)s but its content is %(kind)s. Save "
        "it again from the spreadsheet program and upload that file.",
        extension=extension,
        kind=_l("an Excel workbook") if is_xlsx else _l("not an Excel workbook"),
    ),
    "csv_syntax": lambda line: _l("The CSV file could not be read near line %(line)s.", line=line),
    "unreadable_workbook": lambda: _l("The file is not a readable Excel workbook (.xlsx)."),
    "too_costly": lambda: _l(
        "The workbook holds XML that would take too long to read (a very long comment, "
        "tag or text). Open it in your spreadsheet program, save it again as .xlsx and "
        "upload that file."
    ),
}


def error_message(error: SpreadsheetError, own: dict[str, Callable[..., Any]]) -> str:
    """What the user reads for `error`: from `own` (the caller's wording of the reasons that
    name its kind of table, called with the error's details) or else the shared wording."""
    words = own.get(error.reason) or _SHARED_MESSAGES[error.reason]
    return str(words(**error.details))


class Formula(str):
    """The text of an XLSX formula cell ("=..."), marked so that it is never taken as a value."""

    __slots__ = ()


def as_text(value: Any) -> str:  # noqa: PLR0911 (one return per kind of cell reads best)
    """A cell as a person would read it in the spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def is_blank(value: Any) -> bool:
    """Whether the cell shows nothing but spaces."""
    return as_text(value).strip() == ""


# --- Reading ------------------------------------------------------------------------------------


def file_kind(data: bytes, filename: str) -> str:
    """ "xlsx" or "csv": how an upload is read. The content decides (XLSX is a zip, anything
    else is CSV) and the filename's extension must agree; it is used for nothing else.

    Raises SpreadsheetError "empty", "old_excel" (.xls or a password-protected workbook),
    "unsupported" (an extension other than .xlsx, .csv, .txt, .tsv) or "mislabelled".
    """
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not data:
        raise SpreadsheetError("empty")
    if data.startswith(_OLE_MAGIC) or extension == ".xls":
        raise SpreadsheetError("old_excel")
    if extension != ".xlsx" and extension not in _CSV_EXTENSIONS:
        raise SpreadsheetError("unsupported")
    is_xlsx = data.startswith(_XLSX_MAGIC)
    if is_xlsx != (extension == ".xlsx"):
        raise SpreadsheetError("mislabelled", extension=extension, is_xlsx=is_xlsx)
    return "xlsx" if is_xlsx else "csv"


def read_rows(data: bytes, filename: str) -> list[list[str]]:
    """Every row of an uploaded CSV file or of a workbook's first sheet, each cell as text
    (as_text; a formula as its "=..." text), within the limits above. A row's index is its
    number as a spreadsheet shows it, less one; a workbook's rows without cells are []."""
    if file_kind(data, filename) == "csv":
        _encoding, _delimiter, records = read_csv(data)
        return [[as_text(cell) for cell in cells] for _number, cells in records]
    found: list[list[str]] = []
    with open_workbook(data) as sheets:
        for number, cells in sheets[0]() if sheets else ():
            found.extend([] for _ in range(number - 1 - len(found)))
            found.append([as_text(cell) for cell in cells])
    return found


def read_csv(data: bytes) -> tuple[str, str, Iterator[tuple[int, list[str]]]]:
    """The encoding and delimiter a CSV file is read in, and its records numbered as a
    spreadsheet numbers rows (a quoted line break stays in its row).

    The delimiter is the one most used outside quotes on the first non-blank line, or the one
    an Excel "sep=;" line names (that line is then not a record). Raises SpreadsheetError
    "not_text", and "csv_syntax" while the records are read.
    """
    text, encoding = _decode(data)
    delimiter, text = _detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def records() -> Iterator[tuple[int, list[str]]]:
        try:
            yield from enumerate(reader, start=1)
        except csv.Error as error:
            raise SpreadsheetError("csv_syntax", line=reader.line_num) from error

    return encoding, delimiter, records()


def _decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in.

    A byte-order mark decides; otherwise charset-normalizer detects the encoding from the first
    DETECT_BYTES. When a later byte does not fit (the first rows were plain ASCII, a "ö" comes
    in row 3,000), the stretch from that line on is detected once more, and that encoding must
    read the whole file.
    """
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    encoding = encoding or _detect(data[:DETECT_BYTES])
    if encoding is None:
        raise SpreadsheetError("not_text")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        start = data.rfind(b"\n", 0, error.start) + 1
        encoding = _detect(data[start : start + DETECT_BYTES])
        if encoding is None:
            raise SpreadsheetError("not_text") from error
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as again:
            raise SpreadsheetError("not_text") from again
    if _CONTROL.search(text):
        # A binary file (or UTF-16 without a byte-order mark) decodes, but not into a list.
        raise SpreadsheetError("not_text")
    return text, encoding


def _detect(data: bytes) -> str | None:
    """The encoding charset-normalizer finds most likely for `data` (a Python codec name), or
    None when the bytes are no text.

    A short list fits several Western code pages equally well, and its detection then picks
    among them by little more than their order; Excel on a Swedish (or any Western) Windows
    saves "CSV" in Windows-1252, so among the matches as clean as the best, that one wins.
    Plain ASCII is read as UTF-8, which it is a part of. UTF-16 and UTF-32 only count with a
    byte-order mark (spreadsheets write one): bytes that only they would read are binary.
    """
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    name = codecs.lookup(best.encoding).name
    if name.startswith(("utf-16", "utf-32")):
        return None
    if not name.startswith("utf") and any(
        match.chaos <= best.chaos and "cp1252" in match.could_be_from_charset for match in matches
    ):
        name = "cp1252"
    return "utf-8" if name == "ascii" else name


def _detect_delimiter(text: str) -> tuple[str, str]:
    """The delimiter most used outside quotes on the first non-blank line (the header), and the
    text without an Excel "sep=;" hint line if it starts with one."""
    hint = re.match(r"\s*sep=([,;\t])[ ]*\r?\n", text)
    if hint:
        return hint.group(1), text[hint.end() :]
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in first:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return (best if counts[best] else ","), text


#: A sheet of an open workbook: called, it yields (row number, cell values) for every row with
#: cells.
Sheet = Callable[[], Iterator[tuple[int, list[Any]]]]


@contextmanager
def open_workbook(data: bytes) -> Iterator[list[Sheet]]:
    """The sheets of a workbook, in order, to read while the context lasts.

    Formulas are never evaluated: the workbook is opened with `data_only=False` and a formula
    cell comes as `Formula` text. Before openpyxl parses anything, the workbook is refused if
    it would unpack into too many parts or bytes, or if its XML would cost the parser more
    than its size. Raises SpreadsheetError "unreadable_workbook", "too_many_parts",
    "too_large", "part_too_large" or "too_costly"; a sheet raises "unreadable_workbook" or
    "too_many_cells" as it is read.
    """
    _check_zip(data)
    # openpyxl warns about features it drops (data validation, conditional formatting); they
    # do not matter for reading values. catch_warnings is process-wide, so this is also where
    # the parse happens: the rows are read inside it, not lazily afterwards.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=False, keep_links=False
            )
        except Exception as error:
            raise SpreadsheetError("unreadable_workbook") from error
        try:
            yield [partial(_sheet_rows, sheet) for sheet in workbook.worksheets]
        finally:
            workbook.close()


def _check_zip(data: bytes) -> None:
    """Refuse a workbook that would unpack into too many parts or too many bytes, or whose
    XML would cost the parser more than its size (_check_xml_part).

    The sizes come from the zip's central directory, so nothing is decompressed before they
    are checked; Python's zipfile never inflates a member beyond the size its directory entry
    declares, so a directory that lies gets a truncated member (and a CRC error), not a
    bigger one.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_sizes(members)
            for member in members:
                with archive.open(member) as stream:
                    _check_xml_part(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise SpreadsheetError("unreadable_workbook") from error
    except (RuntimeError, NotImplementedError, EOFError, zlib.error) as error:
        # An encrypted part, a compression method zipfile lacks, a truncated stream.
        raise SpreadsheetError("unreadable_workbook") from error


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    """Refuse too many parts, too many bytes in all, or too many in one part."""
    if len(members) > MAX_XLSX_MEMBERS:
        raise SpreadsheetError("too_many_parts", count=len(members), max=MAX_XLSX_MEMBERS)
    if sum(member.file_size for member in members) > MAX_XLSX_UNCOMPRESSED:
        raise SpreadsheetError("too_large", max_mb=MAX_XLSX_UNCOMPRESSED // (1024 * 1024))
    if any(member.file_size > MAX_XLSX_PART for member in members):
        raise SpreadsheetError("part_too_large", max_mb=MAX_XLSX_PART // (1024 * 1024))


_XML_OPENINGS = re.compile(rb"<!--|<\?")
_XML_CLOSINGS = {b"<!--": b"-->", b"<?": b"?>"}


def _check_xml_part(stream: IO[bytes]) -> None:
    """Refuse a workbook part whose XML would cost the parser more than its size: a stretch
    of more than MAX_XML_RUN bytes without a "<" (a tag that long, or text), or a comment or
    processing instruction longer than that (see MAX_XML_RUN).

    Reads the part once, a _XML_CHUNK at a time. A part that does not start like XML in
    UTF-8 is not checked: the parser stops at its first byte. UTF-16 XML, which no
    spreadsheet program writes, is refused, as its markup is not visible byte by byte.
    """
    chunk = stream.read(_XML_CHUNK)
    if chunk.startswith(codecs.BOM_UTF8):
        chunk = chunk[len(codecs.BOM_UTF8) :]
    if chunk[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\x00", b"\x00<"):
        raise SpreadsheetError("unreadable_workbook")
    if not chunk[:1] or chunk[:1] not in b"< \t\r\n":
        return
    read = 0  # bytes of the part before `chunk`
    last_open = 0  # where the last "<" is (the part's start counts as one)
    # An unfinished comment or instruction: where it starts, its opening's length, its end.
    opened_at, opening, closing = 0, 0, b""
    tail = b""  # the last bytes before `chunk`, where an opening or end may have begun
    while chunk:
        first = chunk.find(b"<")
        if (read + first if first >= 0 else read + len(chunk)) - last_open > MAX_XML_RUN:
            raise SpreadsheetError("too_costly")
        if first >= 0:
            last_open = read + chunk.rfind(b"<")
        data, start = tail + chunk, read - len(tail)  # data[0] is at `start` in the part
        position = 0
        while True:
            if closing:
                end = data.find(closing, max(position, opened_at + opening - start))
                if end < 0:
                    break
                position, closing = end + len(closing), b""
                if start + position - opened_at > MAX_XML_RUN:
                    raise SpreadsheetError("too_costly")
            found = _XML_OPENINGS.search(data, position)
            if found is None:
                break
            opened_at, opening = start + found.start(), len(found.group())
            closing, position = _XML_CLOSINGS[found.group()], found.end()
        read += len(chunk)
        if closing and read - opened_at > MAX_XML_RUN:
            raise SpreadsheetError("too_costly")
        tail = data[-3:]
        chunk = stream.read(_XML_CHUNK)


def _sheet_rows(sheet) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cell values) for every row with cells; formula cells come as Formula
    text. What openpyxl raises on a broken sheet becomes SpreadsheetError."""
    try:
        yield from _sheet_cells(sheet)
    except SpreadsheetError:
        raise
    except Exception as error:
        raise SpreadsheetError("unreadable_workbook") from error


def _sheet_cells(sheet) -> Iterator[tuple[int, list[Any]]]:
    # The size a sheet declares would have openpyxl fill every row up to its last column and
    # every row number up to its last row, whatever the cells: each row is read as written.
    sheet.reset_dimensions()
    cells_read = 0
    # In read-only mode openpyxl yields a row for every row number, empty ones included.
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        if number > _LAST_ROW:
            raise SpreadsheetError("unreadable_workbook")
        if not cells:
            continue
        cells_read += len(cells)
        if cells_read > MAX_SHEET_CELLS:
            raise SpreadsheetError("too_many_cells", max=MAX_SHEET_CELLS)
        values = []
        for cell in cells:
            value = cell.value
            if getattr(cell, "data_type", None) == "f":
                # Array formulas come as objects holding the formula in .text.
                value = Formula(getattr(value, "text", None) or str(value))
            values.append(value)
        yield number, values


def headed(
    records: Iterable[tuple[int, list[Any]]], *, limit: int | None = None
) -> tuple[list[str], list[int], list[tuple[int, list[Any]]]] | None:
    """The first non-empty row as headings, and the non-empty rows under it: (headings, where
    each heading's cells are in a row, (row number, cells) of each data row); None if every
    row is empty.

    Headings have the spaces around them removed and runs inside made single, are cut after
    MAX_HEADING characters and get their column number when they repeat; columns without a
    heading are left out of the positions. Reads the first `limit` data rows, or all of them;
    raises SpreadsheetError "too_many_columns" past MAX_COLUMNS headings and "too_many_rows"
    past MAX_ROWS data rows.
    """
    iterator = iter(records)
    for _number, cells in iterator:
        if not all(is_blank(cell) for cell in cells):
            header_cells = cells
            break
    else:
        return None
    texts = [" ".join(as_text(cell).split()) for cell in header_cells]
    named = [(position, text) for position, text in enumerate(texts) if text]
    # Counted first: the check for repeats below takes the square of the headings' number.
    if len(named) > MAX_COLUMNS:
        raise SpreadsheetError("too_many_columns", count=len(named), max=MAX_COLUMNS)
    headings: list[str] = []
    positions: list[int] = []
    for position, text in named:
        heading = text if len(text) <= MAX_HEADING else text[:MAX_HEADING] + "…"
        if heading in headings:
            # Keep headings unique when one repeats.
            heading = f"{heading} ({position + 1})"
        headings.append(heading)
        positions.append(position)
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in iterator:
        if all(is_blank(cell) for cell in cells):
            continue
        if len(rows) == limit:
            break
        if len(rows) >= MAX_ROWS:
            raise SpreadsheetError("too_many_rows", max=MAX_ROWS)
        rows.append((number, cells))
    return headings, positions, rows


# --- Writing ------------------------------------------------------------------------------------


def neutralise(value: Any) -> str:
    """The value as text that no spreadsheet will run as a formula, for exports.

    Text starting with = + - @, a tab or a carriage return gets a leading apostrophe, which
    spreadsheets show as a text marker (OWASP "CSV injection"). Numbers stay as written, dates
    become ISO dates, lists are joined with ", ", None becomes "".
    """
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return as_text(value)
    if isinstance(value, list | tuple):
        value = ", ".join(as_text(item) for item in value)
    text = as_text(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def neutralised(rows: Iterable[list[Any]]) -> list[list[Any]]:
    """The rows with every text cell neutralised; numbers, dates and empty cells as they are."""
    return [[neutralise(v) if isinstance(v, str) else v for v in row] for row in rows]


def to_csv(header: list[str], body: list[list]) -> bytes:
    """The header and rows as CSV: UTF-8 with BOM and CRLF, what spreadsheet programs open
    correctly by double-click. Cells are written as given: neutralise them first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(body)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(header: list[str], body: list[list], *, title: str) -> bytes:
    """The header and rows as a workbook of one sheet named `title`. Cells are written as
    given: neutralise them first."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    for row in body:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


#: The formats a download may take, with their content types.
DOWNLOAD_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def download(header: list[str], body: list[list], fmt: str, *, name: str, title: str):
    """The rows as a file to save (`name`.`fmt`, CSV or XLSX with a sheet named `title`),
    always as an attachment; `fmt` is one of DOWNLOAD_TYPES (the routes' `<download:fmt>`).
    Cells are written as given: neutralise them first."""
    payload = to_csv(header, body) if fmt == "csv" else to_xlsx(header, body, title=title)
    reply = make_response(payload)
    reply.headers["Content-Type"] = DOWNLOAD_TYPES[fmt]
    reply.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return reply

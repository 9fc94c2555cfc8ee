"""Spreadsheets in and out (portal.spreadsheets), against generated values (Hypothesis).

Whatever text an export holds, no spreadsheet program runs it as a formula (OWASP "CSV
injection"), and what is written as CSV or XLSX reads back as the same text.
"""

from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal import spreadsheets
from portal.arguments import DownloadFormatConverter
from portal.spreadsheets import SpreadsheetError, neutralise, neutralised, read_rows

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Text a cell can hold in both formats: anything but control characters other than tab and
#: line breaks (binary to a CSV reader, illegal in XML) and XML's two non-characters.
CELL_TEXT = st.text(
    st.characters(
        blacklist_categories=("Cc", "Cs"),
        blacklist_characters="\ufffe\uffff",
        whitelist_characters="\t\n\r",
    ),
    max_size=40,
)
#: Text that starts like a formula, the way an attacker would write one.
FORMULA_TEXT = st.builds(
    lambda start, rest: start + rest, st.sampled_from(DANGEROUS_STARTS), CELL_TEXT
)
ANY_TEXT = st.one_of(CELL_TEXT, FORMULA_TEXT)
VALUES = st.one_of(
    ANY_TEXT,
    st.none(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.lists(ANY_TEXT, max_size=3),
)
#: Export rows of text cells, under a fixed header as exports have.
ROWS = st.lists(st.lists(ANY_TEXT, min_size=1, max_size=4), max_size=6)
HEADER = ["Name", "Country", "Note", "Marked by"]


@settings(max_examples=500)
@given(text=ANY_TEXT)
@example(text='=HYPERLINK("http://x","y")')
@example(text="\r=1")
def test_text_that_could_start_a_formula_is_neutralised(text):
    safe = neutralise(text)

    assert not safe.startswith(DANGEROUS_STARTS)
    assert safe == ("'" + text if text.startswith(DANGEROUS_STARTS) else text)


@given(rows=st.lists(st.lists(VALUES, max_size=4), max_size=4))
def test_exported_rows_hold_no_text_that_starts_a_formula(rows):
    body = neutralised(rows)

    for row, safe_row in zip(rows, body, strict=True):
        for value, safe in zip(row, safe_row, strict=True):
            if isinstance(value, str):
                assert not safe.startswith(DANGEROUS_STARTS)
            else:
                # Numbers, dates and empty cells stay cells of their own type.
                assert safe is value


@settings(max_examples=150, deadline=None)
@given(rows=ROWS)
def test_csv_written_then_read_gives_the_same_strings(rows):
    body = neutralised(rows)

    data = spreadsheets.to_csv(HEADER, body)

    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that spreadsheet programs look for
    assert read_rows(data, "export.csv") == [HEADER, *body]


@settings(max_examples=60, deadline=None)
@given(rows=ROWS)
def test_xlsx_written_then_read_gives_the_same_strings(rows):
    body = neutralised(rows)

    data = spreadsheets.to_xlsx(HEADER, body, title="Export")

    # XML reads every line end as a line feed, so a carriage return comes back as one.
    expected = [[_xml_line_ends(cell) for cell in row] for row in [HEADER, *body]]
    assert read_rows(data, "export.xlsx") == expected


def _xml_line_ends(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def test_csv_is_written_as_spreadsheet_programs_open_it():
    data = spreadsheets.to_csv(["A", "B"], [["x,y", 'say "hi"'], [1, ""]])

    assert data == b'\xef\xbb\xbfA,B\r\n"x,y","say ""hi"""\r\n1,\r\n'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+46 8 123", "'+46 8 123"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Plain text", "Plain text"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-5, "-5"),
        (1200, "1200"),
        (date(2023, 1, 15), "2023-01-15"),
        (["pcs", "monitors"], "pcs, monitors"),
    ],
)
def test_neutralise_keeps_formulas_out_of_exports(value, expected):
    assert neutralise(value) == expected


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "list.csv", "empty"),
        (b"a,b\r\n", "list.xls", "old_excel"),
        (b"a,b\r\n", "list.pdf", "unsupported"),
        (b"a,b\r\n", "list.xlsx", "mislabelled"),
        (b"PK\x03\x04 not a zip", "list.xlsx", "unreadable_workbook"),
        (b"a,b\r\n\x00\x01\x02", "list.csv", "not_text"),
    ],
)
def test_files_that_cannot_be_read_say_why(data, filename, reason):
    with pytest.raises(SpreadsheetError) as raised:
        read_rows(data, filename)

    assert raised.value.reason == reason


def test_headed_rows_stop_at_the_row_limit(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 2)
    records = [(1, ["Name"]), (2, ["a"]), (3, [""]), (4, ["b"])]

    assert spreadsheets.headed(records) == (["Name"], [0], [(2, ["a"]), (4, ["b"])])
    with pytest.raises(SpreadsheetError) as raised:
        spreadsheets.headed([*records, (5, ["c"])])
    assert raised.value.details == {"max": 2}


# Downloads -------------------------------------------------------------------------------------
def test_every_download_names_its_format_with_the_download_converter(app):
    """A route with a format in its address takes it as `<download:fmt>`: csv or xlsx, and
    any other format matches no route."""
    downloads = [rule for rule in app.url_map.iter_rules() if "fmt" in rule.arguments]
    assert len(downloads) >= 7
    for rule in downloads:
        assert isinstance(rule._converters["fmt"], DownloadFormatConverter), rule.rule


def test_an_unknown_format_is_refused_before_any_row_is_read(client, reviewer, count_queries):
    client.login(reviewer)
    assert client.get("/review/export/grades.csv").status_code == 200
    with count_queries() as counter:
        assert client.get("/review/export/grades.pdf").status_code == 404
    # At most the signed-in user, for the page that says it is not found.
    assert counter.count <= 1, counter.statements

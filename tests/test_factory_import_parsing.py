"""Reading suppliers' factory lists: the sample files do what their README promises, and the
edges hold (encodings, delimiters, zip bombs, the row limit, formulas, exports)."""

import io
import json
import re
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from charset_normalizer import from_bytes

from portal import spreadsheets
from portal.factories import importing
from portal.factories.importing import (
    ImportFileError,
    ParsedRow,
    ParseResult,
    find_duplicates,
    normalise_key,
    read_upload,
)
from portal.spreadsheets import neutralise

SAMPLES = Path(__file__).parent / "fixtures" / "factory-lists"


def read_sample(name: str) -> ParseResult:
    result = read_upload((SAMPLES / name).read_bytes(), name)
    find_duplicates(result.rows, {})
    return result


def by_number(result: ParseResult) -> dict[int, ParsedRow]:
    return {row.number: row for row in result.rows}


def errors(row: ParsedRow) -> list[tuple[str | None, str]]:
    return [(issue.column, issue.message) for issue in row.errors]


def warnings_of(row: ParsedRow) -> list[tuple[str | None, str]]:
    return [(issue.column, issue.message) for issue in row.warnings]


def csv_result(text: str, filename: str = "list.csv") -> ParseResult:
    return read_upload(text.encode("utf-8"), filename)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- The sample files, as their README describes them --------------------------------------------


def test_open_supply_hub_csv_with_bom():
    result = read_sample("osh-columns-utf8-bom.csv")

    assert result.encoding == "utf-8-sig"
    assert result.delimiter == ","
    # 6 rows read (the address with a quoted comma and line break stays in its row).
    assert [row.number for row in result.rows] == [2, 3, 4, 5, 6, 7]
    assert [row.values["country"] for row in result.rows] == ["CN", "CN", "MY", "VN", "TW", "CN"]
    # facility_type maps to the role.
    assert result.columns["role"] == "facility_type"
    assert [row.values["role"] for row in result.rows] == [
        "final_assembly",
        "main_component",
        "main_component",
        "main_component",
        "main_component",
        "final_assembly",
    ]
    assert [(row.values["workers_min"], row.values["workers_max"]) for row in result.rows] == [
        (5001, 10000),
        (1001, 5000),
        (501, 1000),
        (1001, 5000),
        (501, 1000),
        (5001, 10000),
    ]
    # product_type names a product for the assembler and a component for the others.
    assert [row.values["product_categories"] for row in result.rows] == [
        ["pcs"], [], [], [], [], ["pcs"],
    ]  # fmt: skip
    assert [row.values["component_categories"] for row in result.rows] == [
        [], ["display_panel"], ["mainboard_pcb"], ["power_supply"], ["memory"], [],
    ]  # fmt: skip
    rows = by_number(result)
    assert rows[3].values["address"] == "188 Suhong West Road,\nSuzhou Industrial Park, Jiangsu"
    assert rows[2].values["name"] == "Shenzhen Lianhe Precision Electronics Co., Ltd."
    # sector and parent_company are understood, not listed as ignored.
    assert result.ignored_columns == []
    assert all(row.errors == [] for row in result.rows)
    # Row 6 of the list (row 7 of the sheet) is a duplicate of row 1 (row 2 of the sheet).
    assert [row.duplicate_of for row in result.rows] == [None, None, None, None, None, "row 2"]
    assert warnings_of(rows[7]) == [(None, "This is the same factory as row 2.")]
    assert all(row.warnings == [] for row in result.rows[:5])


def test_swedish_semicolon_csv_in_windows_1252():
    result = read_sample("swedish-semicolon-cp1252.csv")

    assert result.encoding == "cp1252"
    assert result.delimiter == ";"
    assert result.ignored_columns == []
    # 5 rows read, the two empty rows at the end ignored.
    assert [row.number for row in result.rows] == [2, 3, 4, 5, 6]
    assert [row.values["country"] for row in result.rows] == ["CN", "CZ", "KR", "MX", "VN"]
    assert [row.values["role"] for row in result.rows] == [
        "main_component",
        "main_component",
        "main_component",
        "final_assembly",
        "main_component",
    ]
    assert [row.values["component_categories"] for row in result.rows] == [
        ["cables"], ["chassis"], ["battery"], [], ["keyboard_peripherals"],
    ]  # fmt: skip
    rows = by_number(result)
    assert rows[2].values["name"] == "Åkesson Kabel & Kontakt (Dongguan) Ltd"
    assert rows[2].values["city"] == "Dongguan"
    assert rows[2].values["os_hub_id"] == "CN2019123ABC4DE"
    assert (rows[2].values["workers_min"], rows[2].values["workers_max"]) == (300, 300)
    # "2 400" with a space as thousands separator.
    assert (rows[5].values["workers_min"], rows[5].values["workers_max"]) == (2400, 2400)
    # The row with "abc" workers: an error naming the row and the column as written.
    assert [row.number for row in result.rows if row.errors] == [6]
    assert errors(rows[6]) == [
        ("Antal anställda", "'abc' is not a number or a range such as 51-100.")
    ]
    assert rows[6].values["workers_min"] is None
    # The character the export could not encode, now "?", gets a warning on its cell.
    assert [row.number for row in result.rows if row.warnings] == [3]
    [(column, message)] = warnings_of(rows[3])
    assert column == "Adress"
    assert "'Pr?myslová 14'" in message
    assert all(row.duplicate_of is None for row in result.rows)


def test_problems_xlsx():
    result = read_sample("problems.xlsx")
    rows = by_number(result)

    assert result.encoding is None
    assert result.delimiter is None
    # Headers with stray spaces are understood and reported without them.
    assert result.columns["name"] == "Factory name"
    assert result.columns["address"] == "Address"
    assert result.columns["entered_on"] == "Active from"
    assert result.ignored_columns == []
    assert [row.number for row in result.rows] == [2, 3, 4, 5, 6, 7, 8]

    # The near-duplicate (extra spaces, other case) is flagged.
    assert rows[2].key == rows[3].key
    assert rows[2].duplicate_of is None
    assert rows[3].duplicate_of == "row 2"
    assert warnings_of(rows[3]) == [(None, "This is the same factory as row 2.")]
    assert rows[2].values["entered_on"] == date(2023, 1, 15)
    assert rows[2].values["component_categories"] == ["mainboard_pcb"]
    assert (rows[2].values["workers_min"], rows[2].values["workers_max"]) == (1200, 1200)

    # The missing and the unknown country are errors on their rows.
    assert errors(rows[4]) == [("Country", "The country is missing.")]
    [(column, message)] = errors(rows[5])
    assert column == "Country"
    assert "'Atlantis'" in message

    # A name that is a formula is kept as text, with a warning, and never exported as one.
    name = rows[6].values["name"]
    assert name == '=HYPERLINK("http://example.invalid","click")'
    assert rows[6].errors == []
    [(column, message)] = warnings_of(rows[6])
    assert column == "Factory name"
    assert "looks like a spreadsheet formula" in message
    assert neutralise(name) == "'" + name

    # A formula in a number cell is not evaluated: an error, and no number.
    [(column, message)] = errors(rows[7])
    assert column == "Workers"
    assert "Formulas are not evaluated" in message
    assert rows[7].raw["Workers"] == "=5*100"
    assert rows[7].values["workers_min"] is None

    # A worker range and a role in capitals.
    assert (rows[8].values["workers_min"], rows[8].values["workers_max"]) == (51, 100)
    assert rows[8].values["role"] == "final_assembly"
    assert rows[8].values["country"] == "FI"

    # Nothing may be written until these are fixed or dropped: exactly these rows have errors.
    assert [row.number for row in result.rows if row.errors] == [4, 5, 7]


# --- Encodings and delimiters ---------------------------------------------------------------------


def test_utf16_with_byte_order_mark_as_excel_unicode_text():
    text = "Name\tCountry\tRole\r\nÅkesson Kabel AB\tSverige\tSlutmontering\r\n"
    result = read_upload(text.encode("utf-16"), "factories.txt")

    assert result.encoding == "utf-16"
    assert result.delimiter == "\t"
    [row] = result.rows
    assert row.values["name"] == "Åkesson Kabel AB"
    assert row.values["country"] == "SE"
    assert row.values["role"] == "final_assembly"
    assert row.errors == []


def test_a_chinese_systems_csv_in_gb18030():
    text = "Name,Address,Country,Role\n"
    text += "深圳联合精密电子有限公司,深圳市龙华区观澜街道环观南路8号,CN,assembly\n"
    text += "苏州恒信显示技术有限公司,苏州工业园区苏虹西路188号,CN,component\n"
    result = read_upload(text.encode("gbk"), "factories.csv")

    assert result.encoding == "gb18030"
    assert [row.values["name"] for row in result.rows] == [
        "深圳联合精密电子有限公司",
        "苏州恒信显示技术有限公司",
    ]
    assert all(row.errors == [] and row.warnings == [] for row in result.rows)


@pytest.mark.parametrize(("encoding", "detections"), [("utf-8", 1), ("cp1252", 2)])
def test_a_letter_after_the_detected_stretch_is_read_right(monkeypatch, encoding, detections):
    seen: list[int] = []

    def detect(data):
        seen.append(len(data))
        return from_bytes(data)

    monkeypatch.setattr(spreadsheets, "from_bytes", detect)
    rows = "".join(f"Plain Works {n},CN,assembly\n" for n in range(6000))
    data = f"Name,Country,Role\n{rows}Göteborgs Kabel AB,SE,assembly\n".encode(encoding)
    assert len(data) > 2 * spreadsheets.DETECT_BYTES

    result = read_upload(data, "long.csv")

    assert result.encoding == encoding
    assert result.rows[-1].values["name"] == "Göteborgs Kabel AB"
    # Detection read a bounded stretch: the start (plain ASCII, which UTF-8 reads on), and
    # for Windows-1252, where that fails at the "ö", once more from there.
    assert len(seen) == detections
    assert max(seen) <= spreadsheets.DETECT_BYTES


def test_a_table_survives_storing_as_json_cell_for_cell():
    cells = [
        "Name",
        1200,
        1.5,
        True,
        None,
        datetime(2022, 5, 1, 8, 30),  # noqa: DTZ001 (Excel dates have no time zone)
        date(2022, 5, 1),
        spreadsheets.Formula("=5*100"),
    ]
    table = importing.Table(["A"], [0], [(2, cells)], encoding="cp1252", delimiter=";")

    again = importing.Table.from_json(json.loads(json.dumps(table.to_json())))

    assert again == table
    assert isinstance(again.records[0][1][-1], spreadsheets.Formula)
    assert again.lost_letters


def test_tab_delimited_utf8_with_quoted_tab():
    text = (
        "name\taddress\tcountry\trole\n"
        'Tab Works\t"Road 1\twest"\tvnm\tcomponent\n'
        "\t\t\t\n"
        "Other Works\tRoad 2\tDE\tassembly\n"
    )
    result = csv_result(text, "list.tsv")

    assert result.encoding == "utf-8"
    assert result.delimiter == "\t"
    assert [row.number for row in result.rows] == [2, 4]
    assert result.rows[0].values["address"] == "Road 1 west"
    assert result.rows[0].values["country"] == "VN"
    assert [row.values["role"] for row in result.rows] == ["main_component", "final_assembly"]


def test_excel_sep_hint_line_sets_the_delimiter():
    result = csv_result("sep=;\nName;Country;Role\nA, B and C;CN;final assembly\n")

    assert result.delimiter == ";"
    assert [row.number for row in result.rows] == [2]
    assert result.rows[0].values["name"] == "A, B and C"


def test_headers_in_any_language_case_and_order():
    header = (
        " LOKALT NAMN ;Aktiv till;Varumärken;Produktkategori; Fabrik ;Postnummer;Stad;Land;Typ;"
        "os_id;RBA-ID;Aktiv från;Kommentar"
    )
    row = "深圳工厂;2024-06-30;Acme, Fuji;Bärbara datorer, servrar;Shenzhen Works;518000;Shenzhen;"
    row += "Kina;Slutmontering;cn2019123abc4de;RBA-1234;2021-01-01;hej"
    result = csv_result(f"{header}\n{row}\n")

    assert result.ignored_columns == ["Kommentar"]
    assert result.columns["name"] == "Fabrik"
    assert result.columns["name_local"] == "LOKALT NAMN"
    [parsed] = result.rows
    assert parsed.errors == []
    assert parsed.values["name"] == "Shenzhen Works"
    assert parsed.values["name_local"] == "深圳工厂"
    assert parsed.values["postal_code"] == "518000"
    assert parsed.values["city"] == "Shenzhen"
    assert parsed.values["brands"] == ["Acme", "Fuji"]
    assert parsed.values["product_categories"] == ["pcs", "servers_storage"]
    assert parsed.values["os_hub_id"] == "CN2019123ABC4DE"
    assert parsed.values["rba_id"] == "RBA-1234"
    assert parsed.values["entered_on"] == date(2021, 1, 1)
    assert parsed.values["left_on"] == date(2024, 6, 30)
    assert parsed.raw["Kommentar"] == "hej"


# --- Values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Viet Nam", "VN"),
        ("vietnam", "VN"),
        ("VNM", "VN"),
        ("cn", "CN"),
        ("Tjeckien", "CZ"),
        ("Sydkorea", "KR"),
        ("South Korea", "KR"),
        ("Mexiko", "MX"),
        ("Taiwan", "TW"),
        ("Storbritannien", "GB"),
        ("Côte d'Ivoire", "CI"),
    ],
)
def test_countries_as_codes_or_english_or_swedish_names(written, expected):
    result = csv_result(f"Name,Country,Role\nA,{written},assembly\n")
    assert result.rows[0].values["country"] == expected
    assert result.rows[0].errors == []


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("300", (300, 300)),
        ("2 400", (2400, 2400)),
        ("2\u00a0400", (2400, 2400)),
        ("2\u202f400", (2400, 2400)),
        ("1,200", (1200, 1200)),
        ("51-100", (51, 100)),
        ("51\u2013100", (51, 100)),  # an en dash, as word processors write
        ("5001-10000", (5001, 10000)),
        ("10000+", (10000, None)),
    ],
)
def test_workers_as_numbers_and_ranges(written, expected):
    result = csv_result(f"Name;Country;Role;Workers\nA;CN;assembly;{written}\n")
    row = result.rows[0]
    assert row.errors == []
    assert (row.values["workers_min"], row.values["workers_max"]) == expected


@pytest.mark.parametrize("written", ["abc", "1.5", "100-51", "ca 300"])
def test_workers_that_are_not_numbers_are_errors(written):
    result = csv_result(f"Name;Country;Role;Number of workers\nA;CN;assembly;{written}\n")
    [(column, message)] = errors(result.rows[0])
    assert column == "Number of workers"
    assert f"'{written}'" in message


def test_missing_or_unknown_role_and_unknown_categories():
    result = csv_result(
        "Name,Country,Role,Component,Product category\n"
        'A,CN,,"Kablar; Chassi; Flux capacitor",Monitors\n'
        "B,CN,raw material,Övrigt,Toasters\n"
    )
    first, second = result.rows

    assert errors(first) == [("Role", "The role is missing.")]
    assert first.values["component_categories"] == ["cables", "chassis"]
    assert warnings_of(first) == [
        (
            "Component",
            "'Flux capacitor' is not a component category this portal knows, so it was not "
            "imported.",
        )
    ]
    assert first.values["product_categories"] == ["monitors"]
    [(column, message)] = errors(second)
    assert column == "Role"
    assert "'raw material'" in message
    assert second.values["component_categories"] == ["other"]
    [(column, message)] = warnings_of(second)
    assert column == "Product category"
    assert "'Toasters'" in message


def test_a_file_without_role_or_country_column_is_an_error_on_each_row():
    result = csv_result("Name\nA\n")
    assert errors(result.rows[0]) == [
        (None, "The country is missing: the file has no country column."),
        (None, "The role is missing: the file has no role column."),
    ]


def test_ids_are_checked():
    result = csv_result(
        "Name;Country;Role;OS ID;RBA ID\n"
        "A;CN;assembly;cn2019123abc4de;AB-12\n"
        "B;CN;assembly;CN123;no spaces allowed\n"
    )
    good, bad = result.rows
    assert good.errors == []
    assert (good.values["os_hub_id"], good.values["rba_id"]) == ("CN2019123ABC4DE", "AB-12")
    assert [column for column, _message in errors(bad)] == ["OS ID", "RBA ID"]
    assert "'CN123'" in bad.errors[0].message


def test_dates_from_text_and_from_workbook_cells():
    data = xlsx_bytes(
        [
            ["Name", "Country", "Role", "Active from", "Active to"],
            ["A", "CN", "assembly", datetime(2022, 5, 1), "2023-02-01"],  # noqa: DTZ001 (Excel dates have no time zone)
            ["B", "CN", "assembly", "2023-02-01", date(2022, 5, 1)],
            ["C", "CN", "assembly", "1 May 2022", None],
        ]
    )
    a, b, c = read_upload(data, "dates.xlsx").rows

    assert a.errors == []
    assert (a.values["entered_on"], a.values["left_on"]) == (date(2022, 5, 1), date(2023, 2, 1))
    [(column, message)] = errors(b)
    assert column == "Active to"
    assert "before it entered" in message
    [(column, message)] = errors(c)
    assert column == "Active from"
    assert "'1 May 2022' is not a date" in message


def test_workbook_rows_keep_their_spreadsheet_numbers():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B3"], sheet["C3"], sheet["D3"] = " Name", "Country", "Role"
    sheet["B5"], sheet["C5"], sheet["D5"] = "A", "SE", "assembly"
    sheet["B9"], sheet["C9"], sheet["D9"] = "B", 1, "assembly"
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = read_upload(buffer.getvalue(), "list.xlsx")

    assert [row.number for row in result.rows] == [5, 9]
    assert result.rows[1].raw["Country"] == "1"
    assert result.rows[1].errors[0].column == "Country"


def test_a_formula_in_a_coded_cell_is_an_error_and_in_a_text_cell_a_warning():
    result = csv_result("Name,City,Country,Role\n=1+1,=cmd|' /C calc'!A0,=A2,assembly\n")
    [row] = result.rows

    assert [column for column, _message in errors(row)] == ["Country"]
    assert [column for column, _message in warnings_of(row)] == ["Name", "City"]
    assert row.values["name"] == "=1+1"


# --- Whole-file problems --------------------------------------------------------------------------


def test_zip_bomb_is_refused_from_the_zip_directory(monkeypatch):
    buffer = io.BytesIO()
    # 300 MB of zeros that deflate to about 1 MB.
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member,
    ):
        chunk = bytes(1024 * 1024)
        for _ in range(300):
            member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 5 * 1024 * 1024

    def refuse(*args, **kwargs):
        raise AssertionError("nothing may be decompressed or opened before the size check")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)
    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    with pytest.raises(ImportFileError, match="200 MB"):
        read_upload(data, "factories.xlsx")


def test_workbook_with_too_many_members_is_refused(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for index in range(spreadsheets.MAX_XLSX_MEMBERS + 1):
            zf.writestr(f"xl/part{index}.xml", "<x/>")
    monkeypatch.setattr(openpyxl, "load_workbook", pytest.fail)

    with pytest.raises(ImportFileError, match="501 parts"):
        read_upload(buffer.getvalue(), "factories.xlsx")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_more_than_max_rows_is_refused(monkeypatch, kind):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 3)
    rows = [["Name", "Country", "Role"]] + [[f"F{n}", "CN", "assembly"] for n in range(3)]

    def upload(table):
        if kind == "xlsx":
            return read_upload(xlsx_bytes(table), "list.xlsx")
        return csv_result("\n".join(",".join(row) for row in table))

    assert len(upload(rows).rows) == 3
    with pytest.raises(ImportFileError, match="more than 3 factories"):
        upload([*rows, ["F3", "CN", "assembly"]])


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"", "list.csv", "empty"),
        (b"Name,Country\nA,CN\n", "list.pdf", "Only Excel workbooks"),
        (b"Name,Country\nA,CN\n", "list", "Only Excel workbooks"),
        (b"Name,Country\nA,CN\n", "list.xlsx", "not an Excel workbook"),
        (b"PK\x03\x04 not really", "list.csv", "an Excel workbook"),
        (b"PK\x03\x04 not really", "list.xlsx", "not a readable Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "list.xls", "old Excel file"),
        (b"Name\x00,Country\n", "list.csv", "could not be read as text"),
        (b"Name\x01\x02\x03,Country\n", "list.csv", "could not be read as text"),
        (b"Address,Country\nRoad 1,CN\n", "list.csv", "No column with the factories' names"),
        (b"\n\n", "list.csv", "No column with the factories' names"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(data, filename, expected):
    with pytest.raises(ImportFileError, match=expected):
        read_upload(data, filename)


def test_workbook_without_name_column_is_refused():
    with pytest.raises(ImportFileError, match="No column with the factories' names"):
        read_upload(xlsx_bytes([["Address", "Country"], ["Road 1", "CN"]]), "list.xlsx")


def test_the_first_sheet_with_a_name_column_is_read():
    workbook = openpyxl.Workbook()
    workbook.active.append(["How to fill in this list"])
    sheet = workbook.create_sheet("Factories")
    sheet.append(["Name", "Country", "Role"])
    sheet.append(["A", "CN", "assembly"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = read_upload(buffer.getvalue(), "list.xlsx")
    assert [row.values["name"] for row in result.rows] == ["A"]


# --- Files that would cost more than their size ------------------------------------------------

#: Reads each file given on the command line as an upload, and prints the seconds it took and
#: what came of it; run in a process of its own, so that a file that hangs is stopped.
_READ_EACH = """
import sys, time
from portal.factories.importing import ImportFileError, read_upload
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    start = time.perf_counter()
    try:
        outcome = f"{len(read_upload(data, path).rows)} rows"
    except ImportFileError as error:
        outcome = str(error)
    print(f"{time.perf_counter() - start:.2f}|{outcome}", flush=True)
"""


def _rewritten_sheet(change) -> bytes:
    """A valid workbook (a header and one factory) whose sheet XML went through `change`."""
    original = zipfile.ZipFile(
        io.BytesIO(xlsx_bytes([["Name", "Country", "Role"], ["A", "CN", "assembly"]]))
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(
        buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1
    ) as rewritten:
        for member in original.infolist():
            data = original.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            rewritten.writestr(member.filename, data)
    return buffer.getvalue()


def _before_the_rows(xml: bytes):
    return lambda sheet: sheet.replace(b"<sheetData>", b"<sheetData>" + xml, 1)


def _with_last_row(number: int, dimension: bytes):
    row = f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>B</t></is></c></row>'
    return lambda sheet: re.sub(rb"<dimension [^>]*>", dimension, sheet).replace(
        b"</sheetData>", row.encode() + b"</sheetData>"
    )


def _costly_files() -> dict[str, tuple[bytes, str]]:
    """Small files that cost the server far more than their size, and what reading each
    must come to."""
    mb = 1024 * 1024
    too_long = "would take too long to read"
    return {
        # The attack run's file, smaller: 22 kB holding a 20 MB comment took 18 s, and the
        # time grew with the square of the comment's length.
        "comment.xlsx": (
            _rewritten_sheet(_before_the_rows(b"<!--" + b"a" * 20 * mb + b"-->")),
            too_long,
        ),
        "comment-of-tags.xlsx": (
            _rewritten_sheet(_before_the_rows(b"<!--" + b"<b>x</b>" * (20 * mb // 8) + b"-->")),
            too_long,
        ),
        "instruction.xlsx": (
            _rewritten_sheet(_before_the_rows(b"<?x " + b"<i>" * (7 * mb) + b"?>")),
            too_long,
        ),
        "attribute.xlsx": (
            _rewritten_sheet(_before_the_rows(b'<x a="' + b">" * 20 * mb + b'"/>')),
            too_long,
        ),
        # 5 kB declaring the last row and column: openpyxl filled every row to 16,384 cells.
        "declared-size.xlsx": (
            _rewritten_sheet(_with_last_row(1_048_576, b'<dimension ref="A1:XFD1048576"/>')),
            "2 rows",
        ),
        # A row far past Excel's last, no size declared: every empty row before it was read.
        "far-row.xlsx": (
            _rewritten_sheet(_with_last_row(99_999_999, b"")),
            "not a readable Excel workbook",
        ),
        # Each of 100,000 headings was compared with those before it.
        "headings.csv": (
            ",".join(f"h{n}" for n in range(100_000)).encode() + b"\nA\n",
            "100000 columns",
        ),
    }


def test_files_that_would_cost_more_than_their_size_are_read_or_refused_in_seconds(tmp_path):
    files = _costly_files()
    for name, (data, _outcome) in files.items():
        assert len(data) < 1024 * 1024, name  # small uploads, all of them
        (tmp_path / name).write_bytes(data)
    try:
        run = subprocess.run(
            [sys.executable, "-c", _READ_EACH, *(str(tmp_path / name) for name in files)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).parent.parent,
            check=True,
        )
    except subprocess.TimeoutExpired as stopped:
        done = (stopped.stdout or b"").count(b"\n")
        pytest.fail(f"still reading {list(files)[done]} after a minute")
    lines = run.stdout.splitlines()
    assert len(lines) == len(files), run.stderr
    for (name, (_data, expected)), line in zip(files.items(), lines, strict=True):
        seconds, outcome = line.split("|", 1)
        assert expected in outcome, name
        assert float(seconds) < 3, f"{name} took {seconds} s"


def test_the_longest_cell_and_short_comments_are_read():
    longest = "工" * 32_767  # the most Excel lets a cell hold: 96 kB of XML
    data = _rewritten_sheet(_before_the_rows(b"<!-- exported by our ERP -->" * 100))
    result = read_upload(data, "list.xlsx")
    assert [row.values["name"] for row in result.rows] == ["A"]

    result = read_upload(xlsx_bytes([["Name", "Country", "Role"], [longest, "CN", "x"]]), "l.xlsx")
    assert errors(result.rows[0])[0] == ("Name", "The text is longer than 300 characters.")


def test_one_part_too_large_is_refused_before_it_is_opened(monkeypatch):
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("xl/sharedStrings.xml", "w") as member,
    ):
        for _ in range(65):
            member.write(b" " * 1024 * 1024)
    monkeypatch.setattr(zipfile.ZipFile, "open", pytest.fail)
    monkeypatch.setattr(openpyxl, "load_workbook", pytest.fail)

    with pytest.raises(ImportFileError, match="more than 64 MB when unpacked"):
        read_upload(buffer.getvalue(), "factories.xlsx")


def test_thousands_of_digits_of_workers_are_a_row_error():
    result = csv_result(
        "Name;Country;Role;Workers\n"
        f"A;CN;assembly;{'9' * 5000}\n"
        f"B;CN;assembly;10-{'9' * 5000}\n"
        f"C;CN;assembly;{'0' * 5000}7\n"
    )
    too_many = [("Workers", "More than 1000000 workers cannot be right; check the number.")]
    assert errors(result.rows[0]) == too_many
    assert errors(result.rows[1]) == too_many
    assert (result.rows[2].values["workers_min"], result.rows[2].values["workers_max"]) == (7, 7)


def test_a_cell_of_thousands_of_unknown_categories_is_a_few_warnings():
    unknown = ", ".join(f"Gadget {n}" for n in range(3000))
    result = csv_result(f'Name;Country;Role;Component\nA;CN;assembly;"Battery, {unknown}"\n')
    [row] = result.rows
    assert row.values["component_categories"] == ["battery"]
    assert warnings_of(row) == [
        *(
            (
                "Component",
                f"'Gadget {n}' is not a component category this portal knows, so it was not "
                "imported.",
            )
            for n in range(5)
        ),
        ("Component", "2995 more values were not imported either."),
    ]


def test_messages_repeat_at_most_a_hundred_characters_of_a_cell():
    result = csv_result(f"Name;Country;Role\nA;{'X' * 10_000};assembly\n")
    [(_column, message)] = errors(result.rows[0])
    assert f"'{'X' * 100}…' is not a country" in message
    assert len(message) < 300


# --- Duplicates and exports -----------------------------------------------------------------------


def test_normalise_key_ignores_case_spacing_and_punctuation():
    assert normalise_key("Kunshan  Mainboard ", "88 Qianjin East Road.", "cn") == normalise_key(
        "KUNSHAN MAINBOARD", "88  qianjin east road", "CN"
    )
    assert normalise_key("\uff26\uff41\uff43\uff54\uff4f\uff52\uff59", None, None) == normalise_key(
        "factory", "", ""
    )
    assert normalise_key("A", "Road 1", "CN") != normalise_key("A", "Road 2", "CN")


def test_duplicates_of_the_register_and_repeated_runs():
    result = csv_result(
        "Name,Address,Country,Role\n"
        "Known Works,Road 1,CN,assembly\n"
        "New Works,Road 2,CN,assembly\n"
        "new works,Road  2,cn,assembly\n"
        ",Road 3,CN,assembly\n"
        ",Road 3,CN,assembly\n"
    )
    register = {normalise_key("KNOWN WORKS", "road 1", "CN"): "Known Works (Shenzhen)"}

    find_duplicates(result.rows, register)
    find_duplicates(result.rows, register)

    assert [row.duplicate_of for row in result.rows] == [
        "Known Works (Shenzhen)", None, "row 3", None, None,
    ]  # fmt: skip
    assert warnings_of(result.rows[0]) == [
        (None, "This factory is already in the register as Known Works (Shenzhen).")
    ]
    assert warnings_of(result.rows[2]) == [(None, "This is the same factory as row 3.")]

    # Dropping the first occurrence and running again moves the mark.
    remaining = result.rows[2:]
    find_duplicates(remaining, register)
    assert [row.duplicate_of for row in remaining] == [None, None, None]
    assert remaining[0].warnings == []

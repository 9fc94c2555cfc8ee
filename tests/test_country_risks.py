"""The country-risk table: the buyer admin imports it from CSV or XLSX (whole or not at all,
each problem shown with its row), changes one country at a time without overwriting a
colleague's change unknowingly, and downloads it; reviewers read it."""

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.roles import Role
from portal.selection import importing, services
from portal.selection.models import CountryRisk
from portal.spreadsheets import read_rows
from tests.fixtures.builders import make_user
from tests.fixtures.web import csrf_token_from, hidden_inputs

SAMPLES = Path(__file__).parent / "fixtures" / "country-risks"
TODAY = date(2026, 11, 30)
HEADER = next(csv.reader(io.StringIO((SAMPLES / "country-risks.csv").read_text("utf-8"))))
GOOD_ROW = ["CN", "90", "Index A", "2024", "80", "Index B", "2023", "50", "Index C", "2023"]
GOOD_ROW += ["80", "Index D", "2024"]


def csv_bytes(rows: list[list], header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [header, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, filename: str = "risks.csv"):
    return client.submit(
        "/selection/countries/import",
        {"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def stored() -> dict[str, CountryRisk]:
    return {row.country: row for row in db.session.scalars(db.select(CountryRisk))}


def problems_of(page: str) -> list[tuple[str, str, str]]:
    """(row, column, problem) of each line of the page's problem table."""
    body = page.split('id="problems-table"', 1)[1].split("</table>", 1)[0]
    cells = [part.split("</td>", 1)[0].strip() for part in body.split("<td")[1:] if ">" in part]
    cells = [c.split(">", 1)[1] for c in cells]
    return [tuple(cells[i : i + 3]) for i in range(0, len(cells), 3)]


# Importing ----------------------------------------------------------------------------------


def test_the_admin_imports_the_sample_csv(client, admin):
    client.login(admin)

    response = upload(client, (SAMPLES / "country-risks.csv").read_bytes(), "country-risks.csv")

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The table is imported: 5 countries added, 0 changed, 0 unchanged." in page
    rows = stored()
    assert sorted(rows) == ["CN", "MX", "MY", "TW", "VN"]  # Viet Nam, MYS and Mexico found
    assert rows["CN"].figures() == {
        "freedom_of_association": 90,
        "working_time": 80,
        "gender_inequality": 50,
        "overall": 80,
    }
    assert rows["CN"].working_time_source == "Test index B"
    assert rows["CN"].working_time_year == 2023
    assert rows["CN"].updated_by_id == admin.id
    event = db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "country_risks.imported")
    )
    assert event.details == {"file": "country-risks.csv", "added": 5, "changed": 0}


def test_swedish_headings_windows_1252_semicolons_and_decimal_commas(client, admin):
    client.login(admin)

    response = upload(client, (SAMPLES / "country-risks-sv.csv").read_bytes(), "risker.csv")

    assert response.status_code == 302
    rows = stored()
    assert sorted(rows) == ["CN", "DE"]  # Kina, Tyskland
    assert rows["CN"].working_time == 82.5
    assert rows["CN"].freedom_of_association_source == "Testkälla A"
    assert rows["DE"].overall == 0


def test_an_xlsx_file_with_numbers_as_cells_is_imported(client, admin):
    client.login(admin)
    rows = [["Germany", 10, "Index A", 2024, 10.5, "Index B", 2023, 20, "Index C", 2023]]
    rows[0] += [0, "Index D", 2024.0]

    response = upload(client, xlsx_bytes(rows), "risks.xlsx")

    assert response.status_code == 302
    assert stored()["DE"].working_time == 10.5


def test_a_new_import_changes_what_differs_and_keeps_other_countries(client, admin):
    client.login(admin)
    upload(client, (SAMPLES / "country-risks.csv").read_bytes())
    china_version = stored()["CN"].version
    changed = [*GOOD_ROW[:1], "95", *GOOD_ROW[2:]]
    same_vietnam = ["VN", "80", "Test index A", "2024", "70", "Test index B", "2023"]
    same_vietnam += ["40", "Test index C", "2023", "70", "Test index D", "2024"]

    response = upload(client, csv_bytes([changed, same_vietnam]))

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "0 countries added, 1 changed, 1 unchanged." in page
    db.session.expire_all()
    rows = stored()
    assert rows["CN"].freedom_of_association == 95
    assert rows["CN"].freedom_of_association_source == "Index A"
    assert rows["CN"].version == china_version + 1
    assert sorted(rows) == ["CN", "MX", "MY", "TW", "VN"]


BAD_ROWS = [
    # (cells changed in a good row, the column named, what the user reads)
    ({0: "Narnia"}, "Country", "“Narnia” is not a country in ISO 3166."),
    ({0: ""}, "Country", "Enter the country."),
    ({1: "120"}, "Freedom of association", "The figure must be a number from 0 to 100."),
    ({4: "-1"}, "Working time", "The figure must be a number from 0 to 100."),
    ({7: "high"}, "Gender inequality", "The figure must be a number from 0 to 100."),
    ({10: ""}, "Overall", "Enter the figure, from 0 to 100."),
    ({10: "1e3"}, "Overall", "The figure must be a number from 0 to 100."),
    ({2: ""}, "Freedom of association, source", "Name the source of the figure."),
    ({5: "x" * 301}, "Working time, source", "Use at most 300 characters."),
    ({3: "1800"}, "Freedom of association, year", "from 1990 to 2026"),
    ({6: "2027"}, "Working time, year", "from 1990 to 2026"),
    ({9: "2024.5"}, "Gender inequality, year", "from 1990 to 2026"),
    ({12: ""}, "Overall, year", "Enter the year the figure describes."),
]


@pytest.mark.parametrize(("changes", "column", "message"), BAD_ROWS)
def test_every_bad_cell_is_a_problem_of_its_row_and_nothing_is_stored(
    client, admin, freeze_today, changes, column, message
):
    client.login(admin)
    bad = [changes.get(i, cell) for i, cell in enumerate(GOOD_ROW)]
    bad[0] = changes.get(0, "DE")
    data = csv_bytes([GOOD_ROW, bad])

    response = upload(client, data)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    [(row, named, problem)] = problems_of(page)
    assert (row, named) == ("3", column)
    assert message in problem.replace("&#34;", '"')
    assert stored() == {}


def test_the_same_country_twice_and_many_problems_are_all_listed(client, admin):
    client.login(admin)
    twice = ["China", *GOOD_ROW[1:]]
    broken = ["Atlantis", "200", "", "1700", *GOOD_ROW[4:]]

    response = upload(client, csv_bytes([GOOD_ROW, twice, broken]))

    assert response.status_code == 400
    found = problems_of(response.get_data(as_text=True))
    assert found[0] == ("3", "Country", "The country is also in row 2.")
    assert [(row, column) for row, column, _ in found[1:]] == [
        ("4", "Country"),
        ("4", "Freedom of association"),
        ("4", "Freedom of association, source"),
        ("4", "Freedom of association, year"),
    ]
    assert stored() == {}


def test_a_failed_import_leaves_the_stored_table_as_it_was(client, admin):
    client.login(admin)
    upload(client, csv_bytes([GOOD_ROW]))
    changed = ["CN", "10", *GOOD_ROW[2:]]

    response = upload(client, csv_bytes([changed, ["Narnia", *GOOD_ROW[1:]]]))

    assert response.status_code == 400
    db.session.expire_all()
    assert stored()["CN"].freedom_of_association == 90


def test_a_formula_in_a_workbook_is_refused(client, admin):
    client.login(admin)
    row = ["CN", "=90", *GOOD_ROW[2:]]

    response = upload(client, xlsx_bytes([row]), "risks.xlsx")

    assert response.status_code == 400
    assert problems_of(response.get_data(as_text=True)) == [
        ("2", "Freedom of association", "The cell holds a formula; enter its value instead.")
    ]


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "risks.csv", "The file is empty."),
        (b"\x00\x01\x02\x03" * 100, "risks.csv", "could not be read as text"),
        (b"PK\x03\x04 not really a zip", "risks.xlsx", "not a readable Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "risks.xls", "old Excel file"),
        (b"Country\nCN\n", "risks.pdf", "Only Excel workbooks (.xlsx) and CSV files"),
        (b"Country\nCN\n", "risks.xlsx", "but its content is not an Excel workbook"),
        (b"Country,Overall\nCN,80\n", "risks.csv", "These columns are missing: Freedom of"),
        (b"\n\n", "risks.csv", "The file holds no countries."),
        (csv_bytes([]), "risks.csv", "The file holds no countries."),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_a_reason(
    client, admin, data, filename, message
):
    client.login(admin)

    response = upload(client, data, filename)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert stored() == {}


def test_a_file_over_the_limit_is_refused(client, admin, monkeypatch):
    client.login(admin)
    monkeypatch.setattr(importing, "MAX_BYTES", 100)

    response = upload(client, csv_bytes([GOOD_ROW]))

    assert response.status_code == 400
    assert "The file is larger than" in response.get_data(as_text=True)
    assert stored() == {}


# Generated hostile cells ---------------------------------------------------------------------

CELL = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.sampled_from(["", " ", "CN", "chn", "Sverige", "=1+1", "+46", "@SUM(A1)", "1e309"]),
    st.sampled_from(["-0", "0", "100", "100,0", "45,5", "nan", "inf", "2024", "2024.0", "١٢"]),
    st.integers(-(10**20), 10**20).map(str),
    st.floats().map(str),
)


VALID = ["CN", "100", "s", "2026", "0", "s", "1990", "0,5", "s", "2000", "1", "s", "2001"]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=15), max_size=4), xlsx=st.booleans())
@example(rows=[VALID], xlsx=False)
@example(rows=[VALID, ["Kina", *VALID[1:]]], xlsx=True)
def test_the_reader_never_fails_and_takes_only_rows_the_database_accepts(app, rows, xlsx):
    """Whatever the cells, reading gives problems or rows within every constraint."""
    if xlsx:  # a workbook holds no control characters
        rows = [["".join(ch for ch in c if ch.isprintable() or ch == " ") for c in r] for r in rows]
    with app.test_request_context():
        data = xlsx_bytes(rows) if xlsx else csv_bytes(rows)
        table = importing.read_table(data, "t.xlsx" if xlsx else "t.csv", TODAY)
        if table.problems:
            assert all(p.row is None or p.row >= 2 for p in table.problems)
            return
        assert table.rows
        for row in table.rows:
            assert importing.country_code(row["country"]) == row["country"]
            for name in ("freedom_of_association", "working_time", "gender_inequality"):
                assert 0 <= row[name] <= 100
                assert 1990 <= row[f"{name}_year"] <= TODAY.year
                assert 0 < len(row[f"{name}_source"]) <= 300
            nested = db.session.begin_nested()
            db.session.add(CountryRisk(**row))
            db.session.flush()
            nested.rollback()


# Editing one country ------------------------------------------------------------------------


def form_values(**changes) -> dict:
    values = {}
    for i, name in enumerate(("freedom_of_association", "working_time", "gender_inequality")):
        values |= {name: str(50 + i), f"{name}_source": "Index", f"{name}_year": "2024"}
    values |= {"overall": "60", "overall_source": "Index O", "overall_year": "2025"}
    return values | changes


def test_the_admin_adds_a_country_by_hand_with_a_decimal_comma(client, admin):
    client.login(admin)

    response = client.submit("/selection/countries/BD", form_values(working_time="72,5"))

    assert response.status_code == 302
    row = stored()["BD"]
    assert row.working_time == 72.5
    assert row.overall_source == "Index O"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The figures for Bangladesh are saved." in page
    event = db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "country_risk.changed")
    )
    assert event.details["country"] == "BD"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"overall": "101"}, "The figure must be a number from 0 to 100."),
        ({"overall": "abc"}, "The figure must be a number from 0 to 100."),
        ({"overall": ""}, "Enter the figure, from 0 to 100."),
        ({"overall_year": "1989"}, "The year must be a whole number from 1990 to"),
        ({"overall_source": "  "}, "Name the source of the figure."),
        ({"overall_source": "s" * 301}, "Use at most 300 characters."),
    ],
)
def test_a_wrong_figure_is_shown_at_its_field(client, admin, changes, message):
    client.login(admin)

    response = client.submit("/selection/countries/BD", form_values(**changes))

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored() == {}


def test_a_colleagues_change_is_not_overwritten_unknowingly(client, make_client, admin, buyer):
    client.login(admin)
    upload(client, csv_bytes([GOOD_ROW]))
    colleague = make_client()
    colleague.login(make_user(buyer, Role.BUYER_ADMIN))
    opened = client.get("/selection/countries/CN").get_data(as_text=True)
    assert colleague.submit("/selection/countries/CN", form_values(overall="11")).status_code == 302

    mine = form_values(overall="22") | hidden_inputs(opened, action="", page="")
    response = client.post("/selection/countries/CN", data=mine)

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved these figures while you were editing." in page
    assert "Saved now: <strong>11</strong>" in page
    assert 'value="22"' in page  # what this user typed is kept
    db.session.expire_all()
    assert stored()["CN"].overall == 11
    # Saving again, knowingly, replaces the colleague's figure.
    again = client.submit("/selection/countries/CN", form_values(overall="22"))
    assert again.status_code == 302
    db.session.expire_all()
    assert stored()["CN"].overall == 22


def test_two_admins_adding_the_same_country_do_not_overwrite_each_other(
    client, make_client, admin, buyer
):
    client.login(admin)
    colleague = make_client()
    colleague.login(make_user(buyer, Role.BUYER_ADMIN))
    opened = client.get("/selection/countries/BD").get_data(as_text=True)
    assert colleague.submit("/selection/countries/BD", form_values(overall="11")).status_code == 302

    hidden = hidden_inputs(opened, action="", page="")
    assert hidden["version"] == "0"
    response = client.post("/selection/countries/BD", data=form_values(overall="22") | hidden)

    assert response.status_code == 409
    assert stored()["BD"].overall == 11


@pytest.mark.parametrize("code", ["XX", "cn", "CHN", "China", "import.csv"])
def test_only_iso_codes_name_a_country_page(client, admin, code):
    client.login(admin)

    assert client.get(f"/selection/countries/{code}").status_code == 404


def test_choosing_a_country_opens_its_form(client, admin):
    client.login(admin)

    response = client.get("/selection/countries/choose?country=KH")

    assert response.headers["Location"] == "/selection/countries/KH"
    assert client.get("/selection/countries/choose?country=ZZ").headers["Location"] == (
        "/selection/countries"
    )


# Reading and downloading --------------------------------------------------------------------


def test_the_table_page_shows_each_figure_with_source_and_year(client, admin, reviewer):
    client.login(admin)
    upload(client, csv_bytes([GOOD_ROW]))
    client.logout()
    client.login(reviewer)

    page = client.get("/selection/countries").get_data(as_text=True)

    row = page.split('id="country-CN"', 1)[1].split("</tr>", 1)[0]
    assert "China" in row
    assert "Index A, 2024" in row
    assert "75" in row  # the country's risk: (90 + 80 + 50 + 80) / 4
    assert "/selection/countries/CN" not in page  # reviewers do not change it
    assert "Import the table from a file" not in page


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_reads_back_as_the_same_table_and_runs_no_formula(client, admin, fmt):
    client.login(admin)
    hostile = ["CN", "90", '=HYPERLINK("http://evil.example","x")', *GOOD_ROW[3:]]
    upload(client, csv_bytes([hostile]))

    response = client.get(f"/selection/countries.{fmt}")

    assert response.headers["Content-Disposition"] == f'attachment; filename="country-risks.{fmt}"'
    rows = read_rows(response.data, f"country-risks.{fmt}")
    assert rows[0] == HEADER
    assert rows[1][:3] == ["CN", "90", '\'=HYPERLINK("http://evil.example","x")']
    # Imported again, the file changes nothing but the neutralised source.
    again = upload(client, response.data, f"country-risks.{fmt}")
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "0 countries added, 1 changed, 0 unchanged." in page


def test_the_export_speaks_the_page_language_and_imports_again(client, admin):
    client.login(admin)
    upload(client, csv_bytes([GOOD_ROW]))

    response = client.get("/selection/countries.xlsx", headers={"Accept-Language": "sv"})

    rows = read_rows(response.data, "t.xlsx")
    assert rows[0][:4] == [
        "Land",
        "Föreningsfrihet",
        "Föreningsfrihet, källa",
        "Föreningsfrihet, år",
    ]
    assert openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames == ["Landrisker"]
    again = upload(client, response.data, "t.xlsx")
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "0 countries added, 0 changed, 1 unchanged." in page


# Who may do what ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/selection/countries/import", "GET"),
        ("/selection/countries/import", "POST"),
        ("/selection/countries/CN", "GET"),
        ("/selection/countries/CN", "POST"),
        ("/selection/countries/choose?country=CN", "GET"),
    ],
)
def test_only_the_admin_changes_the_table(client, reviewer, owner_a, path, method):
    for user in (reviewer, owner_a):
        client.login(user)
        token = csrf_token_from(client.get("/accessibility").get_data(as_text=True))
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 403
        client.logout()


@pytest.mark.parametrize("path", ["/selection/countries", "/selection/countries.csv"])
def test_suppliers_never_see_the_table(client, owner_a, path):
    client.login(owner_a)

    assert client.get(path).status_code == 403


@pytest.fixture
def freeze_today(monkeypatch):
    """Today is 30 November 2026 on the portal's calendar."""
    monkeypatch.setattr(services, "today", lambda: TODAY)

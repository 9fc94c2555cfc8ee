"""Factory lists whose headings the importer does not know: it guesses what each column holds,
the user matches the columns, and the matching is remembered for the organisation's next file
with the same headings."""

import io
import re
from pathlib import Path

import pytest

from portal.extensions import db
from portal.factories.importing import Table, guess_matching, read_table
from portal.factories.models import ColumnMatching, Factory, FactoryImport

SAMPLES = Path(__file__).parent / "fixtures" / "factory-lists"
#: An ERP export: German headings, an abbreviation, a column the portal does not need.
ERP = SAMPLES / "erp-export-german-cp1252.csv"
HEADINGS = ["Werk", "Anschrift", "Ort", "Land", "Fac. type", "Mitarbeiter", "Bemerkung"]
#: What the user chooses: the guess, and the workers column the guess left out.
CHOSEN = ["name", "address", "city", "country", "role", "workers", ""]


def _table(headings: list[str], *rows: list) -> Table:
    return Table(headings, list(range(len(headings))), list(enumerate(map(list, rows), start=2)))


def _factories(org):
    return db.session.scalars(
        db.select(Factory).where(Factory.organisation_id == org.id).order_by(Factory.id)
    ).all()


def _upload(client, data: bytes, filename: str = ERP.name):
    return client.submit("/factories/import", {"file": (io.BytesIO(data), filename)})


def _matching(fields: list[str]) -> dict[str, str]:
    return {f"column_{index}": field for index, field in enumerate(fields)}


def _selected(html: str) -> list[str]:
    """The option chosen in each column's select, in order ("" for Not imported)."""
    selects = re.findall(r'<select[^>]*name="column_\d+"[^>]*>(.*?)</select>', html, re.S)
    return [
        (re.search(r'<option selected value="([^"]*)"', options) or [None, ""])[1]
        for options in selects
    ]


# --- The best guess ---------------------------------------------------------------------------


def test_known_headings_are_guessed_as_they_are_recognised():
    table = _table(
        ["Factory name", "Address", "Country", "Role", "Number of workers"],
        ["A Works", "Road 1", "CN", "assembly", "51-100"],
    )
    assert guess_matching(table) == ["name", "address", "country", "role", "workers"]


def test_a_third_language_is_guessed_from_the_values():
    table = read_table(ERP.read_bytes(), ERP.name)

    assert table.headings == HEADINGS
    # Werk holds company names, Anschrift street addresses; Ort and Land are Swedish
    # headings; "Fac. type" abbreviates Open Supply Hub's facility type. Numbers alone
    # could be anything, and the remark column is nothing the portal keeps.
    assert guess_matching(table) == ["name", "address", "city", "country", "role", None, None]


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Fac. name", "name"),
        ("Factroy name", "name"),
        ("ZipCode", "postal_code"),
        ("No. of employees", "workers"),
        ("Supplier country", "country"),
        ("facility_type", "role"),
        ("Adresse", "address"),
    ],
)
def test_headings_like_known_ones_are_guessed(heading, expected):
    table = _table([heading], ["x"])
    assert guess_matching(table) == [expected]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["CN", "VN", "MY", "TW"], "country"),
        (["China", "Viet Nam", "Malaysia", "Sverige"], "country"),
        (["Final assembly", "Component manufacturing", "Komponent"], "role"),
        (["CN2019123ABC4DE", "VN2020456DEF7GH"], "os_hub_id"),
        (["51-100", "1001-5000", "300"], "workers"),
        (["2023-01-15", "2024-02-01"], "entered_on"),
        (["LCD panels", "Batteries", "Mainboard/PCB"], "component_categories"),
    ],
)
def test_columns_are_guessed_from_their_values(values, expected):
    table = _table(["Name", "Xyz"], *[[f"Works {n}", v] for n, v in enumerate(values)])
    assert guess_matching(table) == ["name", expected]


def test_each_field_goes_to_one_column_and_a_name_column_is_always_offered():
    table = _table(
        ["Kod", "Beschreibung", "Staat", "Pays"],
        ["A-1", "Shenzhen Lianhe Precision", "CN", "CN"],
        ["A-2", "Penang Circuit Works", "MY", "MY"],
    )
    # The first column of countries gets the country; with no heading or value naming the
    # factories, the first column of distinct words does, not the codes before it.
    assert guess_matching(table) == [None, "name", "country", None]


def test_nothing_is_guessed_for_unknown_free_text():
    table = _table(["Name", "Bemerkung"], ["A Works", "neu im Jahr"], ["B Works", "alt"])
    assert guess_matching(table) == ["name", None]


# --- Matching in the browser's requests -----------------------------------------------------


def test_unknown_headings_lead_to_the_matching_step_then_the_preview(client, owner_a, supplier_a):
    client.login(owner_a)
    response = _upload(client, ERP.read_bytes())
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.endswith("/columns")

    page = client.get(location).get_data(as_text=True)
    assert "Match the columns" in page
    assert "Müller Präzision GmbH" in page  # samples, read from Windows-1252
    assert "Hauptstraße 5, 80331 München" in page
    assert _selected(page) == ["name", "address", "city", "country", "role", "", ""]
    # Nothing is shown for confirming before the columns are matched.
    preview = location.removesuffix("/columns")
    assert client.get(preview).headers["Location"] == location

    response = client.submit(location, _matching(CHOSEN))
    assert response.headers["Location"] == preview
    html = client.get(preview).get_data(as_text=True)
    assert "3 rows read" in html
    assert "Columns not used: Bemerkung" in html
    assert client.submit(preview).status_code == 302
    factories = _factories(supplier_a)
    assert [(f.name, f.country, f.role, f.workers_min) for f in factories] == [
        ("Müller Präzision GmbH", "DE", "final_assembly", 120),
        ("Kunshan Board Works Co., Ltd.", "CN", "main_component", 1200),
        ("Brno Chassis s.r.o.", "CZ", "main_component", 310),
    ]
    assert factories[0].address == "Hauptstraße 5, 80331 München"


def test_a_matching_needs_a_name_and_one_column_per_field(client, owner_a, supplier_a):
    client.login(owner_a)
    location = _upload(client, ERP.read_bytes()).headers["Location"]

    no_name = client.submit(location, _matching(["", *CHOSEN[1:]])).get_data(as_text=True)
    assert "There is a problem" in no_name
    assert "Choose the column that holds the factories' names." in no_name
    twice = ["name", "country", "city", "country", "role", "", ""]
    html = client.submit(location, _matching(twice)).get_data(as_text=True)
    # Said at the second column, linked from the summary, with the user's choices kept.
    assert '<a href="#column_3">Anschrift is already read as Country.' in html
    assert 'id="column_3-error"' in html
    assert _selected(html) == twice
    assert db.session.get(FactoryImport, int(location.split("/")[-2])).matching is None
    assert _factories(supplier_a) == []


def test_the_matching_is_remembered_for_the_next_file_with_those_headings(
    client, make_client, owner_a, owner_b, supplier_a
):
    client.login(owner_a)
    first = _upload(client, ERP.read_bytes()).headers["Location"]
    client.submit(first, _matching(CHOSEN))
    [remembered] = db.session.scalars(db.select(ColumnMatching)).all()
    assert remembered.organisation_id == supplier_a.id

    # Next month's export: other rows, the same headings (written in other case and spacing).
    data = (
        "WERK; Anschrift ;Ort;Land;Fac.  type;Mitarbeiter;Bemerkung\n"
        "New Works Ltd;Road 9;Hanoi;VN;assembly;51-100;\n"
    )
    response = _upload(client, data.encode("utf-8"), "export.csv")
    preview = response.headers["Location"]
    assert not preview.endswith("/columns")
    html = client.get(preview).get_data(as_text=True)
    assert "as you matched them for an earlier file with the same headings" in html
    assert "Change how the columns are matched" in html
    client.submit(preview)
    [new] = [f for f in _factories(supplier_a) if f.name == "New Works Ltd"]
    assert (new.country, new.role, new.workers_max) == ("VN", "final_assembly", 100)

    # Another organisation's file with the same headings is matched afresh.
    other = make_client()
    other.login(owner_b)
    assert _upload(other, ERP.read_bytes()).headers["Location"].endswith("/columns")


def test_the_matching_can_be_changed_from_the_preview(client, owner_a, supplier_a):
    client.login(owner_a)
    location = _upload(client, ERP.read_bytes()).headers["Location"]
    client.submit(location, _matching(CHOSEN))
    preview = location.removesuffix("/columns")
    html = client.get(preview).get_data(as_text=True)
    assert f'href="{location}"' in html

    # The page offers the matching in use; reading Ort as nothing leaves the city out.
    assert _selected(client.get(location).get_data(as_text=True)) == CHOSEN
    changed = [*CHOSEN[:2], "", *CHOSEN[3:]]
    client.submit(location, _matching(changed))
    client.submit(preview)
    assert {f.city for f in _factories(supplier_a)} == {None}
    [remembered] = db.session.scalars(db.select(ColumnMatching)).all()
    assert remembered.fields == [field or None for field in changed]


def test_known_headings_still_go_straight_to_the_preview(client, owner_a):
    client.login(owner_a)
    data = (SAMPLES / "swedish-semicolon-cp1252.csv").read_bytes()
    location = _upload(client, data, "lista.csv").headers["Location"]
    assert not location.endswith("/columns")
    html = client.get(location).get_data(as_text=True)
    assert "5 rows read" in html
    assert "Change how the columns are matched" in html

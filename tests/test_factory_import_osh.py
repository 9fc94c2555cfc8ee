"""Open Supply Hub's own files through the import pages: its list template and its facility
downloads import as they are, and a download of the supplier's own factories matches them.

The files are tests/fixtures/osh/template.csv and download.csv, built from Open Supply Hub's
source (repository opensupplyhub/open-supply-hub; the README there names the paths: the list
parser in src/django/contricleaner/, the download's columns in
src/django/api/serializers/facility/facility_download_serializer_base.py).
"""

import csv
import io
import re
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.factories.models import Factory, FactoryImport

OSH = Path(__file__).parent / "fixtures" / "osh"
TEMPLATE = OSH / "template.csv"
DOWNLOAD = OSH / "download.csv"
CLOSED = "Open Supply Hub lists this factory as closed; check that it still makes products for you."


def _upload(client, data: bytes, filename: str = "osh.csv"):
    return client.submit("/factories/import", {"file": (io.BytesIO(data), filename)})


def _preview(client, data: bytes, filename: str = "osh.csv") -> tuple[str, str]:
    """Upload a file that goes straight to the preview: its address and its page."""
    response = _upload(client, data, filename)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert not location.endswith("/columns"), "the headings should be recognised"
    page = client.get(location)
    assert page.status_code == 200
    return location, page.get_data(as_text=True)


def _staged_rows(location: str) -> list[dict]:
    import_id = int(re.search(r"/(\d+)", location).group(1))
    db.session.expire_all()
    return db.session.get(FactoryImport, import_id).rows


def _factories(org) -> dict[str, Factory]:
    db.session.expire_all()
    rows = db.session.scalars(
        db.select(Factory).where(Factory.organisation_id == org.id).order_by(Factory.id)
    ).all()
    return {f.name: f for f in rows}


def _rewritten(path: Path, change) -> bytes:
    """The CSV file with `change(header, row)` applied to each data row (a dict), headers kept."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    headers = list(rows[0])
    for row in rows:
        change(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, headers, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_the_template_imports_with_roles_product_types_and_parent_companies(
    client, owner_a, supplier_a
):
    client.login(owner_a)
    location, preview = _preview(client, TEMPLATE.read_bytes(), "template.csv")
    assert "4 rows read" in preview
    assert [row["errors"] for row in _staged_rows(location)] == [[], [], [], []]
    assert client.submit(location).status_code == 302

    factories = _factories(supplier_a)
    computer = factories["Kunshan Example Computer Co. Ltd."]
    # "Final Product Assembly|Assembly" of facility_type_processing_type is the role.
    assert computer.role == "final_assembly"
    # "Electronics|Laptop|Monitor": the sector is left, the product types kept.
    assert computer.product_categories == ["pcs", "monitors"]
    assert computer.country == "CN"
    assert (computer.workers_min, computer.workers_max) == (3200, 3200)
    # The parent company is the owning group, never a brand.
    assert computer.parent_company == "Example Computer Holdings Ltd."
    assert computer.brands == []
    assert (computer.latitude, computer.longitude) == (31.3856, 120.981)

    circuits = factories["Bac Ninh Example Circuits Ltd."]
    assert (circuits.role, circuits.country) == ("main_component", "VN")
    assert circuits.component_categories == ["mainboard_pcb"]
    assert (circuits.workers_min, circuits.workers_max) == (1200, 1500)
    display = factories["Hsinchu Example Display Corp."]
    # "Electronics, LCD panel": split at the comma as OSH does.
    assert (display.role, display.component_categories) == ("main_component", ["display_panel"])
    assert (display.parent_company, display.latitude, display.longitude) == (None, None, None)
    battery = factories["Ayutthaya Example Battery Co. Ltd."]
    assert (battery.role, battery.component_categories) == ("main_component", ["battery"])
    assert all(f.brands == [] for f in factories.values())


def test_a_download_imports_with_ids_ranges_local_names_and_coordinates(
    client, owner_a, supplier_a
):
    client.login(owner_a)
    location, preview = _preview(client, DOWNLOAD.read_bytes(), "download.csv")
    assert "4 rows read" in preview
    # The closed factory is a warning to check, not an error.
    assert CLOSED in preview
    rows = _staged_rows(location)
    assert [row["errors"] for row in rows] == [[], [], [], []]
    assert [[w["message"] for w in row["warnings"]] for row in rows] == [[], [], [], [CLOSED]]
    assert rows[3]["warnings"][0]["column"] == "is_closed"
    # The 34 claim_ columns and OSH's bookkeeping are understood, not "not used".
    assert "Columns not used" not in preview
    assert client.submit(location).status_code == 302

    factories = _factories(supplier_a)
    computer = factories["Kunshan Example Computer Co. Ltd."]
    assert computer.os_hub_id == "CN2019303BQ3FZP"
    # Two contributors said 100 and 900 workers: the range between.
    assert (computer.workers_min, computer.workers_max) == (100, 900)
    # facility_type is empty for electronics: the role comes from processing_type.
    assert computer.role == "final_assembly"
    assert computer.product_categories == ["pcs"]
    assert computer.parent_company == "Example Computer Holdings Ltd."
    assert (computer.latitude, computer.longitude) == (31.3856, 120.981)
    circuits = factories["Bac Ninh Example Circuits Ltd."]
    assert (circuits.role, circuits.component_categories) == ("main_component", ["mainboard_pcb"])
    display = factories["Hsinchu Example Display Corp."]
    assert display.name_local == "新竹範例顯示器股份有限公司"
    assert display.os_hub_id == "TW2020078HX3M9C"
    battery = factories["Ayutthaya Example Battery Co. Ltd."]
    # "450|500-600": from the least to the most any contributor gave.
    assert (battery.workers_min, battery.workers_max) == (450, 600)
    assert battery.country == "TH"
    assert all(f.brands == [] for f in factories.values())


def test_the_role_comes_from_facility_type_then_processing_type_then_the_raw_column(
    client, owner_a, supplier_a
):
    def roles(row):
        raw, facility, processing = {
            "Kunshan Example Computer Co. Ltd.": ("", "Final Product Assembly", "PCB Assembly"),
            "Bac Ninh Example Circuits Ltd.": ("", "", "PCB Assembly"),
            "Hsinchu Example Display Corp.": ("Display manufacturing", "", ""),
            "Ayutthaya Example Battery Co. Ltd.": ("Knitting", "", ""),
        }[row["name"]]
        row["processing_type_facility_type_raw"] = raw
        row["facility_type"] = facility
        row["processing_type"] = processing

    client.login(owner_a)
    location, _page = _preview(client, _rewritten(DOWNLOAD, roles))
    rows = _staged_rows(location)
    assert [row["values"].get("role") for row in rows] == [
        "final_assembly",
        "main_component",
        "main_component",
        None,
    ]
    assert rows[2]["values"]["component_categories"] == ["display_panel"]
    # Nothing names a role: an error at the column the value was read from, on that row.
    assert [(e["column"], e["message"]) for e in rows[3]["errors"]] == [
        (
            "processing_type_facility_type_raw",
            "'Knitting' is not a role. Write final assembly or main component.",
        )
    ]


def test_osh_headings_in_any_case_and_spacing(client, owner_a, supplier_a):
    headings = (
        "Country,NAME, Address ,Sector Product Type,Facility Type / Processing Type,"
        "NumberOfWorkers,Parent-Company,LAT,Lng"
    )
    data = TEMPLATE.read_text(encoding="utf-8-sig").split("\n", 1)[1]
    client.login(owner_a)
    location, preview = _preview(client, f"{headings}\n{data}".encode())
    assert "4 rows read" in preview
    assert client.submit(location).status_code == 302
    computer = _factories(supplier_a)["Kunshan Example Computer Co. Ltd."]
    assert (computer.role, computer.product_categories) == ("final_assembly", ["pcs", "monitors"])
    assert computer.parent_company == "Example Computer Holdings Ltd."
    assert computer.workers_min == 3200
    assert (computer.latitude, computer.longitude) == (31.3856, 120.981)


def test_a_download_of_own_factories_matches_them_by_os_id(client, owner_a, supplier_a):
    client.login(owner_a)
    location, _page = _preview(client, DOWNLOAD.read_bytes())
    client.submit(location)
    first = _factories(supplier_a)
    assert len(first) == 4

    def as_osh_spells_them(row):
        # OSH may hold the names and addresses as another contributor wrote them.
        row["name"] = row["name"].upper().replace("CO. LTD.", "COMPANY LIMITED")
        row["address"] = "Moved: " + row["address"]

    location, preview = _preview(client, _rewritten(DOWNLOAD, as_osh_spells_them))
    rows = _staged_rows(location)
    assert [row["duplicate_of"] for row in rows] == list(first)
    assert "This factory is already in the register as Kunshan Example Computer Co. Ltd." in preview
    assert client.submit(location).status_code == 302
    again = _factories(supplier_a)
    assert list(again) == list(first)
    assert [f.id for f in again.values()] == [f.id for f in first.values()]

    # The same download again: matched by ID too, nothing added.
    location, _page = _preview(client, DOWNLOAD.read_bytes())
    assert all(row["duplicate_of"] for row in _staged_rows(location))
    client.submit(location)
    assert len(_factories(supplier_a)) == 4


def test_wrong_osh_values_are_errors_at_their_cells(client, owner_a, supplier_a):
    def spoil(row):
        if row["os_id"] == "CN2019303BQ3FZP":
            row["lat"], row["number_of_workers"] = "95", "100|many"
        if row["os_id"] == "VN2021145K7W2PQ":
            row["lng"] = ""

    client.login(owner_a)
    location, _page = _preview(client, _rewritten(DOWNLOAD, spoil))
    rows = _staged_rows(location)
    assert [(e["column"], e["message"]) for e in rows[0]["errors"]] == [
        ("number_of_workers", "'100|many' is not a number or a range such as 51-100."),
        ("lat", "'95' is not a latitude: degrees from -90 to 90."),
    ]
    # A latitude without its longitude is no position: left out, with a warning.
    assert rows[1]["errors"] == []
    assert [(w["column"], w["message"]) for w in rows[1]["warnings"]] == [
        ("lat", "A position needs both latitude and longitude, so '21.1561' was not imported.")
    ]
    assert "latitude" not in rows[1]["values"]


# Hostile values in every Open Supply Hub column: never a server error, problems at the row.
HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "|",
        "||||",
        ",,,",
        "100|900",
        "100-|",
        "-5|7",
        "9" * 400,
        "1e309",
        "nan",
        "inf",
        "-0",
        "90.0000001",
        "-180",
        '=HYPERLINK("http://x")',
        "+1",
        "True",
        "FALSE",
        "N/A",
        "Final Product Assembly|PCB Assembly",
        "Electronics|Electronics|Laptop",
        "Other",
        "\u202eevil\u202c",
        "a\tb",
        "x" * 5000,
        "CN2019303BQ3FZP",
        "cn2019303bq3fzp",
    ]
)
# Any text but control characters, which make the file binary: refused as a whole, before
# any cell is read (tests/test_spreadsheets.py).
CELLS = st.one_of(HOSTILE, st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40))
COLUMNS = (
    "os_id",
    "name",
    "address",
    "country",
    "lat",
    "lng",
    "sector_product_type",
    "number_of_workers",
    "parent_company",
    "processing_type_facility_type_raw",
    "facility_type",
    "processing_type",
    "facility_type_processing_type",
    "product_type",
    "claim_name_in_native_language",
    "native_language_name",
    "is_closed",
)


def test_hostile_values_in_osh_columns_never_fail_the_server(
    client, owner_a, supplier_a, app, monkeypatch
):
    monkeypatch.setitem(app.config, "FACTORY_IMPORT_RATE_LIMIT", "100000 per minute")
    client.login(owner_a)

    @settings(max_examples=60, deadline=None)
    @given(rows=st.lists(st.fixed_dictionaries(dict.fromkeys(COLUMNS, CELLS)), max_size=3))
    @example(rows=[dict.fromkeys(COLUMNS, "|")])
    @example(rows=[{**dict.fromkeys(COLUMNS, ""), "name": "A", "lat": "1e309", "lng": "nan"}])
    def upload_them(rows):
        out = io.StringIO()
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        # Every row named, so that the rows are read (a row without a name is an error too).
        writer.writerows([{**row, "name": row["name"] or "A"} for row in rows])
        response = _upload(client, out.getvalue().encode())
        assert response.status_code < 500
        if response.status_code != 302:
            return  # the file as a whole was refused, with a message
        location = response.headers["Location"]
        page = client.get(location)
        assert page.status_code == 200
        if location.endswith("/columns"):
            return
        staged = _staged_rows(location)
        headings = set(COLUMNS)
        for row in staged:
            assert all(e["column"] in headings | {None} for e in row["errors"])
            values = row["values"]
            assert -90 <= values.get("latitude", 0) <= 90
            assert -180 <= values.get("longitude", 0) <= 180
            assert "brands" not in values  # parent_company is never read as brands
        dropped = [str(row["number"]) for row in staged if row["errors"]]
        confirmed = client.submit(location, {"drop": dropped})
        assert confirmed.status_code < 500

    upload_them()

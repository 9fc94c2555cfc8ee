"""The register in Open Supply Hub's layout, checked against OSH's own columns and taxonomy.

tests/fixtures/osh/ holds what OSH's source accepts (its README names the repository, commit and
paths): list_columns.json (the list parser, src/django/contricleaner/), download_columns.json
(src/django/api/serializers/facility/facility_download_serializer*.py) and taxonomy.json
(src/django/api/facility_type_processing_type.py).
"""

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest

from portal.extensions import db
from portal.factories.importing import COMPONENTS, PRODUCTS
from portal.factories.models import Factory, FactoryImport
from tests.fixtures.builders import make_factory

OSH = Path(__file__).parent / "fixtures" / "osh"
LIST = json.loads((OSH / "list_columns.json").read_text())
DOWNLOAD = json.loads((OSH / "download_columns.json").read_text())
TAXONOMY = json.loads((OSH / "taxonomy.json").read_text())
SPLIT = re.compile(LIST["split_pattern"])
PROCESSING_TYPES = {
    t for types in TAXONOMY["processing_types_by_facility_type"].values() for t in types
}


def _osh_rows(client, fmt: str = "csv") -> list[dict]:
    reply = client.get(f"/factories/export.{fmt}?layout=osh")
    assert reply.status_code == 200
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig"))))
    else:
        book = openpyxl.load_workbook(io.BytesIO(reply.get_data()))
        table = [
            ["" if c is None else c for c in row] for row in book.active.iter_rows(values_only=True)
        ]
    return [dict(zip(table[0], row, strict=True)) for row in table[1:]]


def _register(org) -> list[Factory]:
    return [
        make_factory(
            org,
            name="Kunshan Example Computer Co. Ltd.",
            name_local="昆山示例电脑有限公司",
            address="No. 88 Huangpujiang Road\nKunshan Development Zone",
            city="Kunshan",
            postal_code="215300",
            country="CN",
            role="final_assembly",
            product_categories=list(PRODUCTS),
            brands=["Lumenic"],
            parent_company="Example Computer Holdings Ltd.",
            workers_min=3000,
            workers_max=3500,
            latitude=31.3856,
            longitude=120.981,
            os_hub_id="CN2019303BQ3FZP",
            rba_id="RBA-12345",
        ),
        make_factory(
            org,
            name="Bac Ninh Example Circuits Ltd.",
            address="Lot C4, Que Vo Industrial Park",
            city="Bac Ninh",
            country="VN",
            role="main_component",
            component_categories=list(COMPONENTS),
            product_categories=["pcs"],
            workers_min=1200,
            workers_max=1200,
        ),
    ]


def test_the_headers_are_open_supply_hubs(client, owner_a, supplier_a):
    _register(supplier_a)
    client.login(owner_a)
    rows = _osh_rows(client)
    headers = list(rows[0])
    assert set(LIST["required"]) <= set(headers)
    assert set(headers) <= set(LIST["accepted"]) | set(DOWNLOAD["headers"])
    for name in ("native_language_name", "parent_company", "lat", "lng", "rba_id", "os_id"):
        assert name in headers
    assert "brands" not in headers


def test_facility_processing_and_product_types_are_open_supply_hubs_vocabulary(
    client, owner_a, supplier_a
):
    _register(supplier_a)
    client.login(owner_a)
    rows = _osh_rows(client)
    by_name = {row["name"]: row for row in rows}
    assembly = by_name["Kunshan Example Computer Co. Ltd."]
    component = by_name["Bac Ninh Example Circuits Ltd."]
    assert assembly["facility_type"] == "Final Product Assembly"
    for row in rows:
        assert row["sector"] == LIST["sector_electronics"]
        for value in SPLIT.split(row["facility_type"]):
            assert value == "" or value in TAXONOMY["facility_types"]
        for value in SPLIT.split(row["processing_type"]):
            assert value in PROCESSING_TYPES
            # OSH's cleaning (clean_raw_data) would change these: the value must reach it as is.
            assert not re.search(r"[-/,:]", value)
    # Product types: English labels, each one item when OSH splits them, none of our codes.
    for row in (assembly, component):
        labels = row["product_type"].split("|")
        assert SPLIT.split(row["product_type"]) == labels
        assert all(label and "_" not in label for label in labels)
    assert "Desktop equipment" in assembly["product_type"].split("|")
    assert "Printed circuit boards" in component["product_type"].split("|")
    assert "mainboard_pcb" not in component["product_type"]


def test_the_address_is_one_line_with_postal_code_and_city(client, owner_a, supplier_a):
    _register(supplier_a)
    client.login(owner_a)
    raw = client.get("/factories/export.csv?layout=osh").get_data().decode("utf-8-sig")
    # OSH splits the file into lines before reading the CSV: a row per line, no break inside.
    assert len(raw.splitlines()) == 3
    by_name = {row["name"]: row for row in _osh_rows(client)}
    assert by_name["Kunshan Example Computer Co. Ltd."]["address"] == (
        "No. 88 Huangpujiang Road, Kunshan Development Zone, 215300 Kunshan"
    )
    assert by_name["Bac Ninh Example Circuits Ltd."]["address"] == (
        "Lot C4, Que Vo Industrial Park, Bac Ninh"
    )


def test_parent_company_ids_coordinates_and_local_name(client, owner_a, supplier_a):
    _register(supplier_a)
    client.login(owner_a)
    by_name = {row["name"]: row for row in _osh_rows(client)}
    row = by_name["Kunshan Example Computer Co. Ltd."]
    assert row["parent_company"] == "Example Computer Holdings Ltd."  # the group, not Lumenic
    assert (row["lat"], row["lng"]) == ("31.3856", "120.981")
    assert (row["os_id"], row["rba_id"]) == ("CN2019303BQ3FZP", "RBA-12345")
    assert row["native_language_name"] == "昆山示例电脑有限公司"
    assert row["number_of_workers"] == "3000-3500"
    other = by_name["Bac Ninh Example Circuits Ltd."]
    assert (other["lat"], other["lng"], other["parent_company"]) == ("", "", "")


def test_values_too_long_for_open_supply_hub_are_listed_first_and_never_cut(
    client, owner_a, supplier_a
):
    long_name = "Example " * 30  # 240 characters
    factory = make_factory(supplier_a, name=long_name.strip(), address="Road 1", city="Oulu")
    near = make_factory(supplier_a, name="Fits", address="x" * 190, city="Kunshan Town")
    make_factory(supplier_a, name="Short Works", address="Road 2")
    client.login(owner_a)
    page = client.get("/factories").get_data(as_text=True)
    listed = page.split('id="osh-too-long"')[1].split("</div>")[0]
    assert f"/factories/{factory.id}/edit" in listed
    assert f"/factories/{near.id}/edit" in listed  # 190 + ", Kunshan Town" is over 200
    assert "Short Works" not in listed
    assert "239 characters of at most 200" in listed
    names = [row["name"] for row in _osh_rows(client)]
    assert long_name.strip() in names  # written whole: OSH says which rows it refuses


def test_no_warning_when_everything_fits(client, owner_a, supplier_a):
    _register(supplier_a)
    client.login(owner_a)
    assert 'id="osh-too-long"' not in client.get("/factories").get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("layout", ["osh", "portal"])
def test_each_export_format_downloads(client, owner_a, supplier_a, fmt, layout):
    _register(supplier_a)
    client.login(owner_a)
    reply = client.get(f"/factories/export.{fmt}?layout={layout}")
    assert reply.status_code == 200
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    assert f"factories-{layout}-" in reply.headers["Content-Disposition"]
    if layout == "osh":
        rows = _osh_rows(client, fmt)
        assert list(rows[0])[:3] == ["name", "native_language_name", "address"]
        assert len(rows) == 2


def _import(client, data: bytes, filename: str) -> FactoryImport:
    reply = client.submit("/factories/import", {"file": (io.BytesIO(data), filename)})
    assert reply.status_code == 302
    return db.session.scalars(db.select(FactoryImport).order_by(FactoryImport.id.desc())).first()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_reimports_to_the_same_register_with_no_errors(
    client, make_client, owner_a, owner_b, supplier_a, supplier_b, fmt
):
    made = _register(supplier_a)
    client.login(owner_a)
    exported = client.get(f"/factories/export.{fmt}?layout=osh").get_data()
    other = make_client()
    other.login(owner_b)
    staged = _import(other, exported, f"osh.{fmt}")
    assert not staged.awaits_matching  # OSH's headers are read without asking
    assert [row["errors"] for row in staged.rows] == [[], []]
    other.submit(f"/factories/import/{staged.id}")
    copies = {
        f.name: f
        for f in db.session.scalars(
            db.select(Factory).where(Factory.organisation_id == supplier_b.id)
        )
    }
    for original in made:
        copy = copies[original.name]
        for name in (
            "name_local",
            "country",
            "role",
            "component_categories",
            "product_categories",
            "workers_min",
            "workers_max",
            "parent_company",
            "latitude",
            "longitude",
            "os_hub_id",
            "rba_id",
        ):
            value = getattr(copy, name)
            expected = getattr(original, name)
            if isinstance(expected, list):
                value, expected = sorted(value), sorted(expected)
            assert value == expected, name


def test_the_export_read_back_by_its_own_supplier_is_recognised_factory_by_factory(
    client, owner_a, supplier_a
):
    _register(supplier_a)
    client.login(owner_a)
    exported = client.get("/factories/export.csv?layout=osh").get_data()
    staged = _import(client, exported, "osh.csv")
    assert all(not row["errors"] for row in staged.rows)
    # Each is already in the register, although its address now holds postal code and city:
    # the one with an OS ID by it, the other by its name and address as exported.
    assert {row["values"]["name"]: row["duplicate_of"] for row in staged.rows} == {
        "Kunshan Example Computer Co. Ltd.": "Kunshan Example Computer Co. Ltd.",
        "Bac Ninh Example Circuits Ltd.": "Bac Ninh Example Circuits Ltd.",
    }


# The form: parent company and coordinates ----------------------------------------------------
FORM = {
    "name": "Kunshan Board Works",
    "country": "CN",
    "role": "final_assembly",
    "entered_on": "2025-03-01",
}


def test_the_form_keeps_parent_company_and_coordinates(client, owner_a, supplier_a):
    client.login(owner_a)
    reply = client.submit(
        "/factories/new",
        {**FORM, "parent_company": "Example Group", "latitude": "31,3856", "longitude": "-120.981"},
    )
    assert reply.headers["Location"] == "/factories"
    [factory] = db.session.scalars(
        db.select(Factory).where(Factory.organisation_id == supplier_a.id)
    ).all()
    assert (factory.parent_company, factory.latitude, factory.longitude) == (
        "Example Group",
        31.3856,
        -120.981,
    )
    page = client.get("/factories").get_data(as_text=True)
    assert "Part of Example Group" in page
    assert "31.3856, -120.981" in page
    form = client.get(f"/factories/{factory.id}/edit").get_data(as_text=True)
    assert 'value="31.3856"' in form
    assert 'value="Example Group"' in form


@pytest.mark.parametrize(
    ("latitude", "longitude", "message"),
    [
        ("91", "10", "Enter the latitude in degrees, from -90 to 90, such as 31.3856."),
        ("north", "10", "Enter the latitude in degrees, from -90 to 90, such as 31.3856."),
        ("10", "-180.5", "Enter the longitude in degrees, from -180 to 180, such as 120.981."),
        ("10", "1e3", "Enter the longitude in degrees, from -180 to 180, such as 120.981."),
        ("10", "", "Enter both the latitude and the longitude, or neither."),
        ("", "10", "Enter both the latitude and the longitude, or neither."),
    ],
)
def test_coordinates_out_of_range_get_a_clear_message(
    client, owner_a, supplier_a, latitude, longitude, message
):
    client.login(owner_a)
    reply = client.submit("/factories/new", {**FORM, "latitude": latitude, "longitude": longitude})
    html = reply.get_data(as_text=True)
    assert reply.status_code in (200, 422)
    assert message in html
    assert (
        db.session.scalar(db.select(Factory).where(Factory.organisation_id == supplier_a.id))
        is None
    )


def test_the_new_fields_in_swedish(client, owner_a):
    client.login(owner_a)
    client.submit("/language", {"lang": "sv", "next": "/factories/new"}, page="/factories/new")
    html = client.submit("/factories/new", {**FORM, "latitude": "91", "longitude": "10"}).get_data(
        as_text=True
    )
    assert "Moderbolag" in html
    assert "Ange latituden i grader, från -90 till 90, till exempel 31.3856." in html

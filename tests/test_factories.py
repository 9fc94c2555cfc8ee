"""The factory register through its pages: keep it, rate risks, import, export, freeze."""

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from portal.extensions import db
from portal.factories.models import Factory, FactoryImport, FactoryRisk
from portal.factories.services import today
from portal.questionnaires import services as questionnaire_services
from portal.questionnaires.models import Answer
from tests.fixtures.builders import make_factory, make_org

SAMPLES = Path(__file__).parent / "fixtures" / "factory-lists"
NEW = {
    "name": "Kunshan Board Works",
    "country": "CN",
    "role": "main_component",
    "component_categories": ["mainboard_pcb"],
    "product_categories": ["pcs"],
    "brands": "Lumenic, Kestrel",
    "workers": "1 200",
    "os_hub_id": "cn2019123abc4de",
    "entered_on": "2025-03-01",
    "city": "Kunshan",
}


def _factories(org):
    return db.session.scalars(
        db.select(Factory).where(Factory.organisation_id == org.id).order_by(Factory.id)
    ).all()


def _upload(client, path_or_bytes, filename=None):
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    return client.submit(
        "/factories/import", {"file": (io.BytesIO(data), filename or path_or_bytes.name)}
    )


def test_a_supplier_adds_and_edits_a_factory(client, owner_a, supplier_a):
    client.login(owner_a)
    assert client.submit("/factories/new", NEW).headers["Location"] == "/factories"
    [factory] = _factories(supplier_a)
    assert (factory.workers_min, factory.workers_max) == (1200, 1200)
    assert factory.brands == ["Lumenic", "Kestrel"]
    assert factory.os_hub_id == "CN2019123ABC4DE"
    page = client.get("/factories").get_data(as_text=True)
    assert "Kunshan Board Works" in page
    assert "Main component" in page
    client.submit(f"/factories/{factory.id}/edit", {**NEW, "workers": "51-100"})
    factory = db.session.get(Factory, factory.id)
    assert (factory.workers_min, factory.workers_max) == (51, 100)


def test_bad_input_gets_a_clear_message_per_field(client, owner_a, supplier_a):
    client.login(owner_a)
    html = client.submit(
        "/factories/new",
        {
            **NEW,
            "name": "",
            "country": "XX",
            "workers": "many",
            "os_hub_id": "123",
            "entered_on": "2025-13-01",
        },
    ).get_data(as_text=True)
    for message in (
        "Enter the factory's name.",
        "Choose the country from the list.",
        "Enter a number, or a range such as 51-100.",
        "An Open Supply Hub ID looks like CN2019123ABC4DE.",
        "Enter the date as YYYY-MM-DD.",
    ):
        assert message in html
    assert "Not a valid choice" not in html  # one clear message per problem
    assert _factories(supplier_a) == []


def test_the_list_as_it_stood_on_an_earlier_date(client, owner_a, supplier_a):
    kept = make_factory(supplier_a, name="Still Here Ltd", entered_on=date(2023, 1, 1))
    gone = make_factory(supplier_a, name="Gone Since June", entered_on=date(2023, 1, 1))
    make_factory(supplier_a, name="New This Year", entered_on=date(2026, 1, 10))
    client.login(owner_a)
    client.submit(
        f"/factories/{gone.id}/end", {"left_on": "2025-06-30"}, page=f"/factories/{gone.id}/edit"
    )
    client.get("/factories")  # shows (and uses up) the confirmation message
    page = client.get("/factories").get_data(as_text=True)
    today = page.split('id="factories-caption"')[1].split("</table>")[0]
    assert "Still Here Ltd" in today
    assert "New This Year" in today
    assert "Gone Since June" not in today
    assert "1 factory had left the supply chain by this date" in page
    left = client.get("/factories?status=left").get_data(as_text=True)
    assert "Gone Since June" in left.split('id="factories-caption"')[1].split("</table>")[0]
    earlier = client.get("/factories?on=2025-01-15").get_data(as_text=True)
    assert "Gone Since June" in earlier
    assert "Still Here Ltd" in earlier
    assert "New This Year" not in earlier
    assert db.session.get(Factory, kept.id).left_on is None


def test_risks_on_the_suppliers_own_scale(client, owner_a, supplier_a):
    factory = make_factory(supplier_a)
    client.login(owner_a)
    client.submit(
        "/factories/risk-scale",
        {
            "severity_max": "3",
            "likelihood_max": "4",
            "method": "Country risk index and audit findings.",
        },
    )
    too_high = client.submit(
        f"/factories/{factory.id}/risks",
        {"category": "working_hours", "severity": "5", "likelihood": "2", "status": "identified"},
    )
    assert "Use your scale: 1 to 3." in too_high.get_data(as_text=True)
    client.submit(
        f"/factories/{factory.id}/risks",
        {
            "category": "working_hours",
            "severity": "3",
            "likelihood": "4",
            "mitigation": "Overtime monitoring with the brand.",
            "status": "mitigating",
        },
    )
    [risk] = db.session.scalars(db.select(FactoryRisk)).all()
    assert (risk.category, risk.priority, risk.status) == ("working_hours", 12, "mitigating")
    assert "Overtime monitoring" in client.get(f"/factories/{factory.id}/risks").get_data(
        as_text=True
    )


def test_import_preview_writes_nothing_until_confirmed(client, owner_a, supplier_a):
    client.login(owner_a)
    response = _upload(client, SAMPLES / "osh-columns-utf8-bom.csv")
    assert response.status_code == 302
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "6 rows read" in preview
    assert "This is the same factory as row 2." in preview
    assert "Keep row 7 (otherwise left out as a duplicate)" in preview
    # Each row's address is shown, line breaks and all.
    assert "188 Suhong West Road,\nSuzhou Industrial Park, Jiangsu" in preview
    assert _factories(supplier_a) == []
    client.submit(response.headers["Location"])
    factories = _factories(supplier_a)
    assert [f.country for f in factories] == ["CN", "CN", "MY", "VN", "TW"]
    assert factories[0].role == "final_assembly"
    assert factories[1].role == "main_component"


def test_an_import_keeps_the_files_name_cleaned(client, owner_a):
    client.login(owner_a)
    data = (SAMPLES / "osh-columns-utf8-bom.csv").read_bytes()
    response = _upload(client, data, filename="../../exports/\u202efactories\x00 2025.csv")
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "factories 2025.csv: 6 rows read." in preview
    assert db.session.scalar(db.select(FactoryImport.filename)) == "factories 2025.csv"


@pytest.mark.parametrize(("keep", "expected"), [([], 1), (["7"], 2)])
def test_a_duplicate_row_is_left_out_unless_kept(client, owner_a, supplier_a, keep, expected):
    client.login(owner_a)
    location = _upload(client, SAMPLES / "osh-columns-utf8-bom.csv").headers["Location"]
    assert client.submit(location, {"keep": keep}).status_code == 302
    names = [f.name for f in _factories(supplier_a)]
    assert names.count("Shenzhen Lianhe Precision Electronics Co., Ltd.") == expected
    assert len(names) == 4 + expected


def test_rows_with_errors_block_the_import_until_left_out(client, owner_a, supplier_a):
    client.login(owner_a)
    location = _upload(client, SAMPLES / "swedish-semicolon-cp1252.csv").headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    assert "5 rows read" in preview
    assert "Antal anställda" in preview
    assert "abc" in preview
    blocked = client.submit(location)
    assert blocked.status_code == 422
    assert _factories(supplier_a) == []
    number = int(re.search(r'name="drop" value="(\d+)"', preview).group(1))
    assert client.submit(location, {"drop": [str(number)]}).status_code == 302
    factories = _factories(supplier_a)
    assert [f.country for f in factories] == ["CN", "CZ", "KR", "MX"]
    assert factories[3].workers_min == 2400


def test_an_import_is_all_or_nothing_and_happens_once(client, owner_a, supplier_a):
    client.login(owner_a)
    location = _upload(client, SAMPLES / "osh-columns-utf8-bom.csv").headers["Location"]
    client.submit(location)
    again = client.submit(location, page="/factories")
    assert again.status_code == 302
    assert len(_factories(supplier_a)) == 5


def test_duplicates_against_the_register_are_flagged(client, owner_a, supplier_a):
    make_factory(
        supplier_a,
        name="Penang Circuit Works Sdn. Bhd.",
        country="MY",
        address="Plot 42, Bayan Lepas Free Industrial Zone Phase 4, 11900 Bayan Lepas, Penang",
    )
    client.login(owner_a)
    location = _upload(client, SAMPLES / "osh-columns-utf8-bom.csv").headers["Location"]
    preview = client.get(location).get_data(as_text=True)
    assert "This factory is already in the register as Penang Circuit Works" in preview
    assert "Keep row 4 (otherwise left out as a duplicate)" in preview
    client.submit(location)
    names = [f.name for f in _factories(supplier_a)]
    assert names.count("Penang Circuit Works Sdn. Bhd.") == 1
    assert len(names) == 5  # the register's one and four new (the file's own duplicate too)


def test_unreadable_files_are_refused_with_a_reason(client, owner_a, app, monkeypatch):
    client.login(owner_a)
    html = _upload(client, b"\x00\x01binary\xff" * 50, "list.csv").get_data(as_text=True)
    assert "There is a problem" in html
    monkeypatch.setitem(app.config, "FACTORY_IMPORT_MAX_BYTES", 100)
    html = _upload(client, b"name,country\n" + b"x,CN\n" * 100, "big.csv").get_data(as_text=True)
    assert "larger than" in html


def test_supplier_b_cannot_see_supplier_as_import(client, make_client, owner_a, owner_b):
    client.login(owner_a)
    location = _upload(client, SAMPLES / "osh-columns-utf8-bom.csv").headers["Location"]
    other = make_client()
    other.login(owner_b)
    assert other.get(location).status_code == 404


def test_export_neutralises_formulas(client, owner_a, supplier_a):
    make_factory(supplier_a, name='=HYPERLINK("http://example.invalid","x")', country="TW")
    client.login(owner_a)
    reply = client.get("/factories/export.csv")
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "Factory name"
    assert rows[1][0].startswith("'=")
    book = openpyxl.load_workbook(io.BytesIO(client.get("/factories/export.xlsx").get_data()))
    cell = book.active.cell(row=2, column=1)
    assert cell.data_type == "s"
    assert cell.value.startswith("'=")


def test_export_in_open_supply_hub_layout(client, owner_a, supplier_a):
    make_factory(supplier_a, name="Final Co", country="VN", workers_min=51, workers_max=100)
    client.login(owner_a)
    reply = client.get("/factories/export.csv?layout=osh")
    rows = list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig"))))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["name"] == "Final Co"
    assert row["number_of_workers"] == "51-100"
    assert row["facility_type"] == "Final Product Assembly"
    assert row["sector"] == "Electronics"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_reads_back_with_no_ignored_columns(client, owner_a, fmt):
    client.login(owner_a)
    template = client.get(f"/factories/template.{fmt}").get_data()
    if fmt == "csv":
        filled = template + b"Test Works,,Road 1,Oulu,,Finland,final assembly,,,,10,,,,\r\n"
    else:
        book = openpyxl.load_workbook(io.BytesIO(template))
        book.active.append(["Test Works", None, "Road 1", "Oulu", None, "FI", "final assembly"])
        buffer = io.BytesIO()
        book.save(buffer)
        filled = buffer.getvalue()
    location = _upload(client, filled, f"template.{fmt}").headers["Location"]
    staged = db.session.scalar(db.select(FactoryImport))
    assert staged.summary["ignored"] == []
    assert staged.rows[0]["values"]["country"] == "FI"
    assert client.get(location).status_code == 200


def test_a_submitted_response_keeps_the_register_as_it_was(client, owner_a, supplier_a, response_a):
    make_factory(supplier_a, name="Assembly One", country="CN")
    client.login(owner_a)
    client.submit(f"/responses/{response_a.id}/start", page=f"/responses/{response_a.id}")
    client.submit(
        f"/responses/{response_a.id}/sections/basics", {"q_has_policy": "no", "q_workers": "5"}
    )
    client.submit(f"/responses/{response_a.id}/sections/details", {"q_methods": ["dialogue"]})
    client.submit(f"/responses/{response_a.id}/submit", page=f"/responses/{response_a.id}")
    make_factory(supplier_a, name="Added Later", country="VN")
    frozen = db.session.scalar(
        db.select(Answer).where(
            Answer.response_id == response_a.id, Answer.question_key == "factories"
        )
    )
    assert [f["name"] for f in frozen.value] == ["Assembly One"]
    page = client.get(f"/responses/{response_a.id}/answers").get_data(as_text=True)
    assert "Assembly One" in page
    assert "Added Later" not in page
    assert "snapshot" in [c.kind for c in questionnaire_services.history(response_a)]


def test_reviewers_see_every_suppliers_factories_with_counts(
    client, reviewer, supplier_a, supplier_b, count_queries
):
    make_factory(supplier_a, name="Alpha One Works", country="CN", component_categories=["battery"])
    make_factory(
        supplier_a,
        name="Alpha Two Works",
        country="CN",
        role="main_component",
        component_categories=["memory"],
    )
    make_factory(supplier_b, name="Beta One Works", country="MX")
    make_factory(supplier_b, name="B gone", country="MX", left_on=today() - timedelta(days=1))
    client.login(reviewer)
    html = client.get("/review/factories").get_data(as_text=True)
    assert "Alpha One Works" in html
    assert "Beta One Works" in html
    assert "B gone" not in html
    assert re.search(r"China</th><td class=\"numeric\">2<", html)
    filtered = client.get("/review/factories?component=memory").get_data(as_text=True)
    assert "Alpha Two Works" in filtered
    assert "Alpha One Works" not in filtered
    by_supplier = client.get(f"/review/factories?supplier={supplier_b.id}").get_data(as_text=True)
    assert "Beta One Works" in by_supplier
    assert "Alpha One Works" not in by_supplier
    with count_queries() as few:
        client.get("/review/factories")
    other = make_org()
    for n in range(30):
        make_factory(other, name=f"Many {n}", country="TH")
    with count_queries() as many:
        client.get("/review/factories")
    assert few.count == many.count


def test_suppliers_cannot_see_the_buyers_table(client, owner_a):
    client.login(owner_a)
    assert client.get("/review/factories").status_code == 403


def test_two_colleagues_editing_one_factory(client, make_client, owner_a, member_a, supplier_a):
    factory = make_factory(supplier_a, name="Shared Works", country="CN")
    client.login(owner_a)
    colleague = make_client()
    colleague.login(member_a)
    url = f"/factories/{factory.id}/edit"
    mine = client.get(url).get_data(as_text=True)
    colleague.submit(url, {**NEW, "name": "Renamed By Colleague"})
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', mine).group(1)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', mine).group(1)
    stale = client.post(
        url, data={**NEW, "csrf_token": token, "version": version, "name": "Renamed By Me"}
    )
    assert stale.status_code == 409
    assert "A colleague changed this factory" in stale.get_data(as_text=True)
    assert db.session.get(Factory, factory.id).name == "Renamed By Colleague"

"""The register tied to products: models made, what a component factory supplies, workforce
make-up, confirmations with brands, and each factory's details as they were on a past day."""

import csv
import io
import re
from datetime import date, timedelta

import openpyxl
import pytest
from werkzeug.exceptions import NotFound

from portal.extensions import db
from portal.factories import services
from portal.factories.importing import PERCENT_FIELDS, Table, recognised_matching
from portal.factories.models import BrandConfirmation, Factory, FactoryDetailsVersion
from portal.factories.services import today
from tests.fixtures.builders import make_factory

FORM = {
    "name": "Kunshan Board Works",
    "country": "CN",
    "role": "main_component",
    "component_categories": ["mainboard_pcb"],
    "product_categories": ["pcs", "monitors"],
    "brands": "Lumenic",
    "entered_on": "2024-01-01",
}


def _page(client, url: str) -> str:
    return client.get(url).get_data(as_text=True)


def _csv_rows(reply) -> list[list[str]]:
    return list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig"))))


def test_a_supplier_ties_a_factory_to_products_and_sees_it(client, owner_a, supplier_a):
    assembly = make_factory(supplier_a, name="Lumen Assembly", country="VN")
    factory = make_factory(supplier_a, name="Kunshan Board Works", role="main_component")
    client.login(owner_a)
    edit = f"/factories/{factory.id}/edit"
    assert f'<option value="{assembly.id}">Lumen Assembly</option>' in _page(client, edit)
    reply = client.submit(
        edit,
        {
            **FORM,
            "product_models": "Lumen 14 G3, Lumen Desk 800",
            "supplies_factory_id": str(assembly.id),
            "women_percent": "62",
            "migrant_percent": "35 %",
            "agency_percent": "0",
        },
    )
    assert reply.status_code == 302
    factory = db.session.get(Factory, factory.id)
    assert factory.product_models == "Lumen 14 G3, Lumen Desk 800"
    assert factory.supplies_factory_id == assembly.id
    assert (factory.women_percent, factory.migrant_percent, factory.agency_percent) == (62, 35, 0)
    register = _page(client, "/factories")
    for shown in (
        "Lumen 14 G3, Lumen Desk 800",
        "Supplies Lumen Assembly",
        "PCs, Monitors",
        "Women: 62%",
        "Migrant workers: 35%",
        "Agency workers: 0%",
    ):
        assert shown in register
    form = _page(client, edit)
    assert f'<option selected value="{assembly.id}">' in form
    assert 'value="62"' in form


def test_a_new_component_factory_names_the_factory_it_supplies_at_once(client, owner_a, supplier_a):
    assembly = make_factory(supplier_a, name="Lumen Assembly", role="final_assembly")
    client.login(owner_a)

    reply = client.submit("/factories/new", {**FORM, "supplies_factory_id": str(assembly.id)})

    assert reply.status_code == 302
    added = db.session.scalar(db.select(Factory).where(Factory.name == FORM["name"]))
    assert added.supplies_factory_id == assembly.id
    assert "Supplies Lumen Assembly" in _page(client, "/factories")


def test_the_buyers_table_shows_every_cell_of_a_factory_escaped(
    client, make_client, owner_a, supplier_a, reviewer
):
    assembly = make_factory(supplier_a, name="Lumen <Assembly> & Co", role="final_assembly")
    client.login(owner_a)
    client.submit(
        "/factories/new",
        {
            **FORM,
            "name": "Boards <b>Works</b>",
            "city": "Kun'shan",
            "product_models": 'Lumen 14 "G3"',
            "supplies_factory_id": str(assembly.id),
            "workers": "800-1200",
            "women_percent": "62",
        },
    )
    staff = make_client()
    staff.login(reviewer)

    table = _page(staff, "/review/factories?sort=name")

    row = table.split("Boards &lt;b&gt;Works&lt;/b&gt;", 1)[1].split("</tr>", 1)[0]
    assert row.startswith('<br><span class="muted">Kun&#39;shan</span></th>')
    for cell in (
        "<td>China</td>",
        '<td>Main component<br><span class="muted">Supplies Lumen &lt;Assembly&gt; &amp; Co'
        "</span></td>",
        "<td>Mainboard/PCB</td>",
        '<td>PCs, Monitors<br><span class="muted">Lumen 14 &#34;G3&#34;</span></td>',
        '<td class="numeric">800–1200</td>',
        "<td>Women: 62%</td>",
    ):
        assert cell in row
    assert "<b>" not in table.split("<tbody>", 2)[2]


def test_a_component_factory_can_name_a_brand_instead(client, owner_a, supplier_a):
    client.login(owner_a)
    client.submit("/factories/new", {**FORM, "supplies_brand": "Kestrel"})
    [factory] = db.session.scalars(db.select(Factory)).all()
    assert (factory.supplies_factory_id, factory.supplies_brand) == (None, "Kestrel")
    assert "Supplies Kestrel" in _page(client, "/factories")


def test_a_final_assembly_factory_supplies_nothing(client, owner_a, supplier_a):
    client.login(owner_a)
    client.submit("/factories/new", {**FORM, "role": "final_assembly", "supplies_brand": "Kestrel"})
    [factory] = db.session.scalars(db.select(Factory)).all()
    assert factory.supplies_brand is None


def test_both_a_factory_and_a_brand_are_refused(client, owner_a, supplier_a):
    assembly = make_factory(supplier_a, name="Lumen Assembly")
    client.login(owner_a)
    html = client.submit(
        "/factories/new",
        {**FORM, "supplies_factory_id": str(assembly.id), "supplies_brand": "Kestrel"},
    ).get_data(as_text=True)
    assert "Name the factory it supplies or the brand, not both." in html


def test_bad_percentages_are_refused_with_the_message(client, owner_a, supplier_a):
    factory = make_factory(supplier_a, name="Share Works", role="main_component")
    client.login(owner_a)
    for bad in ("101", "-3", "4.5", "half", "1000000000000"):
        reply = client.submit(f"/factories/{factory.id}/edit", {**FORM, "women_percent": bad})
        html = reply.get_data(as_text=True)
        assert reply.status_code == 200, bad
        assert "Enter a whole percentage from 0 to 100, such as 45." in html, bad
        assert f'value="{bad}"' in html  # shown again as typed
    assert db.session.get(Factory, factory.id).women_percent is None


def test_the_list_as_of_a_day_shows_the_details_as_they_were(client, owner_a, supplier_a):
    factory = make_factory(
        supplier_a, name="Old Name Works", role="main_component", product_models="Model A"
    )
    client.login(owner_a)
    client.submit(
        f"/factories/{factory.id}/edit",
        {**FORM, "name": "New Name Works", "product_models": "Model B", "women_percent": "40"},
    )
    yesterday = (today() - timedelta(days=1)).isoformat()
    before = _page(client, f"/factories?on={yesterday}")
    assert "Old Name Works" in before
    assert "Model A" in before
    assert "New Name Works" not in before
    assert "Women: 40%" not in before
    now = _page(client, "/factories")
    assert "New Name Works" in now
    assert "Model B" in now
    [version] = db.session.scalars(db.select(FactoryDetailsVersion)).all()
    assert (version.valid_from, version.valid_to) == (date(2024, 1, 1), today())
    assert version.details["name"] == "Old Name Works"


def test_each_edit_keeps_the_details_of_its_own_period(app, owner_a, supplier_a):
    factory = make_factory(supplier_a, name="A Works", entered_on=date(2024, 1, 1))
    for name, on in (("B Works", date(2025, 1, 1)), ("C Works", date(2025, 6, 1))):
        values = {"name": name}
        services.save_factory(supplier_a.id, values, user=owner_a, factory=factory, on=on)
    # Saving the same details again is no edit: nothing more is kept.
    services.save_factory(supplier_a.id, {"name": "C Works"}, user=owner_a, factory=factory)
    db.session.flush()
    assert db.session.scalar(db.select(db.func.count(FactoryDetailsVersion.id))) == 2
    for day, name in (
        (date(2024, 6, 1), "A Works"),
        (date(2024, 12, 31), "A Works"),
        (date(2025, 1, 1), "B Works"),
        (date(2025, 5, 31), "B Works"),
        (date(2025, 6, 1), "C Works"),
        (today(), "C Works"),
    ):
        [shown] = services.register_as_of(supplier_a.id, day)
        assert shown.name == name, day


def test_the_list_is_confirmed_with_each_brand(client, owner_a, reviewer, supplier_a):
    make_factory(supplier_a, name="Lumen Assembly", brands=["Lumenic", "Kestrel"])
    client.login(owner_a)
    register = _page(client, "/factories")
    assert "Not yet confirmed with Kestrel" in register
    assert "Not yet confirmed with Lumenic" in register
    day = today() - timedelta(days=3)
    reply = client.submit(
        "/factories/brands/confirm",
        {"brand": "Lumenic", "confirmed_on": day.isoformat()},
        page="/factories",
    )
    assert reply.status_code == 302
    register = _page(client, "/factories")
    shown = f"Confirmed with Lumenic on {day:%-d %b %Y}"
    assert shown in register
    assert "Not yet confirmed with Kestrel" in register
    # A later confirmation replaces the date; a future one or an unknown brand is refused.
    client.submit(
        "/factories/brands/confirm",
        {"brand": "Lumenic", "confirmed_on": today().isoformat()},
        page="/factories",
    )
    assert db.session.scalar(db.select(BrandConfirmation.confirmed_on)) == today()
    future = client.submit(
        "/factories/brands/confirm",
        {"brand": "Lumenic", "confirmed_on": (today() + timedelta(days=1)).isoformat()},
        page="/factories",
    )
    assert future.status_code == 422
    assert "The date cannot be in the future." in future.get_data(as_text=True)
    unknown = client.submit(
        "/factories/brands/confirm",
        {"brand": "Nobody", "confirmed_on": today().isoformat()},
        page="/factories",
    )
    assert unknown.status_code == 422
    client.logout()
    client.login(reviewer)
    buyer = _page(client, "/review/factories")
    assert "Lumenic" in buyer
    assert f"<td>Lumenic</td><td>{today():%-d %b %Y}</td>" in buyer


def test_an_import_reads_the_new_columns(client, owner_a, supplier_a):
    data = (
        b"Factory name;Country;Role;Product models;Levererar till;Andel kvinnor;"
        b"Migrant workers (%);Agency workers\n"
        b"Lumen Assembly;VN;Final assembly;Lumen 14;;55;10;5\n"
        b"Kunshan Boards;CN;Main component;Lumen 14 board;Lumen Assembly;48 %;0;12\n"
        b"Penang Cells;MY;Main component;;Kestrel;;;\n"
    )
    client.login(owner_a)
    location = client.submit("/factories/import", {"file": (io.BytesIO(data), "list.csv")}).headers[
        "Location"
    ]
    assert client.submit(location).status_code == 302
    by_name = {f.name: f for f in db.session.scalars(db.select(Factory))}
    assembly, boards, cells = (
        by_name["Lumen Assembly"],
        by_name["Kunshan Boards"],
        by_name["Penang Cells"],
    )
    assert (assembly.product_models, assembly.women_percent) == ("Lumen 14", 55)
    assert (boards.supplies_factory_id, boards.supplies_brand) == (assembly.id, None)
    assert (boards.women_percent, boards.migrant_percent, boards.agency_percent) == (48, 0, 12)
    assert (cells.supplies_factory_id, cells.supplies_brand) == (None, "Kestrel")


def test_an_import_refuses_a_bad_percentage(client, owner_a, supplier_a):
    data = b"Factory name,Country,Role,Women (%)\nOdd Works,CN,Final assembly,120\n"
    client.login(owner_a)
    location = client.submit("/factories/import", {"file": (io.BytesIO(data), "list.csv")}).headers[
        "Location"
    ]
    preview = _page(client, location)
    assert "&#39;120&#39; is not a whole percentage from 0 to 100." in preview
    assert client.submit(location).status_code == 422


def test_the_export_has_the_new_columns_and_reads_back(client, owner_a, supplier_a):
    assembly = make_factory(supplier_a, name="Lumen Assembly", country="VN")
    make_factory(
        supplier_a,
        name="Kunshan Boards",
        role="main_component",
        product_models="Lumen 14 board",
        supplies_factory_id=assembly.id,
        women_percent=48,
        migrant_percent=0,
        agency_percent=12,
    )
    client.login(owner_a)
    header, *rows = _csv_rows(client.get("/factories/export.csv"))
    for title in ("Product models", "Supplies", "Women (%)", "Migrant workers (%)"):
        assert title in header
    boards = dict(zip(header, next(r for r in rows if r[0] == "Kunshan Boards"), strict=True))
    assert boards["Product models"] == "Lumen 14 board"
    assert boards["Supplies"] == "Lumen Assembly"
    assert (boards["Women (%)"], boards["Migrant workers (%)"]) == ("48", "0")
    assert boards["Agency workers (%)"] == "12"
    book = openpyxl.load_workbook(io.BytesIO(client.get("/factories/export.xlsx").get_data()))
    assert "Agency workers (%)" in [c.value for c in book.active[1]]
    # The importer reads every heading of the export as the field it came from.
    matching = recognised_matching(Table(header, list(range(len(header))), []))
    for field in ("product_models", "supplies", *PERCENT_FIELDS):
        assert field in matching


def test_supplier_b_never_sees_or_uses_supplier_as_factories(
    client, owner_a, owner_b, supplier_a, supplier_b
):
    theirs = make_factory(supplier_a, name="Alpha Assembly Secret")
    mine = make_factory(supplier_b, name="Beta Boards", role="main_component")
    client.login(owner_b)
    edit = f"/factories/{mine.id}/edit"
    assert "Alpha Assembly Secret" not in _page(client, edit)
    reply = client.submit(edit, {**FORM, "supplies_factory_id": str(theirs.id)})
    assert reply.status_code == 200
    assert "Not a valid choice." in reply.get_data(as_text=True)
    assert db.session.get(Factory, mine.id).supplies_factory_id is None
    # Past the form, the service refuses it as well.
    with pytest.raises(NotFound):
        services.save_factory(
            supplier_b.id, {"supplies_factory_id": theirs.id}, user=owner_b, factory=mine
        )


def test_the_register_page_takes_as_many_queries_for_many_rows(
    client, owner_a, supplier_a, count_queries
):
    def grow(n: int) -> None:
        assembly = make_factory(supplier_a, name=f"Assembly {n}", brands=[f"Brand {n}"])
        factory = make_factory(
            supplier_a, name=f"Boards {n}", role="main_component", supplies_factory_id=assembly.id
        )
        services.save_factory(
            supplier_a.id, {"name": f"Boards {n} renamed"}, user=owner_a, factory=factory
        )
        services.confirm_with_brand(supplier_a.id, f"Brand {n}", today(), user=owner_a)
        db.session.commit()

    grow(0)
    client.login(owner_a)
    yesterday = (today() - timedelta(days=1)).isoformat()
    with count_queries() as few:
        client.get("/factories")
        client.get(f"/factories?on={yesterday}")
    for n in range(1, 15):
        grow(n)
    with count_queries() as many:
        page = _page(client, "/factories")
        client.get(f"/factories?on={yesterday}")
    assert "Boards 14 renamed" in page
    assert few.count == many.count


def _supplies_options(html: str) -> list[str]:
    """The factories offered as the one a component factory supplies ("None" left out)."""
    select = re.search(r'<select[^>]*name="supplies_factory_id".*?</select>', html, re.S)
    return re.findall(r'<option[^>]*value="[0-9]+">([^<]*)</option>', select.group(0))


def _assemblies(supplier, count: int) -> list[Factory]:
    return [
        make_factory(supplier, name=f"Assembly {n:03d}", city="Penang" if n % 2 else "Hanoi")
        for n in range(count)
    ]


def test_a_long_register_offers_the_factory_it_supplies_by_search(client, owner_a, supplier_a):
    """With more final-assembly factories than a list can show, the form offers the first by
    name and a search; finding keeps what was typed, and the one found is saved."""
    assemblies = _assemblies(supplier_a, services.ALL_CHOICES_UP_TO + 30)
    client.login(owner_a)

    first = _page(client, "/factories/new")
    found = client.submit(
        "/factories/new", {**FORM, "name": "Typed Works", "find": "assembly 07", "action": "find"}
    )
    html = found.get_data(as_text=True)
    wanted = assemblies[77]
    saved = client.submit("/factories/new", {**FORM, "supplies_factory_id": str(wanted.id)})

    assert "25 of 80 factories are shown." in first
    assert _supplies_options(first) == [f"Assembly {n:03d}" for n in range(25)]
    assert found.status_code == 200
    assert "10 of 10 factories are shown." in html
    assert 'value="Typed Works"' in html
    assert f'<option value="{wanted.id}">Assembly 077</option>' in html
    assert "Assembly 000" not in html
    assert db.session.scalar(db.select(Factory).where(Factory.name == "Typed Works")) is None
    assert saved.status_code == 302
    added = db.session.scalar(db.select(Factory).where(Factory.name == FORM["name"]))
    assert added.supplies_factory_id == wanted.id


def test_a_long_register_keeps_the_factory_chosen_while_searching(client, owner_a, supplier_a):
    assemblies = _assemblies(supplier_a, services.ALL_CHOICES_UP_TO + 30)
    factory = make_factory(
        supplier_a, name="Boards", role="main_component", supplies_factory_id=assemblies[79].id
    )
    client.login(owner_a)
    edit = f"/factories/{factory.id}/edit"

    opened = _page(client, edit)
    searched = client.submit(edit, {"find": "hanoi", "action": "find"}).get_data(as_text=True)

    assert f'<option selected value="{assemblies[79].id}">Assembly 079</option>' in opened
    assert f'<option selected value="{assemblies[79].id}">Assembly 079</option>' in searched
    assert "25 of 40 factories are shown." in searched
    assert "Penang" not in searched


def test_a_long_register_refuses_a_factory_it_did_not_offer(
    client, owner_a, owner_b, supplier_a, supplier_b
):
    _assemblies(supplier_a, services.ALL_CHOICES_UP_TO + 1)
    theirs = make_factory(supplier_b, name="Their Assembly")
    client.login(owner_a)

    reply = client.submit("/factories/new", {**FORM, "supplies_factory_id": str(theirs.id)})

    assert reply.status_code == 200
    assert db.session.scalar(db.select(Factory).where(Factory.name == FORM["name"])) is None


def test_the_factory_form_stays_small_with_thousands_of_assembly_factories(
    client, owner_a, supplier_a
):
    db.session.execute(
        db.insert(Factory),
        [
            {
                "organisation_id": supplier_a.id,
                "name": f"Plant {n:05d}",
                "country": "CN",
                "role": "final_assembly",
                "entered_on": date(2024, 1, 1),
                "match_key": f"plant {n:05d}|cn",
            }
            for n in range(5_000)
        ],
    )
    db.session.commit()
    client.login(owner_a)

    reply = client.get("/factories/new")

    assert reply.status_code == 200
    assert len(reply.data) < 60_000
    assert "25 of 5,000 factories are shown." in reply.get_data(as_text=True)

"""Ladder v2 and marks per brand: a reseller stands on the step all its brands have reached, a
mark for the whole organisation holds for every brand, the export names the brand."""

import csv
import io
from datetime import date

import pytest

from portal.audit.models import AuditEvent
from portal.definitions import ROOT
from portal.extensions import db
from portal.ladder import services
from portal.ladder.definition import Ladder, load_ladder
from portal.ladder.models import MilestoneMark
from portal.questionnaires.models import ResponseStatus
from portal.questionnaires.schemas import EVIDENCE_KINDS
from portal.timeutil import utcnow
from tests.fixtures.builders import (
    make_answer,
    make_factory,
    make_org,
    make_round,
    publish_shipped,
    response_of,
)

SHIPPED_V2 = ROOT / services.LADDER_KEY / "v2.yaml"
POLICY, TRAINED = "rights_policy_communicated", "workers_trained"


@pytest.fixture
def ladder(app_context):
    """Both shipped versions published: the pages use the newest."""
    services.publish(1)
    version, _ = services.publish(2)
    db.session.commit()
    return version


def submitted_brands(organisation, brands: list[str], admin):
    """A submitted ict-social v2 response whose brand table names `brands`."""
    version = publish_shipped("ict-social", 2)
    response = response_of(make_round(version, [organisation], opened_by=admin), organisation)
    rows = [{"brand_name": b, "product_category": "pcs", "share": 50} for b in brands]
    make_answer(response, "brands_covered", rows)
    response.status = ResponseStatus.SUBMITTED.value
    response.submitted_at = utcnow()
    db.session.commit()
    return response


def _form(*entries, brand=None, on="2025-03-01") -> dict:
    data = {} if brand is None else {"brand": brand}
    for key, status in entries:
        data[f"status-{key}"] = status
        data[f"marked_on-{key}"] = on
        data[f"evidence_note-{key}"] = "Seen on a visit."
    return data


def _steps(organisation, ladder) -> tuple[int, dict[str, int]]:
    standing = services.standing(organisation.id, ladder.ladder)
    return standing.step, {b.brand: b.step for b in standing.brands}


# The definition --------------------------------------------------------------------------------
def test_ladder_v2_is_grounded_bilingual_and_covers_main_components_from_elections():
    content, problems = load_ladder(SHIPPED_V2)
    assert problems == []
    ladder = Ladder(content)
    assert [m["step"] for m in ladder.milestones] == list(range(len(ladder.milestones)))
    for milestone in ladder.milestones:
        for text in (milestone["title"], milestone["description"]):
            assert text["sv"].strip()
            assert text["en"].strip()
            assert text["sv"] != text["en"]
        assert set(milestone["evidence"]) <= set(EVIDENCE_KINDS)
    assert all(m["evidence"] for m in ladder.markable)
    intro = ladder.intro("en")
    assert "Ethical Trading Initiative" in intro
    assert "Electronics Watch" in intro
    assert "independent_monitoring_report" in EVIDENCE_KINDS
    assert "independent_monitoring_report" in ladder.milestones[-1]["evidence"]
    elected = ladder.milestone("representatives_elected")
    # From the step where representatives are elected, main-component factories count too.
    for milestone in ladder.milestones[elected["step"] :]:
        assert "main-component factories" in milestone["description"]["en"]
    english = " ".join(m["description"]["en"] for m in ladder.milestones)
    assert "parallel means" in english
    assert "collective agreement" in english
    assert "retaliation" in " ".join(m["title"]["en"] for m in ladder.milestones)


def test_the_pages_use_the_newest_version(client, make_client, ladder, reviewer, owner_a):
    assert services.current_version().number == 2
    client.login(reviewer)
    top = ladder.ladder.top
    page = client.get(f"/review/ladder/{owner_a.organisation_id}").get_data(as_text=True)
    assert f"Step 0 of {top}:" in page
    assert "Step 7: A union is recognised and bargains collectively" in page
    # A v1 milestone that v2 does not have cannot be marked.
    reply = client.submit(
        f"/review/ladder/{owner_a.organisation_id}", _form(("policy_communicated", "achieved"))
    )
    assert reply.status_code == 200
    assert not db.session.scalars(db.select(MilestoneMark)).all()
    supplier = make_client()
    supplier.login(owner_a)
    page = supplier.get("/ladder").get_data(as_text=True)
    assert f"Step 0 of {top}:" in page
    assert "protected from retaliation and trained for their role" in page


# Marks per brand -------------------------------------------------------------------------------
def test_the_supplier_stands_on_the_step_all_its_brands_have_reached(
    client, ladder, reviewer, admin, supplier_a
):
    submitted_brands(supplier_a, ["Lumenic", "Orbis"], admin)
    client.login(reviewer)
    url = f"/review/ladder/{supplier_a.id}"
    page = client.get(url).get_data(as_text=True)
    assert '<option value="Orbis">Orbis</option>' in page

    # A mark for the whole organisation holds for every brand.
    assert client.submit(url, _form((POLICY, "achieved"))).status_code == 302
    assert _steps(supplier_a, ladder) == (1, {"Lumenic": 1, "Orbis": 1})

    # One brand further: the supplier stays where the other brand is.
    assert client.submit(url, _form((TRAINED, "achieved"), brand="Orbis")).status_code == 302
    assert _steps(supplier_a, ladder) == (1, {"Lumenic": 1, "Orbis": 2})
    mark = db.session.scalars(db.select(MilestoneMark).order_by(MilestoneMark.id.desc())).first()
    assert (mark.milestone_key, mark.brand) == (TRAINED, "Orbis")
    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "ladder.marked").order_by(AuditEvent.id)
    ).all()[-1]
    assert event.details["brand"] == "Orbis"

    page = client.get(url).get_data(as_text=True)
    assert "Step 1 of 8:" in page
    assert "Marked for Orbis: Achieved (1 Mar 2025)." in page
    overview = client.get("/review/ladder").get_data(as_text=True)
    assert "Lumenic: step 1" in overview
    assert "Orbis: step 2" in overview

    # The other brand catches up: the supplier climbs.
    assert client.submit(url, _form((TRAINED, "achieved"), brand="Lumenic")).status_code == 302
    assert _steps(supplier_a, ladder) == (2, {"Lumenic": 2, "Orbis": 2})
    assert services.history_positions([supplier_a.id], ladder.ladder)[supplier_a.id] == [
        (date(2025, 3, 1), 2)
    ]


def test_a_newer_mark_for_the_whole_organisation_replaces_a_brands_own(
    client, ladder, reviewer, admin, supplier_a
):
    submitted_brands(supplier_a, ["Lumenic", "Orbis"], admin)
    client.login(reviewer)
    url = f"/review/ladder/{supplier_a.id}"
    client.submit(url, _form((POLICY, "achieved"), brand="Orbis", on="2025-03-01"))
    assert _steps(supplier_a, ladder) == (0, {"Lumenic": 0, "Orbis": 1})
    client.submit(url, _form((POLICY, "not_yet"), on="2025-04-01"))
    assert _steps(supplier_a, ladder) == (0, {"Lumenic": 0, "Orbis": 0})
    client.submit(url, _form((POLICY, "achieved"), on="2025-05-01"))
    assert _steps(supplier_a, ladder) == (1, {"Lumenic": 1, "Orbis": 1})


def test_a_brand_the_supplier_does_not_name_is_refused(client, ladder, reviewer, admin, supplier_a):
    submitted_brands(supplier_a, ["Lumenic", "Orbis"], admin)
    client.login(reviewer)
    reply = client.submit(
        f"/review/ladder/{supplier_a.id}", _form((POLICY, "achieved"), brand="Nokia")
    )
    assert reply.status_code == 200
    assert "one of the supplier's brands from the list." in reply.get_data(as_text=True)
    assert not db.session.scalars(db.select(MilestoneMark)).all()
    with pytest.raises(services.MarkError, match="not one of the supplier's brands"):
        services.mark(
            supplier_a, POLICY, "achieved", date(2025, 3, 1), None, "x", "", reviewer, "Nokia"
        )


def test_without_a_brand_table_the_register_names_the_brands(client, ladder, reviewer):
    supplier = make_org(name="Register Brands AB")
    make_factory(supplier, brands=["Vexa", " vexa ", "Cirro"])
    make_factory(supplier, brands=["Gone"], left_on=date(2024, 6, 1))
    assert services.supplier_brands(supplier.id) == ["Vexa", "Cirro"]
    client.login(reviewer)
    url = f"/review/ladder/{supplier.id}"
    assert client.submit(url, _form((POLICY, "achieved"), brand="Cirro")).status_code == 302
    assert _steps(supplier, ladder) == (0, {"Vexa": 0, "Cirro": 1})
    # The brand is kept as the list writes it, however the caller spells it.
    mark = services.mark(
        supplier, TRAINED, "achieved", date(2025, 3, 2), None, "x", "", reviewer, brand=" cirro"
    )
    assert mark.brand == "Cirro"
    assert _steps(supplier, ladder) == (0, {"Vexa": 0, "Cirro": 2})


def test_a_supplier_naming_no_brands_works_as_before(
    client, make_client, ladder, reviewer, supplier_a, owner_a
):
    client.login(reviewer)
    url = f"/review/ladder/{supplier_a.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="brand"' not in page
    assert 'id="brand-steps"' not in page
    client.submit(url, _form((POLICY, "achieved"), (TRAINED, "achieved")))
    assert _steps(supplier_a, ladder) == (2, {})
    assert "No brands named" in client.get("/review/ladder").get_data(as_text=True)
    # A brand posted anyway is refused: there is none to choose.
    client.submit(url, _form(("committee_exists", "achieved"), brand="Orbis"))
    assert _steps(supplier_a, ladder) == (2, {})


def test_a_supplier_sees_only_its_own_brands_and_steps(
    client, make_client, ladder, reviewer, admin, supplier_a, supplier_b, owner_a
):
    submitted_brands(supplier_a, ["Lumenic"], admin)
    make_factory(supplier_b, brands=["Secretbrand"])
    client.login(reviewer)
    client.submit(
        f"/review/ladder/{supplier_b.id}", _form((POLICY, "achieved"), brand="Secretbrand")
    )
    supplier = make_client()
    supplier.login(owner_a)
    page = supplier.get("/ladder").get_data(as_text=True)
    assert "Lumenic" in page
    assert 'id="brand-steps"' in page
    assert "Secretbrand" not in page
    assert supplier_b.name not in page
    for url in (f"/review/ladder/{supplier_b.id}", "/review/ladder", "/review/ladder/export.csv"):
        assert supplier.get(url).status_code == 403


# The export ------------------------------------------------------------------------------------
def test_the_export_has_a_row_per_brand_and_milestone(client, ladder, reviewer, admin, supplier_a):
    submitted_brands(supplier_a, ["Lumenic", "Orbis"], admin)
    client.login(reviewer)
    url = f"/review/ladder/{supplier_a.id}"
    client.submit(url, _form((POLICY, "achieved")))
    client.submit(url, _form((TRAINED, "achieved"), brand="Orbis"))
    rows = list(
        csv.reader(
            io.StringIO(client.get("/review/ladder/export.csv").get_data().decode("utf-8-sig"))
        )
    )
    header = rows[0]
    assert header[3:6] == ["Ladder step", "Brand", "Brand step"]
    mine = [r for r in rows[1:] if r[0] == supplier_a.name]
    markable = len(ladder.ladder.markable)
    assert len(mine) == 2 * markable
    by_brand = {brand: [r for r in mine if r[4] == brand] for brand in ("Lumenic", "Orbis")}
    assert {r[3] for r in mine} == {"1"}
    assert {r[5] for r in by_brand["Lumenic"]} == {"1"}
    assert {r[5] for r in by_brand["Orbis"]} == {"2"}
    status = header.index("Status")
    assert [r[status] for r in by_brand["Orbis"][:3]] == ["achieved", "achieved", ""]
    assert [r[status] for r in by_brand["Lumenic"][:3]] == ["achieved", "", ""]

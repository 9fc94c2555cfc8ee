"""A supplier fills the shipped questionnaire's brand table in the browser: a wrong cell is
named by its row and column, marked alone, and reached from the summary; the draft is kept;
once put right, the same button goes on; the answers read back as a table of labels."""

import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.orgs.models import OrgKind
from portal.questionnaires.models import Answer
from portal.questionnaires.services import publish
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in_with_password
from tests.fixtures.builders import make_org, make_round, make_user, response_of
from tests.fixtures.review import SHIPPED

pytestmark = pytest.mark.browser

SHARE = "Share of contract volume"


@pytest.fixture
def supplier(live_server):
    with live_server.db():
        admin = make_user(make_org(OrgKind.BUYER), Role.BUYER_ADMIN)
        org = make_org(OrgKind.RESELLER)
        owner = make_user(org, Role.SUPPLIER_OWNER)
        version, _ = publish(*SHIPPED)
        db.session.flush()
        response = response_of(make_round(version, [org], opened_by=admin, title="ICT 2027"), org)
        return {"email": owner.email, "response_id": response.id}


def _stored_brands(live_server, response_id):
    with live_server.db() as session:
        return session.scalar(
            db.select(Answer.value).where(
                Answer.response_id == response_id, Answer.question_key == "brands_covered"
            )
        )


def test_a_wrong_cell_is_named_marked_and_reached_from_the_summary(page, live_server, supplier):
    sign_in_with_password(page, supplier["email"])
    page.goto(f"/responses/{supplier['response_id']}")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("link", name="Supply-chain transparency").click()
    brands = page.get_by_role("region", name=re.compile("^Which brands do you sell"))
    # A number cell brings up a phone's keypad of digits; a text cell does not.
    for row in (1, 2):
        expect(brands.get_by_label(f"{SHARE}, row {row}", exact=True)).to_have_attribute(
            "inputmode", "decimal"
        )
    expect(brands.get_by_label("Brand name, row 1", exact=True)).not_to_have_attribute(
        "inputmode", re.compile(".")
    )
    brands.get_by_label("Brand name, row 1", exact=True).fill("Lumenic")
    brands.get_by_label("Product category, row 1", exact=True).select_option(label="PCs")
    brands.get_by_label(f"{SHARE}, row 1", exact=True).fill("60")
    brands.get_by_label("Brand name, row 2", exact=True).fill("Norrsken")
    brands.get_by_label("Product category, row 2", exact=True).select_option(label="Monitors")
    brands.get_by_label(f"{SHARE}, row 2", exact=True).fill("140")
    page.get_by_role("button", name="Save and go to the next section").click()

    # Still on the section, told that the draft is saved and what needs attention.
    expect(page.get_by_role("heading", level=1)).to_have_text("Supply-chain transparency")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Your answers are saved, but 1 needs attention")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Error: "))
    assert _stored_brands(live_server, supplier["response_id"])[1]["volume_share"] == 140
    assert_accessible(page)

    summary.get_by_role("link", name=re.compile(f"row 2, {SHARE}: enter 100 or less\\.$")).click()
    wrong = page.get_by_label(f"{SHARE}, row 2", exact=True)
    expect(wrong).to_be_focused()
    expect(wrong).to_have_value("140")
    expect(wrong).to_have_attribute("aria-invalid", "true")
    expect(wrong).to_have_accessible_description(f"Row 2, {SHARE}: enter 100 or less.")
    for fine in (f"{SHARE}, row 1", "Brand name, row 2", "Product category, row 2"):
        expect(page.get_by_label(fine, exact=True)).not_to_have_attribute("aria-invalid", "true")

    wrong.fill("40")
    page.get_by_role("button", name="Save and go to the next section").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Risk assessment")
    expect(page.get_by_role("status").first).to_contain_text("Your answers are saved.")

    page.goto(f"/responses/{supplier['response_id']}/answers")
    table = page.get_by_role("region", name=re.compile("^Which brands do you sell"))
    expect(table.get_by_role("columnheader", name=f"{SHARE} (%)")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("Norrsken"))).to_contain_text("Monitors")
    expect(table).not_to_contain_text("monitors")
    assert_accessible(page)

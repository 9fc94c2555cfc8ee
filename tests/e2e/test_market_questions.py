"""A supplier answers the market questions of an RFI in the browser: keyboard-reachable
radios, a date asked for when the answer is "planned", errors named and linked, axe clean."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, error_summary, sign_in
from tests.fixtures.builders import make_org, make_round, make_user, publish_version, response_of

pytestmark = pytest.mark.browser
CRITERIA = ("transparency", "monitoring", "worker_empowerment", "minerals_policy")


@pytest.fixture
def rfi(live_server):
    with live_server.db():
        admin = make_user(make_org(OrgKind.BUYER), Role.BUYER_ADMIN)
        org = make_org(OrgKind.RESELLER)
        owner = make_user(org, Role.SUPPLIER_OWNER)
        round_ = make_round(publish_version(1, "market"), [org], opened_by=admin, title="RFI PCs")
        round_.kind = "rfi"
        db.session.commit()
        return {"email": owner.email, "response_id": response_of(round_, org).id}


def test_a_supplier_answers_the_market_questions(page, live_server, rfi):
    sign_in(page, rfi["email"])
    page.goto(f"/responses/{rfi['response_id']}")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("link", name="Market questions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Market questions")
    assert_accessible(page)

    for criterion in CRITERIA:
        part = page.locator(f"#market-{criterion}")
        part.get_by_label("Yes", exact=True).check()
        part.get_by_label("How many hours would it take you").fill("12,5")
    monitoring = page.locator("#market-monitoring")
    monitoring.get_by_label("Planned by a date", exact=True).check()
    monitoring.get_by_label("How many hours would it take you").fill("-3")
    page.get_by_role("button", name="Save draft").click()

    summary = error_summary(page)
    expect(summary).to_contain_text("Enter the date by which you plan to meet it.")
    expect(summary).to_contain_text("Enter a number of hours from 0 to 10000.")
    assert_accessible(page)

    later = (datetime.now(UTC).date() + timedelta(days=120)).isoformat()
    monitoring.get_by_label("Planned by", exact=True).fill(later)
    monitoring.get_by_label("How many hours would it take you").fill("40")
    monitoring.get_by_label("Comment").fill("Audits start next year.")
    page.get_by_role("button", name="Save and return to the overview").click()
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    expect(page.get_by_text("4 of 4 required answered")).to_be_visible()

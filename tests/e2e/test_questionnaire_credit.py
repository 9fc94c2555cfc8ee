"""An answer that satisfies later questions hides them as it is chosen, in the browser, and
shows the definition's note in their place; another answer asks them again."""

import pytest
from playwright.sync_api import expect

from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in
from tests.fixtures.builders import make_org, make_round, make_user, publish_version, response_of

pytestmark = pytest.mark.browser


@pytest.fixture
def credit(live_server):
    with live_server.db():
        admin = make_user(make_org(OrgKind.BUYER), Role.BUYER_ADMIN)
        org = make_org(OrgKind.RESELLER)
        owner = make_user(org, Role.SUPPLIER_OWNER)
        version = publish_version(1, "credit")
        round_ = make_round(version, [org], opened_by=admin, title="Minerals 2027")
        return {"email": owner.email, "response_id": response_of(round_, org).id}


def test_the_satisfying_answer_hides_the_credited_questions_as_it_is_chosen(
    page, live_server, credit
):
    sign_in(page, credit["email"])
    page.goto(f"/responses/{credit['response_id']}")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("link", name="Minerals").click()
    note = page.get_by_text("TCO Certified covers the minerals questions.")
    policy = page.locator("#question-policy_exists")
    expect(policy).to_be_visible()
    expect(note).to_be_hidden()

    page.get_by_label("Generation 8 or later", exact=True).check()
    expect(policy).to_be_hidden()
    expect(note).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Generation 7", exact=True).check()
    expect(policy).to_be_visible()
    expect(note).to_be_hidden()
    page.get_by_label("Generation 8 or later", exact=True).check()
    page.get_by_role("button", name="Save and go to the next section").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Due diligence")
    expect(page.locator("#question-due_diligence")).to_be_hidden()
    expect(page.locator("#question-grievance")).to_be_visible()

"""A supplier fills a questionnaire in the browser: draft, reload, linked errors, submit,
and the next version pre-filled. axe checks every page, in English and in Swedish."""

import time

import pytest
from playwright.sync_api import expect

from portal.auth.models import User
from portal.extensions import db
from portal.orgs.models import Organisation, OrgKind
from portal.questionnaires.models import Answer
from portal.roles import Role
from tests.e2e.conftest import assert_accessible, sign_in
from tests.fixtures.builders import (
    make_org,
    make_round,
    make_user,
    publish_version,
    response_of,
)
from tests.fixtures.web import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def supplier(live_server):
    with live_server.db():
        buyer = make_org(OrgKind.BUYER)
        admin = make_user(buyer, Role.BUYER_ADMIN)
        org = make_org(OrgKind.RESELLER)
        owner = make_user(org, Role.SUPPLIER_OWNER)
        v1 = publish_version(1)
        first = make_round(v1, [org], opened_by=admin, title="Market dialogue 2027")
        return {
            "org_id": org.id,
            "email": owner.email,
            "admin_id": admin.id,
            "response_id": response_of(first, org).id,
        }


def _answer(live_server, response_id, key):
    with live_server.db() as session:
        answer = session.scalar(
            db.select(Answer).where(Answer.response_id == response_id, Answer.question_key == key)
        )
        return None if answer is None else answer.value


def test_fill_save_reload_fix_submit_and_carry_over(page, live_server, supplier):
    sign_in(page, supplier["email"])
    page.get_by_role("navigation").get_by_role("link", name="Questionnaires").click()
    assert_accessible(page)
    page.get_by_role("link", name="Market dialogue 2027").click()
    page.get_by_role("button", name="Start").click()
    assert_accessible(page)
    page.get_by_role("link", name="Basics").click()
    assert_accessible(page)

    # A condition shows its question as soon as it is met.
    policy_url = page.get_by_label("Link to the policy")
    expect(policy_url).to_be_hidden()
    page.get_by_role("group", name="Do you have a policy?").get_by_label("Yes").check()
    expect(policy_url).to_be_visible()
    page.get_by_label("Contact person").fill("Eva Berg")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("Your answers are saved.")

    page.reload()
    expect(page.get_by_label("Contact person")).to_have_value("Eva Berg")
    expect(policy_url).to_be_visible()

    # Submit with required answers missing: a summary links to each field.
    page.goto(f"/responses/{supplier['response_id']}")
    page.get_by_role("button", name="Submit the response").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    assert_accessible(page)
    summary.get_by_role("link", name="Link to the policy: answer this question.").click()
    expect(page.get_by_label("Link to the policy")).to_be_focused()
    page.keyboard.type("https://example.com/policy.pdf")
    page.get_by_label("Number of workers").fill("2 400")
    page.get_by_role("button", name="Save and go to the next section").click()
    page.get_by_role("group", name="Methods").get_by_label("Dialogue").check()
    page.get_by_role("button", name="Save and return to the overview").click()
    page.get_by_role("button", name="Submit the response").click()
    expect(page.get_by_role("status").first).to_contain_text("has been submitted")
    assert _answer(live_server, supplier["response_id"], "workers") == 2400

    # Version 2 opens: the supplier starts it from the answers above.
    with live_server.db():
        v2 = publish_version(2)
        org = db.session.get(Organisation, supplier["org_id"])
        admin = db.session.get(User, supplier["admin_id"])
        new_id = response_of(make_round(v2, [org], opened_by=admin, title="Follow-up 2028"), org).id
    page.goto("/responses")
    page.get_by_role("link", name="Follow-up 2028").click()
    expect(page.get_by_label("Start from the answers of our earlier response")).to_be_checked()
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("status").first).to_contain_text("answers were carried over")
    page.get_by_role("link", name="what changed between the versions").click()
    expect(page.get_by_text("Reworded")).to_be_visible()
    assert_accessible(page)
    page.go_back()
    page.get_by_role("link", name="Basics").click()
    expect(page.get_by_label("Number of workers in final assembly")).to_have_value("2400")
    expect(page.get_by_text("Please confirm:")).to_be_visible()
    assert_accessible(page)
    assert _answer(live_server, new_id, "has_policy") == "yes"


def test_the_draft_saves_itself_and_nothing_is_lost_on_leaving(page, live_server, supplier):
    sign_in(page, supplier["email"])
    page.goto(f"/responses/{supplier['response_id']}")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("link", name="Basics").click()
    # The page's script starts once the page has loaded; a person types only after that.
    page.wait_for_load_state("load")
    page.get_by_label("Contact person").fill("Autosaved Person")
    expect(page.get_by_role("status").last).to_contain_text("Draft saved at", timeout=8000)
    assert _answer(live_server, supplier["response_id"], "name") == "Autosaved Person"

    # Leave straight after typing: the page hands the change to the browser as it goes.
    page.get_by_label("Contact person").fill("Typed just before leaving")
    page.goto(f"/responses/{supplier['response_id']}")
    deadline = time.monotonic() + 5
    while (
        _answer(live_server, supplier["response_id"], "name") != "Typed just before leaving"
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert _answer(live_server, supplier["response_id"], "name") == "Typed just before leaving"


def test_a_save_waits_for_the_autosave_under_way(page, live_server, supplier):
    """An autosave still on its way when the person presses Save must not reach the server
    after the Save and overwrite it: the Save is sent once the autosave has answered."""
    sign_in(page, supplier["email"])
    page.goto(f"/responses/{supplier['response_id']}")
    page.get_by_role("button", name="Start").click()
    page.get_by_role("link", name="Basics").click()
    page.wait_for_load_state("load")
    held = []

    def hold(route):
        held.append(route)

    page.route("**/autosave", hold)
    page.get_by_label("Contact person").fill("Older, autosaved")
    deadline = time.monotonic() + 8
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert held, "the page did not autosave"
    sent = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.method)
            if "/sections/" in request.url and not request.url.endswith("/autosave")
            else None
        ),
    )
    page.get_by_label("Contact person").fill("Newer, saved")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_timeout(700)
    assert "POST" not in sent, "the Save went out while the autosave was still under way"
    held[0].continue_()
    expect(page.get_by_role("status").first).to_contain_text("Your answers are saved.")
    assert "POST" in sent
    assert _answer(live_server, supplier["response_id"], "name") == "Newer, saved"
    page.reload()
    expect(page.get_by_label("Contact person")).to_have_value("Newer, saved")


def test_questionnaire_pages_in_swedish(page_sv, live_server, supplier):
    page_sv.goto("/login")
    page_sv.get_by_label("E-postadress").fill(supplier["email"])
    page_sv.get_by_label("Lösenord", exact=True).fill(DEFAULT_PASSWORD)
    page_sv.get_by_role("button", name="Logga in").click()
    page_sv.goto(f"/responses/{supplier['response_id']}")
    assert_accessible(page_sv)
    page_sv.get_by_role("button", name="Starta").click()
    page_sv.get_by_role("link", name="Grunder").click()
    expect(page_sv.locator("html")).to_have_attribute("lang", "sv")
    expect(page_sv.get_by_label("Antal anställda")).to_be_visible()
    assert_accessible(page_sv)

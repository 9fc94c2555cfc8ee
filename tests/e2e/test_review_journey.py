"""A reviewer grades in the browser, asks for clarification, the supplier answers, the
reviewer accepts, and the score is shown."""

import pyotp
import pytest
from playwright.sync_api import expect

from portal.auth.models import Role
from portal.orgs.models import OrgKind
from portal.questionnaires.services import start, submit
from tests.e2e.conftest import assert_accessible
from tests.fixtures.builders import (
    make_answer,
    make_org,
    make_round,
    make_user,
    publish_version,
    response_of,
)
from tests.fixtures.web import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, email, secret=None):
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if secret:
        page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_grade_clarify_answer_accept(page, chromium, live_server):
    with live_server.db():
        buyer = make_org(OrgKind.BUYER)
        reviewer = make_user(buyer, Role.REVIEWER)
        org = make_org(OrgKind.RESELLER, name="Review Journey AB")
        owner = make_user(org, Role.SUPPLIER_OWNER)
        response = response_of(
            make_round(publish_version(1), [org], opened_by=reviewer, title="Tender 2027"), org
        )
        start(response, user=owner, carry_from=None)
        make_answer(response, "has_policy", "yes", user=owner)
        make_answer(response, "policy_url", "https://example.com/p.pdf", user=owner)
        make_answer(response, "workers", 12, user=owner)
        make_answer(response, "methods", ["dialogue"], user=owner)
        assert submit(response, user=owner) == []
        ids = {
            "reviewer": (reviewer.email, reviewer.totp_secret),
            "owner": owner.email,
            "response": response.id,
        }

    _sign_in(page, *ids["reviewer"])
    page.get_by_role("navigation").get_by_role("link", name="Review").click()
    page.get_by_role("link", name="Review Journey AB").click()
    assert_accessible(page)
    policy = page.locator("#review-has_policy")
    policy.get_by_role("radio", name="2 – Yes").check()
    policy.get_by_label("Comment to the supplier").fill("Who adopted the policy, and when?")
    policy.get_by_label("Ask the supplier about this answer").check()
    page.get_by_role("button", name="Ask for clarification on the ticked answers").click()
    expect(page.get_by_role("status").first).to_contain_text("The questions have been sent")

    supplier_context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    supplier = supplier_context.new_page()
    _sign_in(supplier, ids["owner"])
    supplier.goto(f"/responses/{ids['response']}/sections/basics")
    expect(supplier.get_by_text("Who adopted the policy, and when?")).to_be_visible()
    supplier.get_by_label("Your reply to the region").fill("The board, on 3 March 2026.")
    supplier.get_by_role("button", name="Save and return to the overview").click()
    assert_accessible(supplier)
    supplier.get_by_role("button", name="Submit the response").click()
    expect(supplier.get_by_role("status").first).to_contain_text("has been submitted")
    supplier_context.close()

    page.reload()
    expect(page.get_by_text("The board, on 3 March 2026.")).to_be_visible()
    page.locator("#review-methods").get_by_role("radio", name="1 – Dialogue only").check()
    page.get_by_role("button", name="Accept the response").click()
    expect(page.get_by_role("status").first).to_contain_text("award points")
    expect(page.get_by_role("table", name="Score")).to_contain_text("11.00")
    assert_accessible(page)

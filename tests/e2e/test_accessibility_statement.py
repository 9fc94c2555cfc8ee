"""The accessibility statement and its problem report, by keyboard, in both languages."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_a_visitor_reports_a_problem(page, live_server):
    live_server.outbox.clear()
    page.goto("/login")
    page.get_by_role("link", name="Accessibility statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")
    assert_accessible(page)

    page.get_by_role("button", name="Send the report").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Describe the problem.")
    assert_accessible(page)
    summary.get_by_role("link", name="Describe the problem.").click()
    expect(page.get_by_label("What is the problem?")).to_be_focused()

    page.keyboard.type("The date picker cannot be used with a screen reader.")
    page.get_by_label("Which page or part of the portal?").fill("/account/")
    page.get_by_label("Your e-mail address (if you want an answer)").fill("anna@example.com")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("status")).to_contain_text("Your report has been sent")
    [message] = live_server.mail_to(live_server.app.config["ACCESSIBILITY_CONTACT"])
    assert message["To"] == live_server.app.config["ACCESSIBILITY_CONTACT"]
    assert "The date picker cannot be used" in message.get_content()
    assert "anna@example.com" in message.get_content()


def test_the_statement_in_swedish(page_sv):
    page_sv.goto("/accessibility")
    expect(page_sv.locator("html")).to_have_attribute("lang", "sv")
    expect(page_sv.get_by_role("heading", level=1)).to_have_text("Tillgänglighetsredogörelse")
    assert_accessible(page_sv)

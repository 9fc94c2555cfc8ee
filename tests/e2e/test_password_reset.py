"""Choosing a new password through an e-mailed link, in English and in Swedish."""

import re
from pathlib import Path

import pytest
from babel.support import Translations
from playwright.sync_api import expect

import portal
from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible
from tests.e2e.conftest import error_summary as _error_summary
from tests.e2e.conftest import sign_in_with_password as _sign_in_with_password
from tests.e2e.conftest import status as _status
from tests.fixtures.builders import make_org, make_user
from tests.fixtures.web import DEFAULT_PASSWORD, link_in

pytestmark = pytest.mark.browser

#: What follows the page's own name in every <title>.
SITE = " \N{EN DASH} Fair ICT supplier portal"

NEW_PASSWORD = "amber lantern over the fjord"


def _reset_link(live_server, email: str) -> str:
    messages = live_server.mail_to(email)
    assert len(messages) == 1, [m["To"] for m in live_server.outbox]
    return link_in(messages[0], "/password/reset/")


def test_supplier_chooses_a_new_password_through_the_emailed_link(page, live_server):
    with live_server.db():
        supplier = make_org(OrgKind.RESELLER, name="Delta Devices AB")
        email = make_user(supplier, Role.SUPPLIER_MEMBER).email

    page.goto("/login")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgotten password")
    assert_accessible(page)

    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(_status(page)).to_have_text(
        f"If {email} belongs to an account, a link to choose a new password is on its way. "
        "It works for one hour."
    )
    assert_accessible(page)

    link = _reset_link(live_server, email)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    expect(page.get_by_role("main")).to_contain_text(f"For the account {email}.")
    assert_accessible(page)

    # The repeat does not match: the error is linked to the repeat field.
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD + "s")
    page.get_by_role("button", name="Save the new password").click()
    expect(page).to_have_title(f"Error: Choose a new password{SITE}")
    summary = _error_summary(page)
    expect(summary).to_be_focused()
    repeat = page.get_by_label("Repeat the new password")
    expect(repeat).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    summary.get_by_role("link", name="The two passwords are not the same.").click()
    expect(repeat).to_be_focused()

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    repeat.fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(_status(page)).to_have_text(
        "Your password has been changed. Sign in with the new password."
    )

    _sign_in_with_password(page, email, NEW_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/supplier")
    expect(page.get_by_role("heading", level=1)).to_have_text("Delta Devices AB")
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()

    # The old password no longer works.
    _sign_in_with_password(page, email, DEFAULT_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/login")
    expect(_error_summary(page)).to_contain_text(
        "The e-mail address or the password is not correct."
    )

    # The link worked once.
    response = page.goto(link)
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("The link does not work")
    expect(page.get_by_role("link", name="Ask for a new link")).to_have_attribute(
        "href", "/password/forgot"
    )
    assert_accessible(page)


def _swedish(msgid: str) -> str:
    """The Swedish text for an English message, from the compiled catalogue."""
    catalogue = Translations.load(Path(portal.__file__).parent / "translations", ["sv"])
    text = catalogue.gettext(msgid)
    assert text != msgid, (
        f"the Swedish catalogue has no translation of {msgid!r} "
        "(is messages.po translated and compiled?)"
    )
    return text


def test_sign_in_and_forgotten_password_pages_in_swedish(page_sv):
    page = page_sv
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text(_swedish("Sign in"))
    expect(page.get_by_role("button", name="In English")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=_swedish("Forgotten your password?")).click()
    expect(page).to_have_url(re.compile(r"/password/forgot$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(_swedish("Forgotten password"))
    expect(page.get_by_label(_swedish("E-mail address"))).to_be_visible()
    assert_accessible(page)

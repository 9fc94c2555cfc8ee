"""Signing in with a second factor in the browser: forced set-up of an authenticator app,
recovery codes, signing in with a code or a recovery code, and the keyboard alone."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from portal.auth import mfa
from portal.auth.models import User
from portal.extensions import db
from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.e2e.conftest import assert_accessible
from tests.e2e.conftest import error_summary as _error_summary
from tests.e2e.conftest import sign_in_with_password as _sign_in_with_password
from tests.fixtures.builders import make_org, make_user
from tests.fixtures.web import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

#: What follows the page's own name in every <title>.
SITE = " \N{EN DASH} Fair ICT supplier portal"


def _wrong_code(secret: str) -> str:
    """Six digits that no step in the accepted window (now and one step either side) gives."""
    totp, now = pyotp.TOTP(secret), time.time()
    valid = {totp.at(now + offset * 30) for offset in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def _allow_new_code(user_id: int, live_server) -> None:
    """Every sign-in of a test may fall in the same 30-second step, and a step is never
    accepted twice: forget the step used, as PortalClient.login does."""
    with live_server.db():
        db.session.get(User, user_id).totp_last_step = None


def test_reviewer_sets_up_two_factor_then_signs_in_with_a_code(page, live_server):
    with live_server.db():
        buyer = make_org(OrgKind.BUYER, name="Region Testland")
        reviewer = make_user(buyer, Role.REVIEWER, totp=False, full_name="Rita Reviewer")
        user_id, email = reviewer.id, reviewer.email

    # The sign-in page, and the same page after sending it empty.
    page.goto("/login")
    expect(page).to_have_title(f"Sign in{SITE}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible(page)

    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(f"Error: Sign in{SITE}")
    summary = _error_summary(page)
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Enter an e-mail address.")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter your password.")).to_be_visible()
    assert_accessible(page)

    # Right password, no authenticator yet: the role requires one, so set-up is forced.
    _sign_in_with_password(page, email)
    expect(page).to_have_url(f"{live_server.url}/login/setup")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.get_by_role("img", name="QR code for the authenticator app")).to_be_visible()
    assert_accessible(page)

    secret = "".join(page.locator("#totp-secret").inner_text().split())
    assert len(secret) == 32
    page.get_by_label("Six-digit code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.get_by_role("status")).to_have_text("Two-factor sign-in is on.")
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        mfa.RECOVERY_CODE_COUNT
    )
    assert_accessible(page)

    page.get_by_role("link", name="I have saved my codes \N{EN DASH} continue").click()
    expect(page).to_have_url(f"{live_server.url}/review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Suppliers")
    assert_accessible(page)

    with live_server.db():
        assert db.session.get(User, user_id).totp_secret == secret

    # Sign out from the header, and sign in again with a code from the app.
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("status")).to_have_text("You have signed out.")

    _allow_new_code(user_id, live_server)
    _sign_in_with_password(page, email)
    expect(page).to_have_url(f"{live_server.url}/login/code")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your sign-in code")
    assert_accessible(page)

    # A wrong code: the summary names the problem and its link puts focus in the field.
    code_field = page.get_by_label("Code", exact=True)
    code_field.fill(_wrong_code(secret))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(f"Error: Enter your sign-in code{SITE}")
    summary = _error_summary(page)
    expect(summary).to_be_focused()
    error_link = summary.get_by_role(
        "link", name="That code is not correct, or it has already been used."
    )
    expect(code_field).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    error_link.click()
    expect(code_field).to_be_focused()

    code_field.fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{live_server.url}/review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Suppliers")


def test_buyer_admin_signs_in_with_a_recovery_code_once(page, live_server):
    with live_server.db():
        buyer = make_org(OrgKind.BUYER, name="Region Testland")
        admin = make_user(buyer, Role.BUYER_ADMIN, full_name="Ada Admin")
        assert admin.has_totp
        codes = mfa.new_recovery_codes(admin)
        email = admin.email

    page.goto("/login")
    _sign_in_with_password(page, email)
    expect(page).to_have_url(f"{live_server.url}/login/code")
    page.get_by_label("Code", exact=True).fill(codes[3])
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")
    expect(page.get_by_role("status")).to_have_text(
        f"You signed in with a recovery code. {mfa.RECOVERY_CODE_COUNT - 1} codes are left."
    )
    assert_accessible(page)

    # The same recovery code does not work a second time.
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
    _sign_in_with_password(page, email)
    page.get_by_label("Code", exact=True).fill(codes[3])
    page.get_by_role("button", name="Continue").click()
    expect(
        _error_summary(page).get_by_role(
            "link", name="That code is not correct, or it has already been used."
        )
    ).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/login/code")


def test_sign_in_with_the_keyboard_alone(page, live_server):
    with live_server.db():
        supplier = make_org(OrgKind.RESELLER, name="Keyboard Data AB")
        email = make_user(supplier, Role.SUPPLIER_OWNER).email

    page.goto("/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()

    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail address")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")

    # The browser keeps the #main of the login page's address across the redirects.
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/supplier(#main)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Keyboard Data AB")

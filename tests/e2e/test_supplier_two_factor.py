"""In the browser: a buyer admin requires two-factor sign-in of supplier users, who are then
led to set it up; and an account others have been guessing at still lets its owner in with the
password and a code together."""

import pyotp
import pytest
from playwright.sync_api import expect

from portal.auth.models import User
from portal.extensions import db
from portal.orgs.models import Organisation, OrgKind
from portal.roles import Role
from tests.e2e.conftest import (
    assert_accessible,
    error_summary,
    sign_in,
    sign_in_with_password,
    status,
)
from tests.fixtures.builders import make_org, make_user
from tests.fixtures.web import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def test_an_admin_requires_two_factor_sign_in_of_suppliers(page, live_server, chromium):
    with live_server.db():
        buyer = make_org(OrgKind.BUYER)
        admin = make_user(buyer, Role.BUYER_ADMIN, full_name="Maria Lind")
        supplier = make_user(make_org(OrgKind.RESELLER), Role.SUPPLIER_OWNER)
        admin_ids = (admin.email, admin.totp_secret)
        buyer_id, supplier_email = buyer.id, supplier.email

    try:
        sign_in(page, *admin_ids, live_server=live_server)
        page.goto(f"/admin/organisations/{buyer_id}")
        section = page.get_by_role("region", name="Two-factor sign-in for suppliers")
        box = section.get_by_label("Require two-factor sign-in of every supplier user")
        expect(box).not_to_be_checked()
        assert_accessible(page)
        box.check()
        section.get_by_role("button", name="Save the two-factor setting").click()
        expect(status(page)).to_contain_text("Supplier users must now use two-factor sign-in")
        expect(box).to_be_checked()
        assert_accessible(page)

        other = chromium.new_context(base_url=live_server.url, locale="en-GB")
        try:
            supplier_page = other.new_page()
            sign_in_with_password(supplier_page, supplier_email)
            expect(supplier_page.get_by_role("heading", level=1)).to_have_text(
                "Set up two-factor sign-in"
            )
            expect(supplier_page.get_by_role("main")).to_contain_text(
                "The region requires every supplier user to sign in with a code"
            )
            assert_accessible(supplier_page)
        finally:
            other.close()
    finally:
        with live_server.db():  # the browser tests share one database
            db.session.get(Organisation, buyer_id).is_mfa_required_for_suppliers = False


def test_the_password_and_a_code_get_in_while_others_guess(page, live_server, monkeypatch):
    monkeypatch.setitem(live_server.app.config, "LOGIN_RATE_LIMIT_ACCOUNT", "2 per minute")
    with live_server.db():
        admin = make_user(make_org(OrgKind.BUYER), Role.BUYER_ADMIN)
        user_id, email, secret = admin.id, admin.email, admin.totp_secret

    for guess in ("first guess", "second guess"):
        sign_in_with_password(page, email, guess)
    sign_in_with_password(page, email)
    summary = error_summary(page)
    expect(summary).to_contain_text("Too many attempts to sign in to this account")
    code = page.get_by_label("Code from your authenticator app")
    expect(code).to_be_visible()
    assert_accessible(page)

    with live_server.db():
        db.session.get(User, user_id).totp_last_step = None
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    code.fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")

"""A buyer admin can require two-factor sign-in of every supplier user (off by default).

OWASP ASVS 5.0 V6.3.3 (multi-factor authentication where the risk calls for it).
"""

import re

import pyotp

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.orgs.models import Organisation
from portal.roles import Role
from tests.fixtures.builders import make_user
from tests.fixtures.web import DEFAULT_PASSWORD


def _password_step(client, user):
    return client.submit("/login", {"email": user.email, "password": DEFAULT_PASSWORD})


def _set_requirement(client, buyer, required: bool):
    data = {"required": "y"} if required else {}
    return client.submit(
        f"/admin/organisations/{buyer.id}/supplier-two-factor",
        data,
        page=f"/admin/organisations/{buyer.id}",
    )


def test_off_by_default_suppliers_sign_in_with_a_password(client, buyer, owner_a):
    assert db.session.get(Organisation, buyer.id).is_mfa_required_for_suppliers is False
    assert _password_step(client, owner_a).headers["Location"] == "/"


def test_when_required_suppliers_without_an_app_set_one_up_at_their_next_sign_in(
    client, make_client, buyer, admin, owner_a, member_a
):
    client.login(admin)
    page = client.get(f"/admin/organisations/{buyer.id}").get_data(as_text=True)
    assert "Require two-factor sign-in of every supplier user" in page
    response = _set_requirement(client, buyer, True)
    assert response.headers["Location"] == f"/admin/organisations/{buyer.id}"
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Supplier users must now use two-factor sign-in" in shown
    assert "checked" in re.search(r'<input[^>]*name="required"[^>]*>', shown).group(0)

    supplier = make_client()
    assert _password_step(supplier, member_a).headers["Location"] == "/login/setup"
    assert supplier.get("/factories").headers["Location"].startswith("/login")  # not in yet
    setup = supplier.get("/login/setup").get_data(as_text=True)
    assert "The region requires every supplier user to sign in with a code" in setup

    log = client.get("/admin/audit?action=organisation.supplier_mfa").get_data(as_text=True)
    assert "Ada Admin required two-factor sign-in of every supplier user." in log
    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "organisation.supplier_mfa")
    ).one()
    assert event.details == {"required": True}

    # Optional again: suppliers sign in with their password alone.
    _set_requirement(client, buyer, False)
    assert _password_step(make_client(), owner_a).headers["Location"] == "/"
    log = client.get("/admin/audit?action=organisation.supplier_mfa").get_data(as_text=True)
    assert "Ada Admin made two-factor sign-in optional for supplier users." in log


def test_while_required_a_supplier_cannot_turn_two_factor_off(client, buyer, supplier_a):
    db.session.get(Organisation, buyer.id).is_mfa_required_for_suppliers = True
    db.session.commit()
    owner = make_user(supplier_a, Role.SUPPLIER_OWNER, totp=True)
    client.login(owner)
    assert "Turn off two-factor" not in client.get("/account/").get_data(as_text=True)
    response = client.submit(
        "/account/two-factor/off",
        {"off-password": DEFAULT_PASSWORD, "off-code": pyotp.TOTP(owner.totp_secret).now()},
        page="/account/",
    )
    assert response.status_code == 403
    assert owner.totp_secret is not None


def test_only_buyer_admins_change_the_requirement(client, make_client, buyer, reviewer, owner_a):
    client.login(reviewer)
    assert _set_requirement(client, buyer, True).status_code == 403
    supplier = make_client()
    supplier.login(owner_a)
    assert _set_requirement(supplier, buyer, True).status_code == 403
    assert db.session.get(Organisation, buyer.id).is_mfa_required_for_suppliers is False


def test_the_requirement_belongs_to_the_buyer_only(client, admin, supplier_a):
    client.login(admin)
    page = client.get(f"/admin/organisations/{supplier_a.id}").get_data(as_text=True)
    assert "Require two-factor sign-in" not in page
    response = client.submit(
        f"/admin/organisations/{supplier_a.id}/supplier-two-factor",
        {"required": "y"},
        page=f"/admin/organisations/{supplier_a.id}",
    )
    assert response.status_code == 404

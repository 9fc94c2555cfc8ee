"""Defences found in review: links never follow the Host header, real client addresses
behind a proxy, no account probing through invitations, factor changes end other sessions,
re-entered passwords are throttled, reset mail cannot flood an inbox.

OWASP ASVS 5.0: V6.3.1 (brute force), V6.3.8 (no user enumeration), V6.4.3 (secure
reset), V7.4.3 (sessions end after a factor change), V8.2.2 (organisations kept apart).
"""

import re

import pyotp

from portal.audit.models import AuditEvent
from portal.auth.models import Invitation, User
from portal.extensions import db
from portal.roles import Role
from tests.fixtures.builders import make_user
from tests.fixtures.database import make_app
from tests.fixtures.web import DEFAULT_PASSWORD, PortalClient


def test_reset_links_use_the_public_address_whatever_the_host_header(client, owner_a, outbox, app):
    client.environ_base["HTTP_HOST"] = "evil.example"
    client.submit("/password/forgot", {"email": owner_a.email})
    body = outbox[0].get_content()
    assert "evil.example" not in body
    assert app.config["PUBLIC_URL"] + "/password/reset/" in body


def test_behind_a_proxy_the_client_address_is_recorded(app, owner_a):
    proxied = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"], PROXY_COUNT=1, ARGON2_PROFILE="CHEAPEST"
    )
    proxied.test_client_class = PortalClient
    client = proxied.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.7"
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    client.submit("/login", {"email": owner_a.email, "password": "wrong password"})
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "auth.login_failed"))
    assert event.ip == "203.0.113.7"


def test_a_supplier_cannot_find_out_who_has_an_account(client, owner_a, reviewer, outbox):
    client.login(owner_a)
    response = client.submit(
        "/team/invite", {"email": reviewer.email, "role": "supplier_member"}, page="/team/"
    )
    assert response.status_code == 302  # the same answer as for a new address
    assert outbox == []
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 0


def test_inviting_an_address_leaves_other_organisations_invitations_alone(
    client, make_client, admin, buyer, owner_a, outbox
):
    staff = make_client()
    staff.login(admin)
    staff.submit(
        f"/admin/organisations/{buyer.id}/invite",
        {"email": "new.reviewer@example.com", "role": "reviewer"},
        page=f"/admin/organisations/{buyer.id}",
    )
    client.login(owner_a)
    client.submit(
        "/team/invite",
        {"email": "new.reviewer@example.com", "role": "supplier_member"},
        page="/team/",
    )
    buyer_invitation = db.session.scalar(
        db.select(Invitation).where(Invitation.organisation_id == buyer.id)
    )
    assert buyer_invitation.revoked_at is None


def test_a_removed_users_invitations_stop_working(client, make_client, owner_a, supplier_a, outbox):
    second_owner = make_user(supplier_a, Role.SUPPLIER_OWNER)
    other = make_client()
    other.login(second_owner)
    other.submit(
        "/team/invite", {"email": "friend@example.com", "role": "supplier_owner"}, page="/team/"
    )
    client.login(owner_a)
    client.submit(f"/team/members/{second_owner.id}/remove", page="/team/")
    assert db.session.scalar(db.select(Invitation)).revoked_at is not None


def test_turning_on_two_factor_ends_other_sessions(client, make_client, owner_a):
    elsewhere = make_client()
    elsewhere.login(owner_a)
    client.login(owner_a)
    html = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    client.submit(
        "/account/two-factor", {"password": DEFAULT_PASSWORD, "code": pyotp.TOTP(secret).now()}
    )
    assert client.get("/account/").status_code == 200
    assert elsewhere.get("/account/").headers["Location"].startswith("/login")


def test_re_entered_passwords_are_throttled(client, owner_a, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_ACCOUNT", "3 per minute")
    client.login(owner_a)
    statuses = [
        client.submit(
            "/account/password",
            {
                "pw-current": f"guess {n}",
                "pw-password": "a brand new passphrase",
                "pw-confirm": "a brand new passphrase",
            },
            page="/account/",
        ).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_reset_mail_to_one_address_is_limited(client, owner_a, outbox, app, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_MAILS_PER_ADDRESS", "2 per hour")
    for _ in range(4):
        response = client.submit("/password/forgot", {"email": owner_a.email})
        assert response.headers["Location"] == "/login"  # the answer never changes
    assert len(outbox) == 2


def test_signing_in_does_not_make_an_admins_edit_look_stale(client, make_client, admin, reviewer):
    client.login(admin)
    form_page = client.get(f"/admin/users/{reviewer.id}").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form_page
    make_client().login(reviewer)  # writes the reviewer's row (TOTP step)
    response = client.submit(
        f"/admin/users/{reviewer.id}",
        {"full_name": "Rita Renamed", "role": "reviewer", "version": "1"},
    )
    assert response.status_code == 302
    assert db.session.get(User, reviewer.id).full_name == "Rita Renamed"


def test_pages_with_several_forms_repeat_no_id(client, owner_a, member_a):
    client.login(owner_a)
    for path in ("/team/", "/account/"):
        html = client.get(path).get_data(as_text=True)
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)

"""Signing in and out, and sessions that end when they should.

OWASP ASVS 5.0: V6.3.8 (no user enumeration), V7.2.1 and V7.2.4 (server-side session
tokens, new token at sign-in), V7.3.1 and V7.3.2 (idle and absolute timeouts), V7.4.1
(logout invalidates), V7.4.2 (deactivation ends sessions), V7.4.3 (password change ends
other sessions), V3.3.1/V3.3.2/V3.3.4 (cookie attributes), V16.3.1 (authentication logged).
"""

from datetime import timedelta

import itsdangerous.timed
import pytest

from portal.audit.models import AuditEvent
from portal.auth.models import UserSession
from portal.config import ProductionConfig
from portal.extensions import db
from portal.timeutil import utcnow
from tests.fixtures.web import DEFAULT_PASSWORD

WRONG = "The e-mail address or the password is not correct."


def _events(action):
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_supplier_signs_in_and_lands_on_the_supplier_start_page(client, owner_a):
    response = client.submit(
        "/login", {"email": "  " + owner_a.email.upper(), "password": DEFAULT_PASSWORD}
    )
    assert response.headers["Location"] == "/"
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/supplier"
    assert owner_a.organisation.name in page.get_data(as_text=True)
    assert [e.actor_id for e in _events("auth.login")] == [owner_a.id]


def test_each_role_has_its_own_start_page(make_client, owner_a, member_a, reviewer, admin):
    for user, path in [
        (owner_a, "/supplier"),
        (member_a, "/supplier"),
        (reviewer, "/review"),
        (admin, "/admin/"),
    ]:
        client = make_client()
        client.login(user)
        assert client.get("/", follow_redirects=True).request.path == path


def test_unknown_address_and_wrong_password_get_the_same_answer(client, owner_a):
    unknown = client.submit("/login", {"email": "nobody@example.com", "password": "whatever1"})
    wrong = client.submit("/login", {"email": owner_a.email, "password": "not-the-password"})
    assert unknown.status_code == wrong.status_code == 200
    assert WRONG in unknown.get_data(as_text=True)
    assert WRONG in wrong.get_data(as_text=True)
    failed = _events("auth.login_failed")
    assert [e.details["email"] for e in failed] == ["nobody@example.com", owner_a.email]
    assert failed[1].actor_id == owner_a.id
    assert failed[0].actor_id is None


def test_a_deactivated_user_cannot_sign_in(client, owner_a, member_a, app_context):
    member_a.is_active = False
    db.session.commit()
    response = client.submit("/login", {"email": member_a.email, "password": DEFAULT_PASSWORD})
    assert WRONG in response.get_data(as_text=True)


def test_session_cookie_attributes(client, owner_a):
    response = client.submit("/login", {"email": owner_a.email, "password": DEFAULT_PASSWORD})
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("portal_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_cookies_are_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.SESSION_COOKIE_NAME.startswith("__Host-")
    assert ProductionConfig.HSTS is True


def test_signing_in_starts_a_new_session(client, owner_a):
    client.get("/login")
    before = client.get_cookie("portal_session").value
    client.login(owner_a)
    assert client.get_cookie("portal_session").value != before
    assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 1


def _replay(make_client, cookie_value):
    thief = make_client()
    thief.set_cookie("portal_session", cookie_value)
    return thief.get("/account/")


def test_a_cookie_replayed_after_sign_out_gets_the_login_page(client, make_client, owner_a):
    client.login(owner_a)
    stolen = client.get_cookie("portal_session").value
    assert _replay(make_client, stolen).status_code == 200  # the copy works while signed in
    client.logout()
    response = _replay(make_client, stolen)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert _events("auth.logout")


def test_deactivation_ends_every_session_at_once(client, make_client, owner_a, member_a, admin):
    colleague = make_client()
    colleague.login(member_a)
    assert colleague.get("/team/").status_code == 200
    admin_client = make_client()
    admin_client.login(admin)
    admin_client.submit(
        f"/admin/users/{member_a.id}/deactivate", page=f"/admin/users/{member_a.id}"
    )
    response = colleague.get("/team/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_password_change_ends_other_sessions_but_keeps_this_one(client, make_client, owner_a):
    other_device = make_client()
    other_device.login(owner_a)
    client.login(owner_a)
    response = client.submit(
        "/account/password",
        {
            "pw-current": DEFAULT_PASSWORD,
            "pw-password": "a brand new passphrase",
            "pw-confirm": "a brand new passphrase",
        },
        page="/account/",
    )
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    assert other_device.get("/account/").headers["Location"].startswith("/login")
    assert _events("auth.password_changed")


def test_password_change_needs_the_current_password(client, owner_a):
    client.login(owner_a)
    response = client.submit(
        "/account/password",
        {
            "pw-current": "wrong-password",
            "pw-password": "a brand new passphrase",
            "pw-confirm": "a brand new passphrase",
        },
        page="/account/",
    )
    assert "The current password is not correct." in response.get_data(as_text=True)


def test_idle_session_expires(client, owner_a, monkeypatch, app):
    client.login(owner_a)
    idle = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + idle + 60)
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_idle_timer_restarts_with_each_request(client, owner_a, monkeypatch, app):
    client.login(owner_a)
    idle = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + idle - 60)
    assert client.get("/account/").status_code == 200  # refreshes the cookie
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 2 * idle - 120)
    assert client.get("/account/").status_code == 200


def test_absolute_timeout_ends_even_an_active_session(client, owner_a, app):
    client.login(owner_a)
    hours = app.config["SESSION_ABSOLUTE_HOURS"]
    db.session.execute(
        db.update(UserSession).values(created_at=utcnow() - timedelta(hours=hours, minutes=1))
    )
    db.session.commit()
    assert client.get("/account/").headers["Location"].startswith("/login")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_sign_in_never_redirects_off_site(client, owner_a, target):
    response = client.submit(
        f"/login?next={target}", {"email": owner_a.email, "password": DEFAULT_PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_asked_for(client, owner_a):
    response = client.get("/team/")
    assert response.headers["Location"] == "/login?next=%2Fteam%2F"
    response = client.submit(
        "/login?next=/team/", {"email": owner_a.email, "password": DEFAULT_PASSWORD}
    )
    assert response.headers["Location"] == "/team/"


def test_logout_is_post_only(client, owner_a):
    """Nothing changes state on GET (ASVS V3.5.3)."""
    client.login(owner_a)
    assert client.get("/logout").status_code == 405
    assert client.get("/account/").status_code == 200

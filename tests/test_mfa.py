"""Two-factor sign-in with an authenticator app and one-time recovery codes.

OWASP ASVS 5.0: V6.3.3 (MFA for privileged roles at L2), V6.5.1 (codes usable once),
V6.5.2 (recovery codes stored hashed), V6.5.5 (TOTP lifetime), V6.5.x (TOTP as a factor).
"""

import re
import time

import pyotp

from portal.auth import mfa
from portal.auth.models import RecoveryCode, User
from portal.extensions import db
from portal.roles import Role
from tests.fixtures.builders import make_user
from tests.fixtures.web import DEFAULT_PASSWORD


def _password_step(client, user):
    return client.submit("/login", {"email": user.email, "password": DEFAULT_PASSWORD})


def _shown_secret(html: str) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")


def test_reviewer_without_an_app_must_set_one_up_before_getting_in(client, buyer):
    reviewer = make_user(buyer, Role.REVIEWER, totp=False)
    response = _password_step(client, reviewer)
    assert response.headers["Location"] == "/login/setup"
    assert client.get("/review").headers["Location"].startswith("/login")  # not signed in yet
    secret = _shown_secret(client.get("/login/setup").get_data(as_text=True))
    response = client.submit("/login/setup", {"code": pyotp.TOTP(secret).now()})
    html = response.get_data(as_text=True)
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", html)
    assert len(codes) == mfa.RECOVERY_CODE_COUNT
    assert client.get("/review").status_code == 200
    stored = db.session.get(User, reviewer.id)
    assert stored.totp_secret == secret
    hashes = db.session.scalars(db.select(RecoveryCode.code_hash)).all()
    assert len(hashes) == 10
    assert not set(codes) & set(hashes)


def test_a_wrong_setup_code_keeps_the_same_secret(client, buyer):
    reviewer = make_user(buyer, Role.REVIEWER, totp=False)
    _password_step(client, reviewer)
    first = _shown_secret(client.get("/login/setup").get_data(as_text=True))
    response = client.submit("/login/setup", {"code": "000000"})
    assert "That code is not correct" in response.get_data(as_text=True)
    assert _shown_secret(response.get_data(as_text=True)) == first


def test_staff_with_an_app_need_the_code(client, admin):
    response = _password_step(client, admin)
    assert response.headers["Location"] == "/login/code"
    assert client.get("/admin/").status_code == 302
    wrong = client.submit("/login/code", {"code": "123456"})
    assert "That code is not correct" in wrong.get_data(as_text=True)
    ok = client.submit("/login/code", {"code": pyotp.TOTP(admin.totp_secret).now()})
    assert ok.headers["Location"] == "/"
    assert client.get("/admin/").status_code == 200


def test_a_code_cannot_be_used_twice(client, make_client, admin):
    code = pyotp.TOTP(admin.totp_secret).now()
    _password_step(client, admin)
    assert client.submit("/login/code", {"code": code}).status_code == 302
    other = make_client()
    _password_step(other, admin)
    replay = other.submit("/login/code", {"code": code})
    assert replay.status_code == 200
    assert "already been used" in replay.get_data(as_text=True)


def test_codes_from_a_neighbouring_time_step_are_accepted_but_not_older(app_context):
    secret = pyotp.random_base32()
    now = time.time()
    totp = pyotp.TOTP(secret)
    assert mfa.matching_step(secret, totp.at(now - 30), at=now) is not None
    assert mfa.matching_step(secret, totp.at(now - 90), at=now) is None


def test_a_recovery_code_works_once(client, make_client, admin, app_context):
    codes = mfa.new_recovery_codes(admin)
    db.session.commit()
    _password_step(client, admin)
    response = client.submit("/login/code", {"code": codes[0].upper()})
    assert response.headers["Location"] == "/"
    other = make_client()
    _password_step(other, admin)
    again = other.submit("/login/code", {"code": codes[0]})
    assert again.status_code == 200
    assert mfa.remaining_recovery_codes(admin) == 9


def test_the_second_step_expires(client, admin, monkeypatch):
    _password_step(client, admin)
    real = time.time
    monkeypatch.setattr("portal.auth.routes.time.time", lambda: real() + 301)
    response = client.get("/login/code")
    assert response.headers["Location"] == "/login"


def test_the_code_step_is_throttled_per_account(client, admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_ACCOUNT", "3 per minute")
    _password_step(client, admin)
    statuses = [client.submit("/login/code", {"code": "000000"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_supplier_may_turn_two_factor_on_and_off(client, owner_a):
    client.login(owner_a)
    secret = _shown_secret(client.get("/account/two-factor").get_data(as_text=True))
    refused = client.submit(
        "/account/two-factor", {"password": "not my password", "code": pyotp.TOTP(secret).now()}
    )
    assert "The password is not correct." in refused.get_data(as_text=True)
    shown = client.submit(
        "/account/two-factor", {"password": DEFAULT_PASSWORD, "code": pyotp.TOTP(secret).now()}
    )
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", shown.get_data(as_text=True))
    assert db.session.get(User, owner_a.id).totp_secret == secret
    client.logout()
    assert _password_step(client, owner_a).headers["Location"] == "/login/code"
    client.submit("/login/code", {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    response = client.submit(
        "/account/two-factor/off",
        {"off-password": DEFAULT_PASSWORD, "off-code": codes[0]},
        page="/account/",
    )
    assert response.status_code == 302
    assert db.session.get(User, owner_a.id).totp_secret is None
    assert db.session.scalar(db.select(db.func.count(RecoveryCode.id))) == 0


def test_staff_cannot_turn_two_factor_off(client, reviewer):
    client.login(reviewer)
    assert "Turn off two-factor" not in client.get("/account/").get_data(as_text=True)
    response = client.submit(
        "/account/two-factor/off",
        {"off-password": DEFAULT_PASSWORD, "off-code": "000000"},
        page="/account/",
    )
    assert response.status_code == 403


def test_new_recovery_codes_replace_the_old(client, admin, app_context):
    old = mfa.new_recovery_codes(admin)
    db.session.commit()
    client.login(admin)
    response = client.submit(
        "/account/recovery-codes", {"codes-password": DEFAULT_PASSWORD}, page="/account/"
    )
    new = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.get_data(as_text=True))
    assert len(new) == 10
    assert not set(new) & set(old)
    assert not mfa.use_recovery_code(admin, old[0])

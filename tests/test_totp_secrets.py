"""TOTP secrets are encrypted at rest with rotatable keys from configuration, the secret being
set up never travels in the session cookie, and a code lives at most one step either side.

OWASP ASVS 5.0: V6.5.5 (TOTP lifetime), V6.5.1 (a code works once), V11.7.x / V13.3.x
(secrets encrypted at rest with keys kept apart from the data, and rotated).
"""

import re
import time

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask_migrate import downgrade, upgrade

from portal.auth.models import User
from portal.config import TestConfig
from portal.extensions import db
from portal.roles import Role
from tests.fixtures.builders import make_user
from tests.fixtures.database import database_url, make_app, reset_database
from tests.fixtures.web import DEFAULT_PASSWORD

TEST_KEY = TestConfig.TOTP_ENCRYPTION_KEYS


def _stored(user_id: int) -> dict:
    """The user's secret columns as the database holds them."""
    row = db.session.execute(
        sa.text("SELECT totp_secret, totp_pending_secret FROM users WHERE id = :id"),
        {"id": user_id},
    ).one()
    return {"totp_secret": row[0], "totp_pending_secret": row[1]}


def _shown_secret(html: str) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")


def _session_cookie(app, client) -> tuple[str, dict]:
    """The session cookie as the browser holds it, and what it says once decoded (it is
    signed, not encrypted: anyone holding it can read it)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    return cookie.value, data


def _password_step(client, user):
    return client.submit("/login", {"email": user.email, "password": DEFAULT_PASSWORD})


def test_the_database_never_holds_a_secret_in_plain_text(client, buyer):
    reviewer = make_user(buyer, Role.REVIEWER, totp=False)
    _password_step(client, reviewer)
    secret = _shown_secret(client.get("/login/setup").get_data(as_text=True))
    pending = _stored(reviewer.id)["totp_pending_secret"]
    assert pending is not None
    assert secret not in pending
    assert Fernet(TEST_KEY).decrypt(pending.encode()).decode() == secret

    response = client.submit("/login/setup", {"code": pyotp.TOTP(secret).now()})
    assert "recovery codes" in response.get_data(as_text=True)
    stored = _stored(reviewer.id)
    assert stored["totp_pending_secret"] is None
    assert secret not in stored["totp_secret"]
    assert Fernet(TEST_KEY).decrypt(stored["totp_secret"].encode()).decode() == secret

    # And signing in with a code from the app still works.
    client.logout()
    db.session.execute(db.update(User).where(User.id == reviewer.id).values(totp_last_step=None))
    db.session.commit()
    assert _password_step(client, reviewer).headers["Location"] == "/login/code"
    signed_in = client.submit("/login/code", {"code": pyotp.TOTP(secret).now()})
    assert signed_in.headers["Location"] == "/"
    assert client.get("/review").status_code == 200


def test_the_secret_being_set_up_is_not_in_the_session_cookie(app, client, buyer, owner_a):
    reviewer = make_user(buyer, Role.REVIEWER, totp=False)
    _password_step(client, reviewer)
    secret = _shown_secret(client.get("/login/setup").get_data(as_text=True))
    raw, data = _session_cookie(app, client)
    assert "pending" in data  # the cookie is the one of this sign-in
    assert secret not in raw
    assert secret not in repr(data)
    # A wrong code shows the same secret again: it is kept on the server.
    again = client.submit("/login/setup", {"code": "000000"})
    assert _shown_secret(again.get_data(as_text=True)) == secret

    # The same on the account page, for a supplier turning it on by choice.
    other = app.test_client()
    other.login(owner_a)
    chosen = _shown_secret(other.get("/account/two-factor").get_data(as_text=True))
    raw, data = _session_cookie(app, other)
    assert chosen not in raw
    assert chosen not in repr(data)
    assert _shown_secret(other.get("/account/two-factor").get_data(as_text=True)) == chosen


def test_secrets_survive_a_new_key_and_the_rotation_moves_them_to_it(
    app, client, make_client, buyer, monkeypatch
):
    admin = make_user(buyer, Role.BUYER_ADMIN)  # its secret is encrypted with the test key
    old_token = _stored(admin.id)["totp_secret"]
    new_key = Fernet.generate_key().decode()

    # A new key in front: secrets encrypted with the old one still work.
    monkeypatch.setitem(app.config, "TOTP_ENCRYPTION_KEYS", f"{new_key},{TEST_KEY}")
    client.login(admin)
    assert client.get("/admin/").status_code == 200

    result = app.test_cli_runner().invoke(args=["totp", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert "1 secret(s) now encrypted with the newest key." in result.output
    rotated = _stored(admin.id)["totp_secret"]
    assert rotated != old_token
    assert Fernet(new_key).decrypt(rotated.encode()).decode() == admin.totp_secret
    with pytest.raises(InvalidToken):
        Fernet(TEST_KEY).decrypt(rotated.encode())

    # The old key can now go.
    monkeypatch.setitem(app.config, "TOTP_ENCRYPTION_KEYS", new_key)
    db.session.expire_all()
    make_client().login(db.session.get(User, admin.id))


def test_the_rotation_refuses_when_a_key_is_missing(app, buyer, monkeypatch):
    admin_id = make_user(buyer, Role.BUYER_ADMIN).id
    before = _stored(admin_id)["totp_secret"]
    monkeypatch.setitem(app.config, "TOTP_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    result = app.test_cli_runner().invoke(args=["totp", "rotate-key"])
    assert result.exit_code != 0
    assert "Nothing was changed" in result.output
    assert _stored(admin_id)["totp_secret"] == before


def test_a_code_two_steps_old_is_refused_and_a_code_works_once(client, make_client, admin):
    totp = pyotp.TOTP(admin.totp_secret)
    _password_step(client, admin)
    stale = client.submit("/login/code", {"code": totp.at(time.time() - 60)})
    assert stale.status_code == 200
    assert "That code is not correct" in stale.get_data(as_text=True)
    code = totp.now()
    assert client.submit("/login/code", {"code": code}).headers["Location"] == "/"
    other = make_client()
    _password_step(other, admin)
    replay = other.submit("/login/code", {"code": code})
    assert "already been used" in replay.get_data(as_text=True)
    assert other.get("/admin/").status_code == 302


def test_the_migration_encrypts_the_secrets_already_stored(tmp_path_factory):
    """An existing database: the secrets stored in plain text before this version are
    encrypted by `flask db upgrade`, and decrypted again by a downgrade."""
    app = make_app(database_url(tmp_path_factory, suffix="_totp_migration"))
    reset_database(app.config["SQLALCHEMY_DATABASE_URI"])
    secret = pyotp.random_base32(32)
    with app.app_context():
        upgrade(revision="fa9323c7e6aa")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO organisations (id, kind, name, country, contact_email, "
                    "created_at, version) VALUES (1, 'buyer', 'Region', 'SE', 'r@example.com', "
                    "CURRENT_TIMESTAMP, 1)"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO users (organisation_id, email, full_name, role, password_hash, "
                    "is_active, totp_secret, created_at, password_changed_at, version) VALUES "
                    "(1, 'a@example.com', 'A', 'reviewer', 'x', true, :secret, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
                ),
                {"secret": secret},
            )
        upgrade()
        with db.engine.connect() as connection:
            stored = connection.scalar(sa.text("SELECT totp_secret FROM users"))
        assert secret not in stored
        assert Fernet(TEST_KEY).decrypt(stored.encode()).decode() == secret

        downgrade(revision="fa9323c7e6aa")
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT totp_secret FROM users")) == secret
        db.engine.dispose()

"""Forgotten passwords: an e-mailed link that works once and expires.

OWASP ASVS 5.0: V6.3.8 (no enumeration through the reset form), V6.4.3 (recovery tokens
random, expiring), V6.2.4 (common passwords refused), V7.4.3 (sessions end after a reset).
"""

import itsdangerous.timed

from portal.auth.models import User
from portal.extensions import db
from tests.fixtures.web import DEFAULT_PASSWORD, link_in

NEW = "lantern meadow copper tide"


def _ask(client, email):
    return client.submit("/password/forgot", {"email": email})


def test_reset_by_emailed_link(client, make_client, owner_a, outbox):
    signed_in_elsewhere = make_client()
    signed_in_elsewhere.login(owner_a)
    response = _ask(client, owner_a.email)
    assert response.headers["Location"] == "/login"
    assert len(outbox) == 1
    assert outbox[0]["To"] == owner_a.email
    link = link_in(outbox[0], "/password/reset/")
    page = client.get(link)
    assert owner_a.email in page.get_data(as_text=True)
    response = client.submit(link, {"password": NEW, "confirm": NEW})
    assert response.headers["Location"] == "/login"
    client.login(owner_a, password=NEW)
    assert signed_in_elsewhere.get("/account/").headers["Location"].startswith("/login")


def test_the_link_works_only_once(client, owner_a, outbox):
    _ask(client, owner_a.email)
    link = link_in(outbox[0], "/password/reset/")
    client.submit(link, {"password": NEW, "confirm": NEW})
    again = client.get(link)
    assert again.status_code == 404
    assert "The link does not work" in again.get_data(as_text=True)


def test_the_link_expires_after_an_hour(client, owner_a, outbox, monkeypatch):
    _ask(client, owner_a.email)
    link = link_in(outbox[0], "/password/reset/")
    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() + 3601)
    assert client.get(link).status_code == 404


def test_a_tampered_link_does_not_work(client, owner_a, outbox):
    _ask(client, owner_a.email)
    link = link_in(outbox[0], "/password/reset/")
    assert client.get(link[:-2] + "xx").status_code == 404


def test_unknown_address_gets_the_same_answer_and_no_mail(client, outbox):
    response = _ask(client, "nobody@example.com")
    assert response.headers["Location"] == "/login"
    message = client.get("/login").get_data(as_text=True)
    assert "If nobody@example.com belongs to an account" in message
    assert outbox == []


def test_new_password_rules_apply(client, owner_a, outbox):
    _ask(client, owner_a.email)
    link = link_in(outbox[0], "/password/reset/")
    for password, confirm, message in [
        ("short", "short", "Use at least 8 characters."),
        ("password123", "password123", "This password is too common"),
        (NEW, NEW + "x", "The two passwords are not the same."),
        ("x" * 129, "x" * 129, "Use at most 128 characters."),
    ]:
        response = client.submit(link, {"password": password, "confirm": confirm})
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
    assert db.session.get(User, owner_a.id).password_hash != ""
    client.login(owner_a, password=DEFAULT_PASSWORD)  # unchanged


def test_long_passphrases_with_any_characters_are_kept_whole(client, owner_a, outbox):
    """ASVS V6.2.8/V6.2.9: 64+ characters allowed, nothing truncated or normalised away."""
    passphrase = "Åsa äter 🍓 på fjället, " * 4 + "ok"
    _ask(client, owner_a.email)
    client.submit(
        link_in(outbox[0], "/password/reset/"), {"password": passphrase, "confirm": passphrase}
    )
    failed = client.submit("/login", {"email": owner_a.email, "password": passphrase[:-1]})
    assert failed.status_code == 200
    client.login(owner_a, password=passphrase)

"""Knowing someone's e-mail address is not enough to lock them out.

Failed sign-ins are still limited per account (LOGIN_RATE_LIMIT_ACCOUNT), but: the address
that failed is the one refused; failures from many addresses slow the account down instead of
closing it; the right password with the right code from the authenticator app always gets in;
and a password reset gets through and forgets the failures.

OWASP ASVS 5.0 V6.3.1 (controls against credential stuffing and brute force that do not lock
the rightful owner out).
"""

import time

import pyotp
import pytest
from flask import request
from flask_limiter import Limiter

from portal.auth.models import User
from portal.extensions import db, limiter
from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.fixtures.builders import make_org, make_user
from tests.fixtures.database import app_of_its_own
from tests.fixtures.web import DEFAULT_PASSWORD, PortalClient, link_in

WRONG = "The e-mail address or the password is not correct."


@pytest.fixture
def attempt(make_client):
    """Sign in from a browser of its own at `address` (one POST, as the form sends it)."""

    def sign_in(address: str, user, password: str, code: str | None = None):
        browser = make_client()
        browser.environ_base["REMOTE_ADDR"] = address
        data = {"email": user.email, "password": password}
        if code is not None:
            data["code"] = code
        response = browser.submit("/login", data)
        response.browser = browser
        return response

    return sign_in


@pytest.fixture
def limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_ACCOUNT", "3 per minute")
    monkeypatch.setitem(app.config, "LOGIN_SLOWDOWN_MAX_SECONDS", 2)


def _fail_from_many_addresses(attempt, user, count: int) -> None:
    for n in range(count):
        response = attempt(f"198.51.100.{n + 1}", user, f"guess number {n}")
        assert WRONG in response.get_data(as_text=True)


def test_failures_from_many_addresses_slow_the_account_down_instead_of_locking_it(
    attempt, owner_a, limit
):
    _fail_from_many_addresses(attempt, owner_a, 3)
    held = attempt("203.0.113.7", owner_a, DEFAULT_PASSWORD)
    assert held.status_code == 429
    assert held.headers["Retry-After"] == "1"
    assert "Try again in 1 second" in held.get_data(as_text=True)

    time.sleep(1.1)
    # A turn is given, and wasted on a wrong guess: the next wait is longer.
    assert WRONG in attempt("198.51.100.9", owner_a, "another guess").get_data(as_text=True)
    held = attempt("203.0.113.7", owner_a, DEFAULT_PASSWORD)
    assert held.status_code == 429
    assert held.headers["Retry-After"] == "2"

    time.sleep(2.1)
    owner = attempt("203.0.113.7", owner_a, DEFAULT_PASSWORD)
    assert owner.headers["Location"] == "/"
    assert owner.browser.get("/factories").status_code == 200


def test_the_address_that_failed_is_refused_but_not_the_owner_elsewhere(attempt, owner_a, limit):
    for n in range(3):
        attempt("198.51.100.66", owner_a, f"guess number {n}")
    refused = attempt("198.51.100.66", owner_a, DEFAULT_PASSWORD)
    assert refused.status_code == 429
    assert "Too many attempts to sign in to this account from your network" in (
        refused.get_data(as_text=True)
    )
    time.sleep(1.1)  # the one-second slowdown the failures also started
    assert attempt("203.0.113.7", owner_a, DEFAULT_PASSWORD).headers["Location"] == "/"


def test_the_right_password_and_code_get_in_while_the_account_is_throttled(attempt, admin, limit):
    _fail_from_many_addresses(attempt, admin, 3)
    for n in range(3):
        attempt("203.0.113.7", admin, f"typo {n}")  # the owner's own address refused too
    alone = attempt("203.0.113.7", admin, DEFAULT_PASSWORD)
    assert alone.status_code == 429
    page = alone.get_data(as_text=True)
    assert "Code from your authenticator app" in page  # the way in is offered

    totp = pyotp.TOTP(admin.totp_secret)
    wrong_code = attempt("203.0.113.7", admin, DEFAULT_PASSWORD, code="000000")
    wrong_password = attempt("203.0.113.7", admin, "a guess", code=totp.now())
    # Which of the two was wrong is not told.
    message = "The e-mail address, the password or the code is not correct."
    assert message in wrong_code.get_data(as_text=True)
    assert message in wrong_password.get_data(as_text=True)

    owner = attempt("203.0.113.7", admin, DEFAULT_PASSWORD, code=totp.now())
    assert owner.headers["Location"] == "/"
    assert owner.browser.get("/admin/").status_code == 200


def test_a_password_reset_gets_through_and_forgets_the_failures(
    attempt, client, outbox, owner_a, limit
):
    _fail_from_many_addresses(attempt, owner_a, 3)
    assert attempt("203.0.113.7", owner_a, DEFAULT_PASSWORD).status_code == 429

    client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    client.submit("/password/forgot", {"email": owner_a.email})
    reset_page = link_in(outbox[-1], "/password/reset/")
    new = "a fresh passphrase for anna"
    done = client.submit(reset_page, {"password": new, "confirm": new})
    assert done.headers["Location"] == "/login"

    owner = attempt("203.0.113.7", db.session.get(User, owner_a.id), new)
    assert owner.headers["Location"] == "/"


def test_every_rate_limit_is_set_on_a_post_as_reads_skip_the_limiter(app):
    """Reads never reach the limiter (portal.extensions.ReadsUnlimited), so a limit on
    anything but a POST would silently never apply: each limit a view declares must name
    POST alone."""
    declared = limiter.limit_manager._decorated_limits  # where Flask-Limiter keeps @limit's
    assert declared, "no declared limits found: has Flask-Limiter moved them?"
    for route, limits in declared.items():
        for limit in limits:
            assert limit.methods == ("post",), f"{route}: a limit on {limit.methods or 'all'}"


def test_only_requests_that_may_write_are_looked_up_by_the_limiter(client, monkeypatch):
    looked_up = []
    real = Limiter._check_request_limit

    def spy(self, *args, **kwargs):
        looked_up.append(request.method)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Limiter, "_check_request_limit", spy)
    for method in ("get", "head", "options"):
        getattr(client, method)("/login")
    assert looked_up == []
    client.submit("/login", {"email": "x@example.com", "password": "wrong"})
    assert looked_up
    assert set(looked_up) == {"POST"}


def test_pages_are_read_without_counting_against_the_sign_in_limit(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT_IP", "2 per minute")
    for _ in range(5):
        assert client.get("/login").status_code == 200
    answers = [
        client.submit("/login", {"email": "x@example.com", "password": "wrong"}).status_code
        for _ in range(3)
    ]
    assert answers[-1] == 429


def test_with_the_rate_limits_off_signing_in_still_works(tmp_path_factory):
    """RATELIMIT_ENABLED false turns the limits off, the sign-in throttle with them: wrong
    passwords are refused as usual, and the right one signs in."""
    try:
        with app_of_its_own(tmp_path_factory, "_no_limits", RATELIMIT_ENABLED=False) as app:
            with app.app_context():
                email = make_user(make_org(OrgKind.RESELLER), Role.SUPPLIER_OWNER).email
                db.session.commit()
            app.test_client_class = PortalClient
            client = app.test_client()

            wrong = [
                client.submit("/login", {"email": email, "password": "not the password"})
                for _ in range(3)
            ]
            right = client.submit("/login", {"email": email, "password": DEFAULT_PASSWORD})

            assert [reply.status_code for reply in wrong] == [200, 200, 200]
            assert right.status_code == 302
            assert "/login" not in right.headers["Location"]
    finally:
        limiter.enabled = True  # the extension is one for all apps of the process

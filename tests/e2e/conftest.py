"""Browser tests: a live server in a thread, with its own migrated database, driven by the
system's Chromium through Playwright. A missing Chromium fails the run; it never skips."""

import shutil
import threading
import time
from contextlib import contextmanager

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from portal.auth.models import User
from portal.extensions import db
from tests.fixtures.database import database_url, make_app, migrate_database
from tests.fixtures.web import DEFAULT_PASSWORD

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _closed_before_sending(app):
    """The app's response read whole and closed before the server sends it. Werkzeug's
    development server leaves a response unclosed when the browser drops the connection
    half-way (a page that navigates while a script is still loading), and the open file
    then fails the run as a ResourceWarning."""

    def wsgi(environ, start_response):
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()

    return wsgi


class LiveServer:
    def __init__(self, app, url):
        self.app = app
        self.url = url

    @contextmanager
    def db(self):
        """An app context on the live server's database, for arranging data and checking it."""
        with self.app.app_context():
            yield db.session
            db.session.commit()

    @property
    def outbox(self):
        return self.app.extensions.setdefault("outbox", [])

    def mail_to(self, address: str, *, count: int = 1, timeout: float = 5.0) -> list:
        """The messages sent to `address`, waiting for `count` of them: mail goes out after
        the response, as it would reach a real inbox a moment later."""
        deadline = time.monotonic() + timeout
        while True:
            messages = [m for m in self.outbox if m["To"] == address]
            if len(messages) >= count or time.monotonic() > deadline:
                return messages
            time.sleep(0.05)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    # Every browser signs in from 127.0.0.1: limits high enough for the whole suite.
    app = make_app(
        database_url(tmp_path_factory, suffix="_e2e"),
        ARGON2_PROFILE="CHEAPEST",
        LOGIN_RATE_LIMIT_IP="10000 per minute",
        FORM_RATE_LIMIT="10000 per minute",
    )
    migrate_database(app)
    server = make_server("127.0.0.1", 0, _closed_before_sending(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def chromium():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: run `make test`, which installs it.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page_sv(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="sv-SE")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


_axe = Axe()


def assert_accessible(page) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the page as it is now."""
    page.wait_for_load_state("load")
    results = _axe.run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_21_AA},
            # Only the violations come back: the passes of a long page are megabytes.
            "resultTypes": ["violations"],
        },
    )
    violations = results.response["violations"]
    assert not violations, f"{page.url}:\n" + results.generate_report()


def sign_in_with_password(page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    """Fill in and send the sign-in form (whatever page comes next)."""
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(page, email: str, secret: str | None = None, *, live_server=None) -> None:
    """Sign in through the real pages and wait for the page that follows; with `secret`, also
    give the authenticator code (the live server forgets the last code step used, since a
    step is accepted once and tests sign in faster than 30 seconds apart)."""
    if secret:
        with live_server.db() as session:
            session.execute(db.update(User).where(User.email == email).values(totp_last_step=None))
    sign_in_with_password(page, email)
    if secret:
        page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def error_summary(page):
    """The "There is a problem" summary at the top of a page."""
    return page.get_by_role("alert").filter(
        has=page.get_by_role("heading", name="There is a problem")
    )


def status(page):
    """Confirmation messages shown in the page's main area."""
    return page.get_by_role("main").get_by_role("status")

"""Password reset through a real SMTP conversation (OWASP ASVS 5.0 V6.4: authentication factor
lifecycle and recovery).

The other tests use the in-memory mail backend. Here the portal talks SMTP to an aiosmtpd
server on 127.0.0.1, and the reset link is taken from the message as the server received it:
request a reset on the real page, open the link, choose a new password, sign in with it.
"""

import email
import email.policy
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from portal.auth.models import User
from portal.extensions import db
from portal.passwords import verify_password
from tests.fixtures.web import DEFAULT_PASSWORD, link_in

pytestmark = pytest.mark.slow

NEW_PASSWORD = "seven brisk otters under the bridge"


class Collector:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.envelopes = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        self.received.set()
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def smtp_app(app, smtp_server, monkeypatch):
    """The shared app, sending mail by SMTP to the test server for this test only."""
    for key, value in {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": smtp_server.hostname,
        "MAIL_PORT": smtp_server.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return app


def test_password_reset_link_arrives_by_smtp_and_works(
    smtp_app, smtp_server, client, owner_a, outbox
):
    response = client.submit("/password/forgot", {"email": owner_a.email.upper()})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")

    # smtplib waits for the server's 250, which comes after the handler stored the message.
    collector = smtp_server.handler
    assert collector.received.wait(5), "no message reached the SMTP server"
    assert len(collector.envelopes) == 1
    assert outbox == []  # it went by SMTP, not to the memory backend
    envelope = collector.envelopes[0]
    assert envelope.rcpt_tos == [owner_a.email]
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert message["To"] == owner_a.email
    assert message["Subject"]
    assert message["Message-ID"]

    link = link_in(message, "/password/reset/")
    page = client.get(link)
    assert page.status_code == 200
    response = client.submit(link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")

    db.session.expire_all()
    user = db.session.get(User, owner_a.id)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert not verify_password(user.password_hash, DEFAULT_PASSWORD)
    # The link worked once: the password it was made for has changed.
    assert client.get(link).status_code == 404

    old = client.submit("/login", {"email": owner_a.email, "password": DEFAULT_PASSWORD})
    assert old.status_code == 200
    client.login(owner_a, NEW_PASSWORD)
    assert client.get("/account/").status_code == 200

"""Outgoing e-mail.

Mail is queued during a request and sent only after the transaction commits, so that no
one receives a link to something that was rolled back. Backends: "smtp" sends; "folder"
writes .eml files and logs them (development); "memory" keeps them for tests.
"""

import logging
import smtplib
import ssl
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import make_msgid
from functools import cache
from pathlib import Path

from flask import current_app, g, has_request_context, render_template
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.timeutil import utcnow

log = logging.getLogger(__name__)


#: Languages of a message to someone whose language is not known (Swedish first).
BOTH = ("sv", "en")
_DIVIDER = "\n\n— English below —\n\n"


def compose(to: str, subject, template: str, *, locale: str | None = None, **context):
    """Build a plain-text message from templates/mail/<template>.txt.

    In `locale` when the recipient's language is known; otherwise in Swedish and English,
    one after the other, so that a foreign brand's staff can read it too.
    """
    bodies, subjects = [], []
    for language in (locale,) if locale else BOTH:
        with force_locale(language):
            bodies.append(render_template(f"mail/{template}.txt", **context).strip())
            subjects.append(str(subject))
    body = _DIVIDER.join(bodies) + "\n"
    subject = " / ".join(dict.fromkeys(subjects))
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="fair-ict-portal")
    message.set_content(body)
    return message


def send_later(message: EmailMessage) -> None:
    """Queue a message until the current request commits (or send now outside requests)."""
    if has_request_context():
        g.setdefault("outgoing_mail", []).append(message)
    else:
        deliver(message)


def dispatch_queue() -> None:
    """Send what the request queued (called by the request boundary after commit).

    Over SMTP the messages go to a small pool of sender threads, so that the response does
    not wait for the mail server and its timing tells a visitor nothing (for example whether
    an address has an account). The pool finishes its queue before the process exits.
    """
    messages = g.pop("outgoing_mail", [])
    if not messages:
        return
    app = current_app._get_current_object()
    if app.config["MAIL_BACKEND"] == "smtp":
        _sender_pool().submit(_send_all, app, messages)
    else:
        _send_all(app, messages)


def _send_all(app, messages: list[EmailMessage]) -> None:
    with app.app_context():
        for message in messages:
            try:
                deliver(message)
            except (OSError, smtplib.SMTPException):
                log.exception("could not send mail to %s", message["To"])


@cache
def _sender_pool() -> ThreadPoolExecutor:
    # Made on first use, never at start-up.
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")


def discard_queue() -> None:
    """Drop what the request queued, because its transaction rolled back."""
    g.pop("outgoing_mail", None)


def deliver(message: EmailMessage) -> None:
    """Hand one message to the configured backend."""
    config = current_app.config
    backend = config["MAIL_BACKEND"]
    if backend == "memory":
        current_app.extensions.setdefault("outbox", []).append(message)
    elif backend == "folder":
        folder = Path(config["MAIL_FOLDER"])
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{utcnow():%Y%m%dT%H%M%S%f}.eml"
        path.write_bytes(bytes(message))
        log.warning("mail to %s (%s) saved as %s", message["To"], message["Subject"], path)
        log.warning("%s", message.get_content())
    elif backend == "smtp":
        _send_smtp(message, config)
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r}")


#: What became of a notice given to `send_once`.
SENT, TAKEN, FAILED = "sent", "taken", "failed"


def send_once(claim, messages: list[EmailMessage], *, what: str) -> str:
    """Send one notice of a cron run once, however many runs overlap: add `claim` (a row
    whose unique key names the notice), send `messages` and commit, on its own.

    TAKEN: another run claimed the notice first, and it is left to that run. FAILED: a
    message could not be sent; the claim is rolled back so that the next run tries again
    (its Message-IDs are the same each time, so a copy that did go out is a duplicate the
    mail client folds). SENT otherwise. `what` names the notice in the log."""
    db.session.add(claim)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return TAKEN
    try:
        for message in messages:
            deliver(message)
    except (OSError, smtplib.SMTPException):
        db.session.rollback()
        log.exception("could not send %s; the next run tries again", what)
        return FAILED
    db.session.commit()
    return SENT


def _send_smtp(message: EmailMessage, config) -> None:
    host, port = config["MAIL_SERVER"], config["MAIL_PORT"]
    if config["MAIL_USE_SSL"]:
        client = smtplib.SMTP_SSL(host, port, context=ssl.create_default_context(), timeout=30)
    else:
        client = smtplib.SMTP(host, port, timeout=30)
    with client:
        if config["MAIL_USE_TLS"]:
            client.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        client.send_message(message)

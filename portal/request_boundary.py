"""One commit point per request.

Views and services only add and flush; here the request's work is committed when the
response is a success or a redirect, and rolled back otherwise. Mail queued during the
request goes out only after a successful commit (over SMTP, from sender threads, so the
response never waits for the mail server).
"""

from flask import Flask, Response

from portal import mail, read_requests
from portal.extensions import db


def init_app(app: Flask) -> None:
    app.after_request(commit_or_roll_back)


def commit_or_roll_back(response: Response) -> Response:
    # A request that never used the database (a static file, most anonymous pages) has no
    # transaction to end: `db.session` here would only make a session to end it.
    used = db.session.registry.has()
    if response.status_code >= 400:
        if used:
            db.session.rollback()
        mail.discard_queue()
        return response
    if used and not read_requests.only_read(db.session):
        try:
            db.session.commit()
        except Exception:
            db.session.rollback()
            mail.discard_queue()
            raise
    mail.dispatch_queue()
    return response

"""Security wiring: session loading, access enforcement, response headers, SQLite pragmas."""

import sqlite3

from flask import Flask, Response, current_app, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.access import enforce_access
from portal.auth.services import load_session_user
from portal.extensions import login_manager

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # sessions are revocable server-side instead
    login_manager.user_loader(_load_user)
    app.before_request(enforce_access)
    app.after_request(set_security_headers)


def _load_user(token: str):
    return load_session_user(token)


def set_security_headers(response: Response) -> Response:
    """Headers on every response; pages (everything but static files) are never cached."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config.get("HSTS"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Foreign keys on and write-ahead logging for every SQLite connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
        # Let SQLAlchemy, not the driver, decide where transactions begin: the driver's
        # own handling breaks SAVEPOINT and delays BEGIN past the first read.
        dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """Take SQLite's write lock when a transaction begins, not at its first write. A
    transaction that read first and then wants to write fails at once with "database is
    locked" when another wrote in between (an autosave and a Save button pressed together),
    whatever the busy timeout; one that waits for the lock at BEGIN just waits its turn.
    SQLite is the single-user default, so serialising its transactions costs nothing real."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")

"""Security wiring: access enforcement, response headers, SQLite pragmas. (Who is signed in
is portal.auth's to say: portal.auth.services.init_app.)"""

import sqlite3

from flask import Flask, Response, current_app, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.access import enforce_access

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
    app.before_request(enforce_access)
    app.after_request(set_security_headers)


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

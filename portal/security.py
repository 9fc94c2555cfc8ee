"""Security wiring: access enforcement, the session cookie, response headers, SQLite
pragmas. (Who is signed in is portal.auth's to say: portal.auth.services.init_app.)"""

import sqlite3
import time

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature
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
    app.session_interface = SessionCookie()
    app.before_request(enforce_access)
    app.wsgi_app = SecurityHeaders(
        app.wsgi_app, hsts=bool(app.config.get("HSTS")), static_path=app.static_url_path
    )


class SignedSession(SecureCookieSession):
    #: When the cookie the session came in was signed (seconds since the epoch); None for
    #: a new session.
    signed_at: float | None = None


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed session cookie, re-signed and sent again only when it changed or its
    signature is more than REFRESH_AFTER seconds old.

    The idle timeout is the age of the cookie's signature (PERMANENT_SESSION_LIFETIME,
    checked on every request), so Flask signs and sends the cookie again with every
    response. Doing so at most once a minute makes an idle session end between a minute
    before and the moment the lifetime has passed since the last request: never later. The
    absolute timeout and revocation are checked against the server-side session record
    whatever the cookie says (portal.auth.services.load_session_user)."""

    session_class = SignedSession
    #: Seconds after which an unchanged permanent session's cookie is signed and sent again.
    REFRESH_AFTER = 60

    def __init__(self):
        self._serializers = {}

    def get_signing_serializer(self, app: Flask):
        # Flask builds a new serializer twice per request; it depends only on the keys.
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        try:
            return self._serializers[keys]
        except KeyError:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
            return serializer

    def open_session(self, app: Flask, request) -> SignedSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at.timestamp()
        return session

    def should_set_cookie(self, app: Flask, session: SignedSession) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = session.signed_at
        return signed_at is None or time.time() - signed_at >= self.REFRESH_AFTER


class SecurityHeaders:
    """Headers on every response, added as the response starts: pages (everything but
    static files) are never cached, and a response that brings its own Content-Security-
    Policy (an evidence download's sandbox) keeps it.

    A WSGI middleware rather than an after-request hook: the headers are the same on every
    response, and adding them to the plain list the server receives costs a tenth of
    setting them one by one on Flask's response. Responses made outside Flask's views (an
    error page, a refused request) get them too."""

    def __init__(self, wsgi_app, *, hsts: bool, static_path: str):
        self.wsgi_app = wsgi_app
        always = [
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            ("X-Frame-Options", "DENY"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ]
        if hsts:
            always.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
        self.for_files = always
        self.for_pages = [*always, ("Cache-Control", "no-store"), ("Pragma", "no-cache")]
        self.static_prefix = static_path.rstrip("/") + "/"

    def __call__(self, environ, start_response):
        static = environ.get("PATH_INFO", "").startswith(self.static_prefix)
        ours = self.for_files if static else self.for_pages
        replaced = {name.lower() for name, _ in ours}

        def start(status, headers, exc_info=None):
            kept = [header for header in headers if header[0].lower() not in replaced]
            if not any(name.lower() == "content-security-policy" for name, _ in kept):
                kept.append(("Content-Security-Policy", CSP))
            kept.extend(ours)
            return start_response(status, kept, exc_info)

        return self.wsgi_app(environ, start)


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

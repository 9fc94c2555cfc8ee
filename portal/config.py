"""Configuration classes. Every value can be overridden by an environment variable of the same
name (see README); production refuses to start without the secrets it needs."""

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration is unsafe or incomplete."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def derived_totp_key(secret_key: str) -> str:
    """Development and tests only: a Fernet key derived from SECRET_KEY, so that nobody has
    to make one to try the portal out. Production refuses to start without its own keys."""
    digest = hashlib.sha256(b"totp-encryption-key\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def fernet_keys(value: str | None) -> list[str]:
    """The keys of a comma-separated setting, newest first; ConfigError if one is malformed."""
    keys = [key.strip() for key in (value or "").split(",") if key.strip()]
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            raise ConfigError(
                "Each key in TOTP_ENCRYPTION_KEYS must be a Fernet key: 32 random bytes in "
                'URL-safe base64 (see README, "Rotating the TOTP key").'
            ) from None
    return keys


class Config:
    """Development defaults: SQLite in instance/, mail to the log and a folder."""

    ENV_NAME = "development"
    # Development only; ProductionConfig refuses to boot without its own.
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'portal.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: Seconds a pooled connection may sit idle before it is checked on its next use; None
    #: never checks (portal.pooling).
    DATABASE_PING_AFTER_IDLE: float | None = None

    # Sessions: idle timeout is the signed cookie's max age (re-signed by a request at most
    # once a minute: portal.security.SessionCookie); the absolute timeout is checked against
    # the server-side session record.
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=_env_int("SESSION_IDLE_MINUTES", 30))
    SESSION_ABSOLUTE_HOURS = _env_int("SESSION_ABSOLUTE_HOURS", 12)
    SESSION_COOKIE_NAME = "portal_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    HSTS = False

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; the session expires

    #: Largest evidence file; the request limit leaves room for the form around it.
    EVIDENCE_MAX_BYTES = _env_int("EVIDENCE_MAX_BYTES", 25 * 1024 * 1024)
    #: Only views marked @takes_uploads (evidence, factory imports) accept this much.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", EVIDENCE_MAX_BYTES + 1024 * 1024)
    #: Every other request's body is refused above this, before it is read
    #: (portal/request_limits.py).
    FORM_MAX_BYTES = _env_int("FORM_MAX_BYTES", 1024 * 1024)
    #: A questionnaire section posts one part per field, and tables have many: 1,000 (Flask's
    #: default) is too few for a large section, so the limit is raised knowingly. It applies
    #: to urlencoded forms as well (portal/request_limits.py).
    MAX_FORM_PARTS = _env_int("MAX_FORM_PARTS", 5000)
    EVIDENCE_STORAGE_URL = os.environ.get(
        "EVIDENCE_STORAGE_URL", f"file://{BASE_DIR / 'instance' / 'evidence'}"
    )
    FACTORY_IMPORT_MAX_BYTES = _env_int("FACTORY_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
    #: An uploaded factory list not confirmed within this time is gone (`flask imports purge`
    #: deletes it), and an organisation keeps at most this many waiting: a newer upload
    #: replaces the oldest.
    FACTORY_IMPORT_EXPIRY_HOURS = _env_int("FACTORY_IMPORT_EXPIRY_HOURS", 24)
    FACTORY_IMPORT_PENDING_MAX = _env_int("FACTORY_IMPORT_PENDING_MAX", 5)
    #: Factory-list uploads per account (each is read at once, which takes seconds).
    FACTORY_IMPORT_RATE_LIMIT = os.environ.get(
        "FACTORY_IMPORT_RATE_LIMIT", "10 per minute;40 per hour"
    )

    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    LANGUAGES = ("sv", "en")

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "portal")
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_RATE_LIMIT_IP = os.environ.get("LOGIN_RATE_LIMIT_IP", "30 per minute;200 per hour")
    LOGIN_RATE_LIMIT_ACCOUNT = os.environ.get(
        "LOGIN_RATE_LIMIT_ACCOUNT", "5 per minute;20 per hour"
    )
    #: Longest wait between two sign-in attempts on an account whose failures came from many
    #: addresses (the wait doubles from one second; see portal/auth/throttle.py). 180 s keeps
    #: such guessing to 20 attempts an hour, without ever closing the account.
    LOGIN_SLOWDOWN_MAX_SECONDS = _env_int("LOGIN_SLOWDOWN_MAX_SECONDS", 180)
    FORM_RATE_LIMIT = os.environ.get("FORM_RATE_LIMIT", "10 per minute;50 per hour")
    RESET_MAILS_PER_ADDRESS = os.environ.get("RESET_MAILS_PER_ADDRESS", "3 per hour")

    #: "folder" writes .eml files to MAIL_FOLDER and logs them; "smtp" sends; "memory" keeps
    #: them in app.extensions["outbox"] for tests.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "folder")
    MAIL_FOLDER = os.environ.get("MAIL_FOLDER", str(BASE_DIR / "instance" / "mail"))
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Fair ICT portal <noreply@localhost>")
    ACCESSIBILITY_CONTACT = os.environ.get("ACCESSIBILITY_CONTACT", "tillganglighet@localhost")

    #: A finding's corrective action plan is due this many calendar months after the finding
    #: is recorded, and the correction with its proof this many (portal/findings/deadlines.py).
    CAP_PLAN_MONTHS = _env_int("CAP_PLAN_MONTHS", 1)
    CAP_CORRECTION_MONTHS = _env_int("CAP_CORRECTION_MONTHS", 6)
    #: The award points the social criteria are worth in a tender (of 100 in all).
    SOCIAL_AWARD_POINTS = float(os.environ.get("SOCIAL_AWARD_POINTS", "15"))
    #: A contract's report falls due this many calendar months after the contract starts.
    CONTRACT_REPORT_MONTHS = _env_int("CONTRACT_REPORT_MONTHS", 6)
    #: `flask contracts request-reports` requests each report this many days before it is due.
    CONTRACT_REPORT_NOTICE_DAYS = _env_int("CONTRACT_REPORT_NOTICE_DAYS", 30)
    #: Where questionnaires/<key>/v<N>.yaml live (the repository's folder by default).
    QUESTIONNAIRES_FOLDER = os.environ.get(
        "QUESTIONNAIRES_FOLDER", str(BASE_DIR / "questionnaires")
    )
    #: How many reverse proxies stand in front (their X-Forwarded-For/-Proto are trusted).
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)
    #: Base of every link in e-mail (never taken from the request's Host header).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    PASSWORD_RESET_MAX_AGE = timedelta(hours=1)
    INVITATION_MAX_AGE = timedelta(days=14)
    TOTP_ISSUER = os.environ.get("TOTP_ISSUER", "Fair ICT portal")
    #: Fernet keys that encrypt TOTP secrets in the database, comma-separated, newest first:
    #: the first encrypts, any of them decrypts (see README, "Rotating the TOTP key").
    TOTP_ENCRYPTION_KEYS = os.environ.get("TOTP_ENCRYPTION_KEYS") or derived_totp_key(SECRET_KEY)

    @classmethod
    def settle(cls) -> dict:
        """Values read from the environment at start-up; refuses unsafe configurations."""
        return {}


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
    TOTP_ENCRYPTION_KEYS = derived_totp_key(SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_BACKEND = "memory"
    SERVER_NAME = None


class ProductionConfig(Config):
    ENV_NAME = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    TOTP_ENCRYPTION_KEYS = os.environ.get("TOTP_ENCRYPTION_KEYS")
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    #: The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only
    #: and for the whole site, so a sibling subdomain cannot plant or overwrite it.
    SESSION_COOKIE_NAME = "__Host-portal_session"
    HSTS = True
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    PREFERRED_URL_SCHEME = "https"
    #: A pooled connection idle this many seconds is checked before use (portal.pooling).
    DATABASE_PING_AFTER_IDLE = _env_int("DATABASE_PING_AFTER_IDLE", 10)

    @classmethod
    def settle(cls) -> dict:
        required = ("SECRET_KEY", "DATABASE_URL", "TOTP_ENCRYPTION_KEYS")
        missing = [name for name in required if not os.environ.get(name)]
        if missing:
            raise ConfigError("Production needs these environment variables: " + ", ".join(missing))
        if len(os.environ["SECRET_KEY"]) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production.")
        if not os.environ.get("PUBLIC_URL", "").startswith("https://"):
            raise ConfigError("Production needs PUBLIC_URL=https://… (the base of e-mailed links).")
        storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        if storage.startswith("memory"):
            # Each worker would count on its own, multiplying every limit by the workers.
            raise ConfigError(
                "Production needs RATELIMIT_STORAGE_URI=redis://… shared by all workers."
            )
        return {
            "SECRET_KEY": os.environ["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"],
            "RATELIMIT_STORAGE_URI": storage,
            "PUBLIC_URL": os.environ["PUBLIC_URL"],
            "TOTP_ENCRYPTION_KEYS": ",".join(fernet_keys(os.environ["TOTP_ENCRYPTION_KEYS"])),
        }


CONFIGS = {"development": Config, "testing": TestConfig, "production": ProductionConfig}


def config_from_env() -> type[Config]:
    """The configuration class named by PORTAL_ENV (development when unset)."""
    name = os.environ.get("PORTAL_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"PORTAL_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None

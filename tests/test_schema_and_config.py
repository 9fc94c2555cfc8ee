"""The schema comes only from migrations; the app factory does no I/O and refuses unsafe
production settings."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet

from portal import create_app
from portal.config import ConfigError, ProductionConfig, TestConfig
from portal.extensions import db

TOTP_KEY = Fernet.generate_key().decode()


# The one expression index (PostgreSQL only) cannot be reflected from SQLite, so alembic
# says it skips it there; on PostgreSQL it is compared like the rest.
@pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index:UserWarning"
)
def test_models_and_migrations_agree(app_context):
    """Fails when a model changed without a migration (or the other way round)."""
    connection = db.session.connection()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_constraints_have_conventional_names(app_context):
    for table in db.metadata.tables.values():
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}"


def test_sqlite_runs_with_foreign_keys_and_wal(tmp_path):
    """The embedded default (a SQLite file) enforces foreign keys and uses WAL."""
    config = type(
        "Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    )
    app = create_app(config)
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        db.engine.dispose()


def test_create_app_does_no_io():
    """An unreachable database does not stop the app from being built."""
    config = type(
        "Cfg",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@192.0.2.1:1/none"},
    )
    app = create_app(config)
    assert app.url_map is not None


def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY, DATABASE_URL"):
        create_app(ProductionConfig)


def test_production_refuses_a_short_secret(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "short")
    monkeypatch.setenv("TOTP_ENCRYPTION_KEYS", TOTP_KEY)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@localhost/x")
    with pytest.raises(ConfigError, match="at least 32"):
        create_app(ProductionConfig)


def test_production_refuses_per_worker_rate_limits(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("TOTP_ENCRYPTION_KEYS", TOTP_KEY)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@localhost/x")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("PUBLIC_URL", "https://portal.example.se")
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        create_app(ProductionConfig)


def test_production_refuses_to_start_without_a_totp_key(monkeypatch):
    """Without its own key, production would encrypt second factors with nothing secret."""
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@localhost/x")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PUBLIC_URL", "https://portal.example.se")
    monkeypatch.delenv("TOTP_ENCRYPTION_KEYS", raising=False)
    with pytest.raises(ConfigError, match="TOTP_ENCRYPTION_KEYS"):
        create_app(ProductionConfig)
    monkeypatch.setenv("TOTP_ENCRYPTION_KEYS", f"{TOTP_KEY},not-a-key")
    with pytest.raises(ConfigError, match="must be a Fernet key"):
        create_app(ProductionConfig)


def test_production_starts_with_its_secrets(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("TOTP_ENCRYPTION_KEYS", TOTP_KEY)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@localhost/x")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PUBLIC_URL", "https://portal.example.se")
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"

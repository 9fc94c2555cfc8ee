"""A pooled database connection that died while it sat idle (the database restarted, a
firewall dropped the socket) is replaced before a request uses it: the person signing in
never sees the broken connection."""

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from portal.extensions import db
from tests.fixtures.database import app_of_its_own

WRONG = "The e-mail address or the password is not correct."


@pytest.fixture(scope="module")
def pooled_app(tmp_path_factory):
    """An app on its own migrated database with no outer test transaction, so that its
    requests check connections out of the pool as in production; every checkout after
    any idle time pings."""
    with app_of_its_own(tmp_path_factory, "_pooling", DATABASE_PING_AFTER_IDLE=0) as app:
        yield app


def _kill_the_pooled_connection(app) -> None:
    """Leave exactly one connection in the pool, and end it behind the pool's back."""
    with app.app_context():
        engine = db.engine
        engine.dispose()
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            pid = None
            if engine.dialect.name == "postgresql":
                pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        if pid is None:
            raw.close()
            return
        other = sa.create_engine(engine.url, poolclass=NullPool)
        with other.begin() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_a_request_uses_it(pooled_app):
    client = pooled_app.test_client()
    _kill_the_pooled_connection(pooled_app)

    response = client.submit("/login", {"email": "nobody@example.org", "password": "not it"})

    assert response.status_code == 200
    assert WRONG in response.get_data(as_text=True)

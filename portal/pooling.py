"""Pooled database connections that are checked before use after sitting idle.

A connection can die while it waits in the pool: the database restarted, or a firewall
dropped the idle socket. Checking it on every checkout (SQLAlchemy's `pool_pre_ping`) costs
one round trip on every request. A connection that was in use a moment ago is alive, so it is
checked only when it has been idle for DATABASE_PING_AFTER_IDLE seconds or more; a dead one is
replaced before the request sees it.
"""

import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

_CHECKED_IN_AT = "checked_in_at"


def init_app(app: Flask, db) -> None:
    idle = app.config.get("DATABASE_PING_AFTER_IDLE")
    if idle is None:
        return
    with app.app_context():
        ping_when_idle(db.engine, float(idle))


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return  # new, or in use a moment ago
        try:
            alive = dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if not dialect.is_disconnect(error, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            # The pool throws the connection away and checks out a new one.
            raise DisconnectionError("an idle pooled connection was closed")

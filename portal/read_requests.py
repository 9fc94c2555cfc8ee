"""Requests that only read run their queries outside a transaction (PostgreSQL).

A page (GET or HEAD) that reads four things would otherwise open a transaction first and
commit it at the end: two more round trips to the database than it has queries, a fifth of
the cost of a typical page. Under READ COMMITTED, PostgreSQL's default, every statement
sees the data as of its own start whether or not it runs in a transaction, so a page reads
exactly the same without one.

The moment such a request is about to write, or to lock rows for a later write, its
connection leaves this mode and a transaction begins before that statement; the request's
end commits it as usual (portal.request_boundary), so writes stay atomic; a request that
wrote nothing has nothing to commit. Requests that may write (POST and the rest), commands
and background work are not affected.
"""

from flask import Flask, g, has_request_context, request
from sqlalchemy import Executable, event
from sqlalchemy.engine import Engine, Row

from portal.extensions import READ_ONLY_METHODS, db

_READING = "reading_without_transaction"


def init_app(app: Flask, db) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        read_without_transaction(engine)


def read_without_transaction(engine: Engine) -> None:
    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        if has_request_context() and request.method in READ_ONLY_METHODS:
            dbapi_connection.autocommit = True
            record.info[_READING] = g._reading_without_transaction = True

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        info = conn.connection.info
        if info.get(_READING) and not _plain_read(context):
            _leave(cursor.connection, info)

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        if record.info.get(_READING) and dbapi_connection is not None:
            _leave(dbapi_connection, record.info)


def _leave(dbapi_connection, info: dict) -> None:
    """Back to transactions: the driver begins one before the next statement."""
    info[_READING] = False
    if has_request_context():
        g._reading_without_transaction = False
    dbapi_connection.autocommit = False


def only_read(session) -> bool:
    """Whether this request has so far only read, outside a transaction, and holds no
    change for the database: then there is nothing to commit."""
    return g.get("_reading_without_transaction", False) and not (
        session.new or session.deleted or session.dirty
    )


def _plain_read(context) -> bool:
    """Whether the statement is a SELECT that locks nothing (anything else ends the mode:
    a write, a row lock, text SQL the portal cannot see into)."""
    compiled = getattr(context, "compiled", None)
    statement = getattr(compiled, "statement", None)
    return bool(getattr(statement, "is_select", False)) and (
        getattr(statement, "_for_update_arg", None) is None
    )


def rows(statement: Executable, params: dict | None = None) -> list[Row]:
    """The rows of a SELECT of columns (not of ORM objects), read on the session's connection:
    the ORM's own work for each statement, a third of a small query's cost, buys nothing
    for plain rows. They are fetched together, not one call to the driver per row. What
    the session holds unwritten is flushed first, as the ORM does before every query, so
    that the rows include it."""
    session = db.session
    session.flush()
    return session.connection().execute(statement, params or {}).all()

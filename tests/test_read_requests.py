"""On PostgreSQL a page that only reads runs its queries outside a transaction, saving the
two round trips of BEGIN and COMMIT; the moment a request writes or locks rows, a
transaction begins, and its writes are committed together or not at all (portal.read_requests).
On SQLite every request keeps its transaction, which takes the write lock at BEGIN."""

import pytest
from flask import abort, request
from psycopg.pq import TransactionStatus

from portal.access import ANONYMOUS, allow
from portal.extensions import db
from portal.orgs.models import Organisation, OrgKind
from portal.questionnaires.models import Answer
from portal.questionnaires.services import start
from portal.read_requests import rows
from portal.roles import Role
from tests.fixtures.builders import make_org, make_round, make_user, publish_version, response_of
from tests.fixtures.database import app_of_its_own
from tests.fixtures.web import hidden_inputs

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    """An app on its own migrated database with no outer test transaction, so that each
    request checks a connection out of the pool and commits as in production. One page of
    its own reads, locks a row, then adds two organisations; with ?refuse it then refuses."""
    with app_of_its_own(tmp_path_factory, "_reads") as app:
        _add_reads_then_writes(app)
        yield app


def _add_reads_then_writes(app) -> None:
    @app.get("/reads-then-writes")
    @allow(ANONYMOUS)
    def reads_then_writes():
        name = request.args["name"]
        db.session.scalar(db.select(db.func.count()).select_from(Organisation))
        db.session.execute(db.select(Organisation.id).limit(1).with_for_update())
        for part in ("one", "two"):
            organisation = Organisation(name=f"{name} {part}", kind=OrgKind.RESELLER.value)
            organisation.country, organisation.contact_email = "SE", f"{part}@example.com"
            db.session.add(organisation)
        db.session.flush()
        if "refuse" in request.args:
            abort(404)
        return "written"


class Transactions:
    """Every statement the database runs, with whether a transaction was open after it."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.seen: list[tuple[str, bool]] = []

    def __enter__(self):
        db.event.listen(self.engine, "after_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        db.event.remove(self.engine, "after_cursor_execute", self)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append((statement.lstrip().split(None, 1)[0].upper(), _in_transaction(cursor)))

    def inside(self, kinds=None) -> list[bool]:
        return [inside for kind, inside in self.seen if kinds is None or kind in kinds]


def _in_transaction(cursor) -> bool:
    connection = cursor.connection
    if hasattr(connection, "in_transaction"):  # sqlite3
        return connection.in_transaction
    return connection.info.transaction_status != TransactionStatus.IDLE


def _postgresql(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.fixture(scope="module")
def section(real_app):
    """A supplier's started response: (signed-in client, address of its first section)."""
    with real_app.app_context():
        supplier = make_org(OrgKind.RESELLER)
        owner = make_user(supplier, Role.SUPPLIER_OWNER)
        admin = make_user(role=Role.BUYER_ADMIN, totp=False)
        response = response_of(
            make_round(publish_version(1), [supplier], opened_by=admin), supplier
        )
        start(response, user=owner, carry_from=None)
        db.session.commit()
        response_id = response.id
        db.session.refresh(owner)
        db.session.close()
    client = real_app.test_client()
    client.login(owner)
    return client, f"/responses/{response_id}/sections/basics", response_id


def test_a_section_page_reads_outside_a_transaction_on_postgresql(real_app, section):
    client, url, _ = section

    with Transactions(real_app) as seen:
        page = client.get(url)

    assert page.status_code == 200
    reads = seen.inside(["SELECT"])
    assert reads, seen.seen
    assert not seen.inside(WRITES), seen.seen
    if _postgresql(real_app):
        assert not any(reads), seen.seen
        assert not seen.inside(["BEGIN", "COMMIT"]), seen.seen
    else:
        assert all(reads), seen.seen


def test_a_save_writes_inside_a_transaction_and_is_stored(real_app, section):
    client, url, response_id = section
    form = hidden_inputs(client.get(url).get_data(as_text=True), action=url, page=url)

    with Transactions(real_app) as seen:
        saved = client.post(url, data={**form, "q_name": "Britta Berg"})

    assert saved.status_code == 302
    writes = seen.inside(WRITES)
    assert writes, seen.seen
    assert all(writes), seen.seen
    with real_app.app_context():
        stored = db.session.scalar(
            db.select(Answer.value).where(
                Answer.response_id == response_id, Answer.question_key == "name"
            )
        )
    assert stored == "Britta Berg"


def _names(app, prefix: str) -> list[str]:
    with app.app_context():
        return sorted(
            db.session.scalars(
                db.select(Organisation.name).where(Organisation.name.startswith(prefix))
            )
        )


def test_a_page_that_writes_locks_and_writes_inside_a_transaction(real_app):
    client = real_app.test_client()

    with Transactions(real_app) as seen:
        reply = client.get("/reads-then-writes", query_string={"name": "Kept"})

    assert reply.status_code == 200
    statements = seen.seen
    locking = [inside for kind, inside in statements if kind == "SELECT"][1]
    assert locking, statements
    assert seen.inside(WRITES), statements
    assert all(seen.inside(WRITES)), statements
    if _postgresql(real_app):
        assert statements[0] == ("SELECT", False), statements
    assert _names(real_app, "Kept") == ["Kept one", "Kept two"]


def test_a_page_that_wrote_and_then_failed_leaves_nothing_written(real_app):
    client = real_app.test_client()

    reply = client.get("/reads-then-writes", query_string={"name": "Dropped", "refuse": ""})

    assert reply.status_code == 404
    assert _names(real_app, "Dropped") == []


def test_a_request_after_a_writing_page_reads_outside_a_transaction_again(real_app, section):
    client, url, _ = section
    real_app.test_client().get("/reads-then-writes", query_string={"name": "Before"})

    with Transactions(real_app) as seen:
        assert client.get(url).status_code == 200

    assert any(seen.inside()) is not _postgresql(real_app), seen.seen


def test_plain_rows_include_what_the_session_has_not_written_yet(app_context):
    """A read of plain rows skips the ORM, but not its promise that a query sees what the
    session holds: an organisation added and not yet flushed is among the rows."""
    db.session.add(
        Organisation(
            kind=OrgKind.RESELLER.value,
            name="Not yet flushed AB",
            country="SE",
            contact_email="contact@flush.example",
        )
    )
    names = [name for (name,) in rows(db.select(Organisation.__table__.c.name))]
    assert "Not yet flushed AB" in names

"""Two writes at the same moment, on a database in a file: two saves of one section both
succeed, and two admins adding one organisation to a round both succeed and give it one
response.

SQLite lets one transaction write at a time. A transaction that read first and wants to
write only then fails at once with "database is locked" when another one wrote in between,
whatever the busy timeout; so every transaction takes the write lock at BEGIN
(portal/security.py). Here each save waits, before its first write, until the other save
has begun too: the interleaving that failed is made certain instead of left to timing.
"""

import contextlib
import threading

import pytest

from portal.extensions import db
from portal.orgs.models import OrgKind
from portal.questionnaires.models import Answer, Response
from portal.questionnaires.services import start
from portal.roles import Role
from tests.fixtures.builders import make_org, make_round, make_user, publish_version, response_of
from tests.fixtures.database import app_of_its_own
from tests.fixtures.web import hidden_inputs

#: How long a save waits for the other at its first write. The other may never get there
#: first: it waits for the write lock at BEGIN, which is the point.
MEET_SECONDS = 1.0


@pytest.fixture(scope="module")
def file_app(tmp_path_factory):
    """An app on its own migrated database: a file for SQLite, never the in-memory one, and
    no outer test transaction, so that each request commits for real."""
    with app_of_its_own(tmp_path_factory, "_concurrent") as app:
        yield app


class FirstWritesMeet:
    """Before the first write of each request it sees, waits until a second request is at
    its first write too (or MEET_SECONDS have passed)."""

    def __init__(self):
        self.barrier = threading.Barrier(2)
        self.waited = threading.local()

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if getattr(self.waited, "done", False):
            return
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            self.waited.done = True
            # Broken: the other request waited for the lock at BEGIN instead.
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait(timeout=MEET_SECONDS)


def _at_once(*calls):
    """Run the calls in threads at the same moment; their results, or their exceptions."""
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            results[index] = call()
        except Exception as error:  # reported by the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _posts_meeting(app, posts):
    """Each (client, url, data) posted in a thread of its own at the same moment, the first
    writes meeting (FirstWritesMeet); their replies, or their exceptions."""
    meet = FirstWritesMeet()
    with app.app_context():
        engine = db.engine
    db.event.listen(engine, "before_cursor_execute", meet)
    try:
        return _at_once(*((lambda c=c, u=u, d=d: c.post(u, data=d)) for c, u, d in posts))
    finally:
        db.event.remove(engine, "before_cursor_execute", meet)


@pytest.mark.parametrize("second", ["save", "autosave"])
def test_two_saves_of_one_section_at_once_both_succeed(file_app, second):
    clients, forms = [], []
    with file_app.app_context():
        supplier = make_org(OrgKind.RESELLER)
        owner = make_user(supplier, Role.SUPPLIER_OWNER)
        colleague = make_user(supplier, Role.SUPPLIER_MEMBER)
        admin = make_user(role=Role.BUYER_ADMIN, totp=False)
        version = publish_version(1)
        response = response_of(make_round(version, [supplier], opened_by=admin), supplier)
        start(response, user=owner, carry_from=None)
        db.session.commit()
        response_id, users = response.id, [owner, colleague]
        for user in users:
            db.session.refresh(user)  # loaded now, as the sign-ins below read them
        # A transaction left open here would hold the write lock the requests wait for.
        db.session.close()
    url = f"/responses/{response_id}/sections/basics"
    for user in users:
        client = file_app.test_client()
        client.login(user)
        clients.append(client)
        page = client.get(url).get_data(as_text=True)
        forms.append(hidden_inputs(page, action=url, page=url))
    targets = [url, url if second == "save" else f"{url}/autosave"]
    changes = [{"q_name": "Anna Andersson"}, {"q_workers": "120"}]

    replies = _posts_meeting(
        file_app,
        [(c, t, {**f, **d}) for c, t, f, d in zip(clients, targets, forms, changes, strict=True)],
    )

    statuses = [getattr(reply, "status_code", reply) for reply in replies]
    assert statuses == [302, 302 if second == "save" else 200]
    with file_app.app_context():
        stored = dict(
            db.session.execute(
                db.select(Answer.question_key, Answer.value).where(
                    Answer.response_id == response_id
                )
            ).all()
        )
    assert stored["name"] == "Anna Andersson"
    assert stored["workers"] == 120


def test_two_admins_adding_one_organisation_at_once_give_it_one_response(file_app):
    with file_app.app_context():
        buyer = make_org(OrgKind.BUYER)
        admins = [make_user(buyer, Role.BUYER_ADMIN) for _ in range(2)]
        first, late = make_org(OrgKind.RESELLER), make_org(OrgKind.BRAND)
        round_ = make_round(publish_version(1), [first], opened_by=admins[0])
        db.session.commit()
        round_id, first_id, late_id = round_.id, first.id, late.id
        for admin in admins:
            db.session.refresh(admin)
        db.session.close()
    page = f"/admin/rounds/{round_id}"
    clients, forms = [], []
    for admin in admins:
        client = file_app.test_client()
        with file_app.app_context():  # the sign-in's code step is reset in the database
            client.login(admin)
        clients.append(client)
        html = client.get(page).get_data(as_text=True)
        forms.append(hidden_inputs(html, action=f"{page}/join", page=page))

    join = {"organisations": [late_id]}
    replies = _posts_meeting(
        file_app, [(c, f"{page}/join", {**f, **join}) for c, f in zip(clients, forms, strict=True)]
    )

    # Both go ahead; or, where the database lets one write at a time (SQLite), the second
    # finds the organisation in the round already and says so. Never a server error.
    statuses = sorted(getattr(reply, "status_code", reply) for reply in replies)
    assert statuses in ([302, 302], [302, 422]), statuses
    with file_app.app_context():
        joined = db.session.scalars(
            db.select(Response.organisation_id).where(Response.round_id == round_id)
        ).all()
    assert sorted(joined) == sorted([first_id, late_id])

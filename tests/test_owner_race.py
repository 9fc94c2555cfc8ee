"""Two owners removing each other at the same moment leave one owner.

Each removal counts the organisation's owners before it goes ahead; without a lock both
count two and both go ahead, leaving nobody in charge. This runs two real requests in two
threads, on two connections, against a database of its own whose commits are real:
PostgreSQL when TEST_DATABASE_URL is set (with "_race" added to its name), a SQLite file
otherwise.
"""

import contextlib
import threading

import pytest
import sqlalchemy as sa

from portal.auth.models import User
from portal.extensions import db
from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.fixtures.builders import make_org, make_user
from tests.fixtures.database import app_of_its_own
from tests.fixtures.web import csrf_token_from

#: How long a request that is about to commit waits for the other to get there too. Without
#: the lock both get there (both having counted two owners); with it the other is waiting
#: for the lock, so the first goes on alone after this. Below SQLite's busy timeout (5 s).
MEET_SECONDS = 1.5


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    with app_of_its_own(tmp_path_factory, "_race") as app:
        yield app


def _active_owners(org_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(User.email).where(
                User.organisation_id == org_id,
                User.role == Role.SUPPLIER_OWNER.value,
                User.is_active.is_(True),
            )
        )
    )


def test_two_owners_removing_each_other_at_once_leave_one(race_app):
    with race_app.app_context():
        org = make_org(OrgKind.RESELLER)
        first = make_user(org, Role.SUPPLIER_OWNER)
        second = make_user(org, Role.SUPPLIER_OWNER)
        org_id, ids = org.id, {"first": first.id, "second": second.id}
        people = {"first": first, "second": second}
        db.session.remove()  # the test's own transaction must not hold SQLite's write lock
    browsers = {}
    for name, user in people.items():
        browsers[name] = race_app.test_client()
        browsers[name].login(user)
    tokens = {
        name: csrf_token_from(browser.get("/team/").get_data(as_text=True))
        for name, browser in browsers.items()
    }

    meet = threading.Barrier(2, timeout=MEET_SECONDS)

    def before_commit(session):
        if threading.current_thread().name.startswith("remove-"):
            # Broken: the other request is waiting for the lock (or has been refused).
            with contextlib.suppress(threading.BrokenBarrierError):
                meet.wait()

    answers = {}

    def remove(name: str, other: str) -> None:
        answers[name] = browsers[name].post(
            f"/team/members/{ids[other]}/remove", data={"csrf_token": tokens[name]}
        )

    threads = [
        threading.Thread(target=remove, args=("first", "second"), name="remove-first"),
        threading.Thread(target=remove, args=("second", "first"), name="remove-second"),
    ]
    sa.event.listen(sa.orm.Session, "before_commit", before_commit)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        sa.event.remove(sa.orm.Session, "before_commit", before_commit)

    assert [answers[name].status_code for name in ("first", "second")] == [302, 302]
    with race_app.app_context():
        remaining = _active_owners(org_id)
        db.session.remove()
    assert len(remaining) == 1, f"owners left: {remaining}"
    # The one left in charge carries on; the other was signed out by the removal.
    survivor = next(name for name, user in people.items() if user.email in remaining)
    removed = next(name for name in people if name != survivor)
    assert browsers[survivor].get("/team/").status_code == 200
    assert browsers[removed].get("/team/").headers["Location"].startswith("/login")

"""Per-test isolation: what one test writes, the next never sees (the canary)."""

from portal.extensions import db
from portal.orgs.models import Organisation
from tests.fixtures.builders import make_org


def _canaries():
    return db.session.scalars(db.select(Organisation).where(Organisation.name == "Canary AB")).all()


def test_canary_writes(app_context, client):
    make_org(name="Canary AB")
    assert len(_canaries()) == 1


def test_canary_is_gone_in_the_next_test(app_context):
    assert _canaries() == []

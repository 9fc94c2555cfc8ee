"""Whatever a form with a search is sent (the ticked ids, the search, the button: a register's
factories, a round's supplier organisations), it answers with the form or a redirect (a
refusal for NUL bytes): never a server error, and a search stores nothing."""

import io

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portal.evidence.models import EvidenceDocument
from portal.extensions import db
from portal.factories import services as factory_services
from portal.factories.models import Factory
from portal.questionnaires import services as questionnaire_services
from portal.questionnaires.models import Round
from tests.fixtures.builders import make_factory, make_org

_IDS = st.lists(
    st.one_of(
        st.text(max_size=30),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
    ),
    max_size=6,
)


def _long_register(client, owner, supplier, name: str) -> list:
    """A register too long to list whole, made once for all of a test's examples (the
    fixtures are the same for each), with its owner signed in."""
    if not hasattr(supplier, "_long_register"):
        supplier._long_register = [
            make_factory(supplier, name=f"{name} {n:02d}")
            for n in range(factory_services.ALL_CHOICES_UP_TO + 1)
        ]
        client.login(owner)
    return supplier._long_register


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ids=_IDS, search=st.text(max_size=300), action=st.sampled_from(["find", "", "upload", "x"]))
@example(ids=["1" * 5000, "٣", "²", " 7", "2147483647", "2147483648"], search="%_", action="find")
def test_whatever_the_search_form_is_sent_it_answers_and_a_search_stores_nothing(
    client, owner_a, supplier_a, ids, search, action
):
    register = _long_register(client, owner_a, supplier_a, "Works")
    page = f"/factories/{register[0].id}/evidence"
    before = db.session.scalar(db.select(db.func.count(EvidenceDocument.id)))

    reply = client.submit(
        page,
        {
            "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf"),
            "kind": "rba_vap_report",
            "factories": ids,
            "find": search,
            "action": action,
        },
    )

    refused = any("\x00" in value for value in (*ids, search))  # request_limits refuses NUL
    assert reply.status_code == 400 if refused else reply.status_code in (200, 302)
    stored = db.session.scalar(db.select(db.func.count(EvidenceDocument.id)))
    if action == "find":
        assert stored == before
        assert refused or reply.status_code == 200


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    chosen=st.one_of(st.text(max_size=30), st.integers(-(10**30), 10**30).map(str)),
    search=st.text(max_size=300),
    action=st.sampled_from(["find", "", "x"]),
)
@example(chosen="9" * 40, search="%_", action="find")
def test_whatever_the_factory_form_is_sent_it_answers_and_a_search_stores_nothing(
    client, owner_a, supplier_a, chosen, search, action
):
    _long_register(client, owner_a, supplier_a, "Assembly")
    before = db.session.scalar(db.select(db.func.count(Factory.id)))

    reply = client.submit(
        "/factories/new",
        {
            "name": "Sent Works",
            "country": "CN",
            "role": "main_component",
            "entered_on": "2024-01-01",
            "supplies_factory_id": chosen,
            "find": search,
            "action": action,
        },
    )

    refused = "\x00" in chosen + search  # request_limits refuses NUL
    assert reply.status_code == 400 if refused else reply.status_code in (200, 302)
    stored = db.session.scalar(db.select(db.func.count(Factory.id)))
    if action == "find":
        assert stored == before
        assert refused or reply.status_code == 200


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ids=_IDS, search=st.text(max_size=300), action=st.sampled_from(["find", "", "x"]))
@example(ids=["1" * 5000, "٣", "²", " 7", "2147483647", "2147483648"], search="%_", action="find")
def test_whatever_the_round_form_is_sent_it_answers_and_a_search_opens_no_round(
    client, admin, mini_v1, monkeypatch, ids, search, action
):
    monkeypatch.setattr(questionnaire_services, "ALL_ORGANISATIONS_UP_TO", 2)
    if not hasattr(admin, "_organisations"):
        admin._organisations = [make_org(name=f"Sent {n} AB") for n in range(3)]
        client.login(admin)
    fields = {
        "kind": "tender",
        "title": "Sent round",
        "version": str(mini_v1.id),
        "closes_on": "2099-01-01",
        "reminder_days": "7",
        "organisations": [*ids, str(admin._organisations[0].id)],
        "find": search,
        "action": action,
    }
    before = db.session.scalar(db.select(db.func.count(Round.id)))

    reply = client.submit("/admin/rounds/new", fields)

    refused = any("\x00" in value for value in (*ids, search))  # request_limits refuses NUL
    assert reply.status_code == 400 if refused else reply.status_code in (200, 302)
    if action == "find":
        assert db.session.scalar(db.select(db.func.count(Round.id))) == before
        assert refused or reply.status_code == 200

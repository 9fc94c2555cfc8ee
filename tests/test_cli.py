"""The operator commands `flask create-admin` and `flask load-demo`.

They run through app.test_cli_runner() inside each test's rolled-back transaction: the
commands' own db.session.commit() is a savepoint there (tests/fixtures/database.py).
"""

from datetime import timedelta

import pytest

from portal.auth.models import User
from portal.contracts import services as contracts
from portal.demo import (
    DEMO_CONTRACTS,
    DEMO_FIGURE_SOURCE,
    DEMO_ROUND,
    FOLLOW_UP_ROUND,
    MARKET_ROUND,
    UPCOMING_ROUND,
)
from portal.demo import ORGANISATIONS as DEMO_ORGANISATIONS
from portal.demo import USERS as DEMO_USERS
from portal.evidence.models import EvidenceDocument
from portal.extensions import db
from portal.findings import services as findings
from portal.findings.deadlines import State as FindingState
from portal.findings.models import CorrectiveAction
from portal.ladder.services import current_marks
from portal.ladder.services import current_version as current_ladder
from portal.ladder.services import standing as ladder_standing
from portal.orgs.models import Organisation, OrgKind
from portal.passwords import verify_password
from portal.questionnaires.models import Response, ResponseStatus, Round
from portal.questionnaires.services import answers_of, submit_problems, values_of
from portal.review.models import Review
from portal.roles import Role
from portal.selection.models import CountryRisk
from portal.timeutil import utcnow
from tests.fixtures.builders import make_org, make_user, shipped_versions

ADMIN_PASSWORD = "quiet lanterns over the harbour"


@pytest.fixture
def run(app_context):
    runner = app_context.test_cli_runner()

    def invoke(*args: str, **kwargs):
        return runner.invoke(args=list(args), **kwargs)

    return invoke


def _users() -> list[User]:
    return list(db.session.scalars(db.select(User).order_by(User.email)))


def _organisations() -> list[Organisation]:
    return list(db.session.scalars(db.select(Organisation).order_by(Organisation.name)))


# create-admin -----------------------------------------------------------------------------------
def test_create_admin_creates_the_buyer_organisation_and_an_administrator(run):
    result = run(
        "create-admin",
        "Boss@Region.Example",
        "--name",
        "Berit Boss",
        "--organisation",
        "Region Testland",
        "--password",
        ADMIN_PASSWORD,
    )

    assert result.exit_code == 0, result.output
    assert "Created buyer administrator boss@region.example in Region Testland." in result.output
    db.session.expire_all()
    [buyer] = _organisations()
    assert (buyer.kind, buyer.name, buyer.country) == (OrgKind.BUYER, "Region Testland", "SE")
    assert buyer.contact_email == "boss@region.example"
    [admin] = _users()
    assert admin.email == "boss@region.example"
    assert admin.full_name == "Berit Boss"
    assert admin.role == Role.BUYER_ADMIN.value
    assert admin.organisation_id == buyer.id
    assert admin.is_active
    assert admin.totp_secret is None  # set up at the first sign-in
    assert admin.requires_mfa
    assert verify_password(admin.password_hash, ADMIN_PASSWORD)
    assert ADMIN_PASSWORD not in admin.password_hash


def test_create_admin_prompts_for_the_password_twice_when_not_given(run):
    result = run(
        "create-admin",
        "boss@region.example",
        "--name",
        "Berit Boss",
        "--organisation",
        "Region Testland",
        input=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert ADMIN_PASSWORD not in result.output  # hidden input
    db.session.expire_all()
    [admin] = _users()
    assert verify_password(admin.password_hash, ADMIN_PASSWORD)


def test_create_admin_joins_the_existing_buyer_organisation(run):
    buyer = make_org(OrgKind.BUYER, name="Region Befintlig")

    result = run(
        "create-admin",
        "second@region.example",
        "--name",
        "Sigrid Second",
        "--password",
        ADMIN_PASSWORD,
    )

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert [o.id for o in _organisations()] == [buyer.id]
    [admin] = _users()
    assert admin.organisation_id == buyer.id


def test_create_admin_needs_an_organisation_name_when_there_is_no_buyer(run):
    result = run(
        "create-admin", "boss@region.example", "--name", "Berit Boss", "--password", ADMIN_PASSWORD
    )

    assert result.exit_code == 1
    assert "There is no buyer organisation yet: give its name with --organisation." in (
        result.output
    )
    db.session.expire_all()
    assert _users() == []
    assert _organisations() == []


def test_create_admin_refuses_a_common_password(run):
    result = run(
        "create-admin",
        "boss@region.example",
        "--name",
        "Berit Boss",
        "--organisation",
        "Region Testland",
        "--password",
        "password123",
    )

    assert result.exit_code == 2  # a usage error: nothing was done
    assert "Invalid value for '--password'" in result.output
    assert "This password is too common; choose one that is harder to guess." in result.output
    db.session.expire_all()
    assert _users() == []
    assert _organisations() == []


def test_create_admin_refuses_an_address_that_already_has_an_account(run):
    existing = make_user(role=Role.SUPPLIER_OWNER, email="taken@example.com")
    before = len(_users())

    result = run(
        "create-admin",
        "  Taken@Example.com ",
        "--name",
        "Someone Else",
        "--organisation",
        "Region Testland",
        "--password",
        ADMIN_PASSWORD,
    )

    assert result.exit_code == 1
    assert "taken@example.com already has an account." in result.output
    db.session.expire_all()
    assert len(_users()) == before
    assert db.session.get(User, existing.id).role == Role.SUPPLIER_OWNER.value
    assert not any(o.kind == OrgKind.BUYER for o in _organisations())


# load-demo --------------------------------------------------------------------------------------
def test_load_demo_prints_the_logins_and_can_be_run_again(run):
    first = run("load-demo", "--password", "first demo password")

    assert first.exit_code == 0, first.output
    assert "Demo logins (password for all: first demo password)" in first.output
    for email_address, _, role, organisation in DEMO_USERS:
        line = next(li for li in first.output.splitlines() if email_address in li)
        assert role.value in line
        assert organisation in line
    db.session.expire_all()
    users = _users()
    assert sorted(u.email for u in users) == sorted(u[0] for u in DEMO_USERS)
    assert len(_organisations()) == len(DEMO_ORGANISATIONS)

    second = run("load-demo", "--password", "second demo password")

    assert second.exit_code == 0, second.output
    assert "Demo logins (password for all: second demo password)" in second.output
    db.session.expire_all()
    again = _users()
    assert [u.id for u in again] == [u.id for u in users]
    assert len(_organisations()) == len(DEMO_ORGANISATIONS)
    for user in again:
        assert verify_password(user.password_hash, "second demo password")
    # The shipped questionnaire is published, one demo round is open to every supplier and a
    # follow-up round on the newest version to two; running again adds none.
    rounds = db.session.scalars(db.select(Round).order_by(Round.id)).all()
    newest = f"ict-social v{max(n for k, n in shipped_versions() if k == 'ict-social')}"
    assert [(r.title, r.kind, r.version.label) for r in rounds] == [
        (DEMO_ROUND, "tender", "ict-social v1"),
        (FOLLOW_UP_ROUND, "follow_up", newest),
        (MARKET_ROUND, "market_dialogue", newest),
        (UPCOMING_ROUND, "tender", newest),
        *(
            (f"{title} ({reference})", "follow_up", "ict-social-report v2")
            for _, reference, title, *_rest, story in DEMO_CONTRACTS
            if story
        ),
    ]
    suppliers = [o for o in _organisations() if o.kind != OrgKind.BUYER]
    # Every supplier in three rounds, two of them in the follow-up, and one response for each
    # contract report requested.
    reports = sum(1 for *_rest, story in DEMO_CONTRACTS if story)
    assert reports == 3
    responses = db.session.scalar(db.select(db.func.count(Response.id)))
    assert responses == 3 * len(suppliers) + 2 + reports


def test_load_demo_shows_every_state_of_a_response(run):
    """A newcomer finds a response awaiting review, one under clarification and one accepted
    with its score and ladder marks, each answering the shipped questionnaire."""
    assert run("load-demo", "--password", "first demo password").exit_code == 0
    db.session.expire_all()
    demo = db.session.scalar(db.select(Round).where(Round.title == DEMO_ROUND))
    responses = db.session.scalars(db.select(Response).where(Response.round_id == demo.id)).all()
    states = {}
    for response in responses:
        review = db.session.scalar(db.select(Review).where(Review.response_id == response.id))
        states[response.organisation.name] = (response.status, review.status if review else None)
        assert submit_problems(response, answers_of(response)) == []
        assert len(answers_of(response)) > 30
    assert sorted(states.values(), key=str) == sorted(
        [("submitted", None), ("clarification", "clarification"), ("submitted", "accepted")],
        key=str,
    )
    accepted = next(r for r in responses if states[r.organisation.name][1] == "accepted")
    assert db.session.scalar(db.select(Review).where(Review.response_id == accepted.id)).scores
    assert current_marks(accepted.organisation_id)
    factories = answers_of(accepted)["factory_list"].value
    assert db.session.scalar(
        db.select(db.func.count(EvidenceDocument.id)).where(
            EvidenceDocument.response_id == accepted.id
        )
    )
    assert {f["role"] for f in factories} == {"final_assembly", "main_component"}


def test_load_demo_shows_what_the_newest_content_adds(run, client, reviewer):
    """The follow-up round on the newest questionnaire has a response whose answer earns a
    credit (TCO Certified), the accepted reseller stands on the ladder brand by brand, and its
    register shows products, supplied factories, the workforce, an earlier view of an edited
    factory and a brand confirmation."""
    assert run("load-demo", "--password", "first demo password").exit_code == 0
    db.session.expire_all()
    follow_up = db.session.scalar(db.select(Round).where(Round.title == FOLLOW_UP_ROUND))
    credited = db.session.scalars(
        db.select(Response).where(
            Response.round_id == follow_up.id, Response.status == ResponseStatus.SUBMITTED
        )
    ).all()
    assert len(credited) == 1
    definition = credited[0].version.definition
    assert definition.credits(values_of(answers_of(credited[0])))
    reseller = next(o for o in _organisations() if o.name == "Nordlys IT-partner AB")
    standing = ladder_standing(reseller.id, current_ladder().ladder)
    assert len({brand.step for brand in standing.brands}) > 1  # the brands stand apart
    assert standing.step == min(brand.step for brand in standing.brands)
    client.login(reviewer)
    page = client.get(f"/review/responses/{credited[0].id}").get_data(as_text=True)
    assert "credited by" in page
    owner = db.session.scalar(db.select(User).where(User.email == "owner@nordlys.example"))
    client.logout()
    client.login(owner, "first demo password")
    register = client.get("/factories").get_data(as_text=True)
    assert "Lumenic Book 14" in register
    assert "Confirmed with" in register
    earlier = client.get("/factories?on=2025-06-01").get_data(as_text=True)
    today = client.get("/factories").get_data(as_text=True)
    assert earlier != today


def test_load_demo_shows_a_market_dialogue_and_the_rounds_to_come(run, client, admin):
    """Two suppliers have answered the market dialogue in full, so its maturity page has
    figures; the third is still at it with an extended deadline; a tender is yet to open."""
    assert run("load-demo", "--password", "first demo password").exit_code == 0
    db.session.expire_all()
    market = db.session.scalar(db.select(Round).where(Round.title == MARKET_ROUND))
    statuses = sorted(
        db.session.scalars(db.select(Response.status).where(Response.round_id == market.id))
    )
    assert statuses == ["draft", "submitted", "submitted"]
    client.login(admin)
    page = client.get(f"/review/rounds/{market.id}/maturity").get_data(as_text=True)
    assert "Proving this would need the brand&#39;s own audit reports." in page
    assert "Ready to be a mandatory requirement" in page
    round_page = client.get(f"/admin/rounds/{market.id}").get_data(as_text=True)
    assert "extended" in round_page
    client.logout()
    owner = db.session.scalar(db.select(User).where(User.email == "owner@kvarnholm.example"))
    client.login(owner, "first demo password")
    home = client.get("/supplier").get_data(as_text=True)
    assert UPCOMING_ROUND in home
    assert "Upcoming" in home


def test_load_demo_shows_findings_in_every_state(run, client):
    """Both sides meet corrective actions in every state: a plan due and one overdue, a plan
    awaiting review, one returned, one accepted with the proof due, proof awaiting review, a
    closed finding and a deadline extended."""
    assert run("load-demo", "--password", "first demo password").exit_code == 0
    db.session.expire_all()
    actions = db.session.scalars(db.select(CorrectiveAction)).all()
    assert {a.state for a in actions} == set(FindingState)
    plans_due = [findings.clock(a).overdue for a in actions if a.state == "plan_due"]
    assert sorted(plans_due) == [False, False, True]
    # Overdue after the plan too: a returned plan not sent again, and proof not sent in time.
    overdue = {a.state for a in actions if findings.clock(a).overdue}
    assert {"plan_returned", "plan_accepted"} <= overdue
    [extended] = [a for a in actions if any(s.kind == "extended" for s in a.steps)]
    assert not findings.clock(extended).overdue
    owner = db.session.scalar(db.select(User).where(User.email == "owner@nordlys.example"))
    client.login(owner, "first demo password")
    home = client.get("/supplier").get_data(as_text=True)
    assert "1 overdue" in home
    assert "Fire exits locked during shifts" in client.get("/findings").get_data(as_text=True)


def test_load_demo_shows_contracts_and_their_reports(run, client, admin):
    """Contracts in four categories: one report submitted, one requested and waiting, one
    requested and overdue, one not yet due; the buyer's list shows them, and each supplier its
    own."""
    assert run("load-demo", "--password", "first demo password").exit_code == 0
    db.session.expire_all()
    listed = db.session.scalars(db.select(contracts.Contract)).all()
    states = contracts.report_states(listed)
    assert sorted((c.category, states[c.id].state) for c in listed) == [
        ("monitors", "requested"),
        ("network_security", "overdue"),
        ("pcs", "submitted"),
        ("servers_storage", "not_due"),
    ]
    client.login(admin)
    page = client.get("/contracts").get_data(as_text=True)
    assert all(reference in page for _, reference, *_rest in DEMO_CONTRACTS)
    [overdue] = [c for c in listed if states[c.id].state == "overdue"]
    assert "Overdue: the deadline was" in client.get(f"/contracts/{overdue.id}").get_data(
        as_text=True
    )
    # Requested two months ago, its closing day a month ago: a timeline that holds together.
    round_ = db.session.get(Round, overdue.report_round_id)
    assert round_.opens_at + timedelta(days=27) < round_.closes_at < utcnow() - timedelta(days=27)
    client.logout()
    owner = db.session.scalar(db.select(User).where(User.email == "owner@kvarnholm.example"))
    client.login(owner, "first demo password")
    mine = client.get("/supplier/contracts").get_data(as_text=True)
    assert "RN-2026-0033" in mine
    assert "RN-2025-0412" not in mine


def test_load_demo_ranks_the_contracted_suppliers_by_risk(run, client, admin):
    """The country-risk table holds figures labelled as made up, one factory country is left
    out of it, and the audit selection ranks the three contracted suppliers."""
    assert run("load-demo", "--password", "first demo password").exit_code == 0
    db.session.expire_all()
    sources = {row.overall_source for row in db.session.scalars(db.select(CountryRisk))}
    assert sources == {DEMO_FIGURE_SOURCE}
    client.login(admin)
    page = client.get("/selection/").get_data(as_text=True)
    ranking = page.split('id="ranking-table"', 1)[1]
    for name in ("Nordlys IT-partner AB", "Kvarnholm Datacenter AB", "Lumenic Devices Ltd"):
        assert f">{name}</th>" in ranking
    assert "Mexico <strong>not in the table</strong>" in ranking
    assert "<strong>Proposed</strong>" in ranking
    assert DEMO_FIGURE_SOURCE in client.get("/selection/countries").get_data(as_text=True)


def test_load_demo_shows_each_supplier_at_a_glance(run, client, admin):
    """Nordlys at a glance: its contract with the report submitted, its accepted response
    with the score, its brands on different steps, its factories by country, an overdue plan
    and its place in the ranking; the other demo suppliers' pages open too."""
    assert run("load-demo", "--password", "first demo password").exit_code == 0
    db.session.expire_all()
    client.login(admin)
    suppliers = {o.name: o for o in _organisations() if o.kind != OrgKind.BUYER}
    pages = {
        name: client.get(f"/review/suppliers/{o.id}").get_data(as_text=True)
        for name, o in suppliers.items()
    }
    nordlys = pages["Nordlys IT-partner AB"]
    assert "RN-2025-0412" in nordlys
    assert "award points" in nordlys
    assert 'id="brand-steps"' in nordlys
    assert "Malaysia" in nordlys
    assert "Overdue by" in nordlys
    assert "suppliers with a contract running today" in nordlys
    assert all("<h1>" + name + "</h1>" in page for name, page in pages.items())


def test_load_demo_shows_the_long_lists_of_a_large_register(run, client):
    """Lumenic's register is long: the register comes a page at a time, a component factory
    chooses the assembly factory it supplies by search, and its submitted response shows the
    first factories of its frozen list and links to the whole list."""
    assert run("load-demo", "--password", "first demo password").exit_code == 0
    db.session.expire_all()
    owner = db.session.scalar(db.select(User).where(User.email == "owner@lumenic.example"))
    client.login(owner, "first demo password")

    register = client.get("/factories").get_data(as_text=True)
    new_factory = client.get("/factories/new").get_data(as_text=True)
    submitted = db.session.scalars(
        db.select(Response).where(
            Response.organisation_id == owner.organisation_id,
            Response.status == ResponseStatus.SUBMITTED.value,
        )
    ).all()
    lists = [client.get(f"/responses/{r.id}/answers").get_data(as_text=True) for r in submitted]

    assert "Showing 1–25 of 114" in register
    assert "25 of 53 factories are shown." in new_factory
    assert any("See all 114 factories, with search and sorting" in page for page in lists)
    assert any("By role: 53 final assembly, 61 main components." in page for page in lists)


def test_load_demo_makes_up_a_password_when_none_is_given(run):
    result = run("load-demo")

    assert result.exit_code == 0, result.output
    [line] = [li for li in result.output.splitlines() if "password for all:" in li]
    password = line.rsplit(": ", 1)[1].rstrip(")")
    assert len(password) >= 12
    db.session.expire_all()
    assert all(verify_password(u.password_hash, password) for u in _users())


def test_load_demo_refuses_to_run_in_production(run, app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")

    result = run("load-demo", "--password", "some demo password")

    assert result.exit_code == 1
    assert "Demo data is never loaded in production." in result.output
    db.session.expire_all()
    assert _users() == []
    assert _organisations() == []

"""The market-maturity page of a round: shares, effort, verdicts, advice, comparison, exports.

A round of 40 generated responses (20 resellers, then 20 brands) on the fixture questionnaire
`market` v1, whose figures were worked out by hand:

| criterion (intended use)   | meets it                      | hours                      |
|----------------------------|-------------------------------|----------------------------|
| transparency (requirement) | i<16 and 20≤i<28: 24 = 60 %   | i: median 19.5, 9.75–29.25 |
| monitoring (award)         | i<10 and 20≤i<30: 20 = 50 %   | 10 for all                 |
| worker_empowerment (award) | i<4 and 20≤i<24: 8 = 20 %     | 40 + 4·(i mod 10): 58, 48–68  |
| minerals_policy (clause)   | i<7: 7 = 17.5 %               | i/2, even i: 9.5, 4.75–14.25 |

Award points (15 in all; sections 60/40; supply_chain's gradable weights 1 and 3):
transparency 15·0.6·1/4 = 2.25, monitoring 15·0.6·3/4 = 6.75, worker_empowerment 15·0.4 = 6,
minerals_policy 0.
"""

import csv
import io

import openpyxl
import pytest

from portal.extensions import db
from portal.orgs.models import OrgKind
from portal.questionnaires.models import MarketAnswer, ResponseStatus, Round
from portal.roles import Role
from portal.rounds import maturity
from portal.timeutil import utcnow
from tests.fixtures.builders import make_org, make_round, make_user, publish_version, response_of

RESPONSES = 40


def _transparency(i):
    return "yes" if i < 16 or 20 <= i < 28 else "no"


def _monitoring(i):
    return "yes" if i < 10 or 20 <= i < 30 else "partly"


def _worker_empowerment(i):
    if i < 4 or 20 <= i < 24:
        return "yes"
    if 4 <= i < 8:
        return "planned"
    if 24 <= i < 28:
        return "partly"
    return "no"


def _minerals_policy(i):
    return "yes" if i < 7 else "no"


#: criterion → (answer of response i, hours of response i)
PLAN = {
    "transparency": (_transparency, lambda i: i),
    "monitoring": (_monitoring, lambda i: 10),
    "worker_empowerment": (_worker_empowerment, lambda i: 40 + 4 * (i % 10)),
    "minerals_policy": (_minerals_policy, lambda i: i / 2 if i % 2 == 0 else None),
}


def _answer(response, criterion, meets, hours, comment=None):
    db.session.add(
        MarketAnswer(
            response_id=response.id,
            criterion=criterion,
            meets=meets,
            planned_by=utcnow().date().replace(year=utcnow().year + 1)
            if meets == "planned"
            else None,
            effort_hours=hours,
            comment=comment,
        )
    )


def _submit(response):
    response.status = ResponseStatus.SUBMITTED.value
    response.submitted_at = utcnow()


def market_round(version, count: int, *, title=None, plan=PLAN, comments=True):
    """A market-dialogue round of `count` submitted responses answered by `plan`, and one
    draft whose answers must not count."""
    kinds = [OrgKind.RESELLER if i < count // 2 else OrgKind.BRAND for i in range(count)]
    organisations = [
        make_org(kind, name=f"Maturity {i:02d} {kind}") for i, kind in enumerate(kinds)
    ]
    draft_org = make_org(OrgKind.BRAND, name="Still drafting")
    round_ = make_round(version, [*organisations, draft_org], title=title)
    round_.kind = "market_dialogue"
    for i, organisation in enumerate(organisations):
        response = response_of(round_, organisation)
        _submit(response)
        for criterion, (meets, hours) in plan.items():
            comment = None
            if comments and criterion == "worker_empowerment" and i in (1, 25):
                comment = f"Committees take time ({i})."
            _answer(response, criterion, meets(i), hours(i), comment)
    draft = response_of(round_, draft_org)
    draft.status = ResponseStatus.DRAFT.value
    for criterion in PLAN:
        _answer(draft, criterion, "yes", 9999, '=HYPERLINK("not counted")')
    db.session.commit()
    return round_


def _stored(round_):
    """The round's thresholds as stored now."""
    db.session.expire_all()
    return db.session.scalar(db.select(Round.maturity_thresholds).where(Round.id == round_.id))


@pytest.fixture
def market_v1(app_context):
    return publish_version(1, key="market")


@pytest.fixture
def forty(market_v1, admin):
    return market_round(market_v1, RESPONSES, title="Dialogue 2027")


def test_forty_responses_give_the_hand_computed_figures(app, forty):
    figures = maturity.figures(forty, app.config["SOCIAL_AWARD_POINTS"])
    by_key = figures.by_key
    assert list(by_key) == ["transparency", "monitoring", "worker_empowerment", "minerals_policy"]

    transparency = by_key["transparency"]
    assert transparency.shares.respondents == 40
    assert transparency.shares.percent("yes") == 60
    assert transparency.shares.percent("no") == 40
    assert transparency.by_kind["reseller"].percent("yes") == 80
    assert transparency.by_kind["brand"].percent("yes") == 40
    effort = transparency.effort
    assert (effort.reported, effort.minimum, effort.maximum) == (40, 0, 39)
    assert (effort.lower_quartile, effort.median, effort.upper_quartile) == (9.75, 19.5, 29.25)
    assert transparency.verdict == "requirement"
    assert transparency.award_points == pytest.approx(2.25)

    monitoring = by_key["monitoring"]
    assert monitoring.shares.percent("yes") == 50  # exactly the requirement threshold
    assert monitoring.shares.percent("partly") == 50
    assert monitoring.effort.median == 10
    assert monitoring.verdict == "requirement"
    assert monitoring.award_points == pytest.approx(6.75)

    workers = by_key["worker_empowerment"]
    assert {m: workers.shares.count(m) for m in maturity.MEETS} == {
        "yes": 8,
        "partly": 4,
        "planned": 4,
        "no": 24,
    }
    assert workers.shares.percent("yes") == 20  # exactly the award threshold
    assert workers.by_kind["reseller"].percent("planned") == 20
    assert workers.by_kind["brand"].percent("partly") == 20
    effort = workers.effort
    assert (effort.minimum, effort.lower_quartile, effort.median) == (40, 48, 58)
    assert (effort.upper_quartile, effort.maximum) == (68, 76)
    assert workers.verdict == "award"
    assert workers.award_points == pytest.approx(6)

    minerals = by_key["minerals_policy"]
    assert minerals.shares.percent("yes") == 17.5
    assert minerals.verdict == "milestone"
    assert minerals.effort.reported == 20  # hours left blank are not counted
    assert (minerals.effort.lower_quartile, minerals.effort.median) == (4.75, 9.5)
    assert minerals.effort.upper_quartile == 14.25
    assert minerals.award_points == 0

    # Advice: monitoring is met by half the market but meant as an award criterion; worker
    # empowerment takes the most effort (58 h, above the middle 14.75 h) for fewer points than
    # the average award criterion (6 < 6.375).
    assert [c.key for c in figures.criteria if c.mandatory_candidate] == ["monitoring"]
    assert [c.key for c in figures.criteria if c.costly] == ["worker_empowerment"]


def test_the_page_shows_the_figures_chart_advice_and_comments(client, reviewer, forty):
    client.login(reviewer)
    html = client.get(f"/review/rounds/{forty.id}/maturity").get_data(as_text=True)
    assert "Dialogue 2027" in html
    assert "<svg" in html
    assert 'role="img"' in html
    assert "Transparency: Meets it 60 %, Does not meet it 40 %." in html
    assert 'id="maturity-table"' in html
    assert "19.5 (9.8–29.2)" in html or "19.5 (9.8–29.3)" in html
    assert "58 (48–68)" in html
    assert "Ready to be a mandatory requirement" in html
    assert "Milestone path and more dialogue" in html
    assert "a candidate for a mandatory requirement" in html
    assert "High effort for few award points" in html
    assert "Committees take time (1)." in html
    assert "Committees take time (25)." in html
    assert "not counted" not in html
    assert "Still drafting" not in html
    assert "Save the thresholds" not in html  # only the admin edits them


def test_the_rounds_list_links_to_market_rounds_only(client, reviewer, forty, market_v1):
    tender = make_round(market_v1, [], title="A tender")
    client.login(reviewer)
    html = client.get("/review/maturity").get_data(as_text=True)
    assert f"/review/rounds/{forty.id}/maturity" in html
    assert tender.title not in html


def test_the_admin_edits_the_thresholds(client, admin, forty, app):
    client.login(admin)
    page = f"/review/rounds/{forty.id}/maturity"
    url = f"{page}/thresholds"
    reply = client.submit(url, {"requirement": "60", "award": "15"}, page=page)
    assert reply.status_code == 302
    assert _stored(forty) == {"requirement": 60, "award": 15}
    verdicts = {
        c.key: c.verdict
        for c in maturity.figures(
            db.session.get(Round, forty.id), app.config["SOCIAL_AWARD_POINTS"]
        ).criteria
    }
    assert verdicts == {
        "transparency": "requirement",
        "monitoring": "award",
        "worker_empowerment": "award",
        "minerals_policy": "award",
    }
    html = client.get(page).get_data(as_text=True)
    assert "At least 60 % meeting a criterion" in html

    refused = client.submit(url, {"requirement": "30", "award": "40"}, page=page)
    assert refused.status_code == 400
    assert "cannot be above the requirement threshold" in refused.get_data(as_text=True)
    refused = client.submit(url, {"requirement": "101", "award": ""}, page=page)
    assert refused.status_code == 400
    assert "Enter a percentage from 0 to 100." in refused.get_data(as_text=True)

    assert client.submit(url, {"requirement": "50", "award": "20"}, page=page).status_code == 302
    assert _stored(forty) is None  # the defaults again


def test_comparison_with_an_earlier_round_of_the_same_questionnaire(
    client, reviewer, forty, market_v1
):
    everyone_meets = {key: (lambda i: "yes", hours) for key, (_, hours) in PLAN.items()}
    later = market_round(market_v1, 4, title="Dialogue 2028", plan=everyone_meets)
    client.login(reviewer)
    page = f"/review/rounds/{later.id}/maturity"
    html = client.get(page).get_data(as_text=True)
    assert f'<option value="{forty.id}">Dialogue 2027</option>' in html
    assert "Meeting it in" not in html
    compared = client.get(f"{page}?compare={forty.id}").get_data(as_text=True)
    assert "Meeting it in Dialogue 2027" in compared
    # The earlier round offers no later one to compare with.
    earlier_page = client.get(f"/review/rounds/{forty.id}/maturity").get_data(as_text=True)
    assert "Dialogue 2028" not in earlier_page
    # An unknown or later round chosen by hand is no comparison.
    assert "Meeting it in" not in client.get(f"{page}?compare=999999").get_data(as_text=True)

    reply = client.get(f"/review/rounds/{later.id}/maturity.csv?compare={forty.id}")
    rows = list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig"))))
    assert rows[0][-1] == "Meeting it in Dialogue 2027 (%)"
    assert rows[1][0] == "Transparency"
    assert rows[1][-1] == "60.0"


def test_exports_as_csv_and_xlsx(client, reviewer, forty):
    client.login(reviewer)
    reply = client.get(f"/review/rounds/{forty.id}/maturity.csv")
    assert reply.status_code == 200
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig"))))
    assert rows[0] == [
        "Criterion",
        "Intended use",
        "Respondents",
        "Meets it (%)",
        "Partly (%)",
        "Planned by a date (%)",
        "Does not meet it (%)",
        "Reseller meeting it (%)",
        "Brand meeting it (%)",
        "Effort, median (hours)",
        "Effort, lower quartile (hours)",
        "Effort, upper quartile (hours)",
        "Award points",
        "Verdict",
        "Weighting advice",
    ]
    assert rows[1] == [
        "Transparency",
        "Mandatory requirement",
        "40",
        "60.0",
        "0.0",
        "0.0",
        "40.0",
        "80.0",
        "40.0",
        "19.5",
        "9.8",
        "29.2",
        "2.25",
        "Ready to be a mandatory requirement",
        "",
    ]
    assert rows[3][0] == "Worker empowerment"
    assert rows[3][-1] == "High effort for few award points: bidders may skip it."
    assert len(rows) == 5

    book = client.get(f"/review/rounds/{forty.id}/maturity.xlsx")
    assert book.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(book.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Criterion"
    assert values[2][:3] == ("Monitoring", "Award criterion", 40)
    assert client.get(f"/review/rounds/{forty.id}/maturity.pdf").status_code == 404


def test_swedish_page_and_export(client, reviewer, forty):
    client.login(reviewer)
    html = client.get(
        f"/review/rounds/{forty.id}/maturity", headers={"Accept-Language": "sv"}
    ).get_data(as_text=True)
    assert "Marknadsmognad" in html
    header = (
        client.get(f"/review/rounds/{forty.id}/maturity.csv", headers={"Accept-Language": "sv"})
        .get_data()
        .decode("utf-8-sig")
    )
    assert header.startswith("Kriterium")


def test_suppliers_and_strangers_are_kept_out(client, make_client, forty, admin):
    supplier = make_user(make_org(OrgKind.RESELLER), Role.SUPPLIER_OWNER)
    client.login(supplier)
    base = f"/review/rounds/{forty.id}/maturity"
    assert client.get("/review/maturity").status_code == 403
    assert client.get(base).status_code == 403
    assert client.get(f"{base}.csv").status_code == 403
    assert client.post(f"{base}/thresholds", data={}).status_code in (400, 403)

    reviewer = make_user(admin.organisation, Role.REVIEWER)
    staff = make_client()
    staff.login(reviewer)
    assert staff.get("/review/rounds/999999/maturity").status_code == 404
    assert staff.submit(
        f"{base}/thresholds", {"requirement": "10", "award": "5"}, page=base
    ).status_code in (400, 403)
    assert _stored(forty) is None
    anonymous = make_client()
    assert anonymous.get(base).status_code == 302


def test_the_page_takes_the_same_queries_for_4_or_40_responses(
    client, reviewer, forty, market_v1, count_queries
):
    small = market_round(market_v1, 4, title="Small")
    client.login(reviewer)

    def queries(round_, compare=None):
        url = f"/review/rounds/{round_.id}/maturity"
        if compare:
            url += f"?compare={compare.id}"
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    few = queries(small)
    many = queries(forty)
    # The small round was opened later: it has one round to compare with, the forty none.
    assert few == many
    assert queries(small, compare=forty) == few + 1  # the earlier round's one GROUP BY

"""Buyer staff's lists of suppliers lead to each supplier's latest submitted response on the
review page, without a query per supplier."""

import re
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.ladder import services as ladder_services
from portal.orgs.models import OrgKind
from portal.questionnaires.models import ResponseStatus
from portal.timeutil import utcnow
from tests.fixtures.builders import make_org, make_round, response_of

LISTS = ["/review", "/admin/", "/review/ladder"]


def _submit(response, *, days_ago: int = 0):
    """A response as submitted `days_ago` (the status and moment a supplier's submit sets)."""
    response.status = ResponseStatus.SUBMITTED.value
    response.submitted_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return response


@pytest.fixture
def responses(app_context, mini_v1, supplier_a, supplier_b, admin):
    """Supplier A submitted twice (last year and now); supplier B has only a draft."""
    ladder_services.publish(1)
    earlier = make_round(mini_v1, [supplier_a, supplier_b], opened_by=admin, title="Tender 2026")
    later = make_round(mini_v1, [supplier_a], opened_by=admin, title="Market dialogue 2027")
    old = _submit(response_of(earlier, supplier_a), days_ago=365)
    latest = _submit(response_of(later, supplier_a))
    return old, latest


def _row(html: str, name: str) -> str:
    """The table row whose header cell names the organisation."""
    for row in re.findall(r"<tr>.*?</tr>", html, re.DOTALL):
        if re.search(rf"<th scope=\"row\">(<a [^>]*>)?{re.escape(name)}(</a>)?</th>", row):
            return row
    raise AssertionError(f"no row for {name}")


@pytest.mark.parametrize("url", LISTS)
def test_each_supplier_row_links_to_its_latest_submitted_response(
    client, responses, admin, supplier_b, url
):
    old, latest = responses
    client.login(admin)
    html = client.get(url).get_data(as_text=True)
    row = _row(html.split("<h2>Organisations</h2>")[-1], "Alfa Data AB")
    assert f'href="/review/responses/{latest.id}"' in row
    assert "Market dialogue 2027" in row
    assert f"/review/responses/{old.id}" not in row
    assert "None submitted yet" in _row(html.split("<h2>Organisations</h2>")[-1], supplier_b.name)
    review = client.get(f"/review/responses/{latest.id}")
    assert review.status_code == 200
    assert "Alfa Data AB" in review.get_data(as_text=True)


def test_the_reviewers_latest_responses_lead_to_the_review_page(client, responses, reviewer):
    _old, latest = responses
    client.login(reviewer)
    html = client.get("/review").get_data(as_text=True)
    submitted = html.split("Latest submitted responses")[1].split("<h2>")[0]
    assert f'href="/review/responses/{latest.id}"' in submitted
    assert "/answers" not in submitted


@pytest.mark.parametrize("url", LISTS)
def test_the_lists_take_the_same_queries_for_few_or_many_suppliers(
    client, responses, admin, mini_v1, count_queries, url
):
    client.login(admin)

    def queries() -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    few = queries()
    others = [make_org(OrgKind.BRAND) for _ in range(12)]
    round_ = make_round(mini_v1, others, opened_by=admin)
    for organisation in others:
        _submit(response_of(round_, organisation))
    assert queries() == few

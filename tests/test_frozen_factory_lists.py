"""A factory list frozen into a submitted response stays small wherever it is shown: the
answer shows its first factories and links to a page of its own, paged, filtered and sorted
by the query string, which only the supplier and the buyer's staff may open."""

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.questionnaires import services as questionnaire_services
from tests.fixtures.builders import (
    factory_question,
    fill_with_samples,
    make_factory,
    make_round,
    publish_shipped,
    response_of,
    shipped_versions,
)

SHIPPED = shipped_versions()
#: A page of a list may weigh no more than this, however many factories it holds.
PAGE_BYTES = 300_000


def _submitted(version, supplier, owner, admin, monkeypatch=None, frozen=None):
    """A response to `version` answered in full and submitted; `frozen` stands for the
    register's snapshot when given."""
    response = response_of(make_round(version, [supplier], opened_by=admin), supplier)
    fill_with_samples(response, owner, brands=["Lumenic"])
    make_factory(supplier, name="Kunshan Assembly", role="final_assembly", brands=["Lumenic"])
    if frozen is not None:
        monkeypatch.setattr(questionnaire_services, "factory_snapshot", lambda *a: frozen)
    assert questionnaire_services.submit(response, user=owner) == []
    db.session.commit()
    return response


def _factories(count: int) -> list[dict]:
    """`count` factories as a snapshot holds them: every third one makes components, and
    the names run backwards, so that sorting by name changes the order."""
    return [
        {
            "id": n,
            "name": f"Plant {count - n:05d}",
            "city": "Suzhou" if n % 2 else "Hanoi",
            "country": "CN" if n % 2 else "VN",
            "role": "main_component" if n % 3 == 0 else "final_assembly",
            "brands": ["Lumenic"],
            "workers": "1000",
            "os_hub_id": None,
        }
        for n in range(count)
    ]


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr><th scope="row">([^<,]+)', html)


@pytest.fixture(params=SHIPPED, ids=[f"{k}-v{n}" for k, n in SHIPPED])
def long_list(request, app_context, supplier_a, owner_a, admin, monkeypatch):
    version = publish_shipped(*request.param)
    response = _submitted(version, supplier_a, owner_a, admin, monkeypatch, _factories(130))
    return version, response


def test_a_long_frozen_list_shows_its_first_factories_and_links_to_all_of_them(
    client, make_client, owner_a, reviewer, long_list
):
    version, response = long_list
    question = factory_question(version)
    section = version.definition.section_of[question["key"]]
    link = f'href="/responses/{response.id}/factory-lists/{question["key"]}"'
    client.login(owner_a)

    page = client.get(f"/responses/{response.id}/sections/{section}").get_data(as_text=True)
    everything = client.get(f"/responses/{response.id}/answers").get_data(as_text=True)
    buyer = make_client()
    buyer.login(reviewer)
    review = buyer.get(f"/review/responses/{response.id}").get_data(as_text=True)

    for html in (page, everything, review):
        assert "130 factories, as the register stood when the response was submitted" in html
        assert "the first 20" in html
        assert "By role: 86 final assembly, 44 main components." in html
        assert link in html
        assert "Plant 00130" in html
        assert "Plant 00110" not in html


def test_a_short_frozen_list_is_shown_whole_without_a_link(client, owner_a, supplier_a, admin):
    version = publish_shipped(*SHIPPED[0])
    response = _submitted(version, supplier_a, owner_a, admin)
    question = factory_question(version)
    section = version.definition.section_of[question["key"]]
    client.login(owner_a)

    html = client.get(f"/responses/{response.id}/sections/{section}").get_data(as_text=True)

    assert "1 factory, as the register stood when the response was submitted" in html
    assert "Kunshan Assembly" in html
    assert "/factory-lists/" not in html


@pytest.fixture
def listed(app_context, supplier_a, owner_a, admin, monkeypatch):
    version = publish_shipped(*SHIPPED[-1])
    response = _submitted(version, supplier_a, owner_a, admin, monkeypatch, _factories(130))
    return f"/responses/{response.id}/factory-lists/{factory_question(version)['key']}"


def test_the_whole_frozen_list_comes_a_page_at_a_time(client, owner_a, listed):
    client.login(owner_a)

    first = client.get(listed).get_data(as_text=True)
    second = client.get(f"{listed}?page=2").get_data(as_text=True)

    assert "130 factories, as the register stood when the response was submitted" in first
    assert "Showing 1–100 of 130" in first
    assert len(_rows(first)) == 100
    assert _rows(first)[0] == "Plant 00130"
    assert f'href="{listed}?page=2"' in first
    assert "Showing 101–130 of 130" in second
    assert _rows(second)[-1] == "Plant 00001"


def test_the_frozen_list_is_filtered_and_sorted_as_its_address_says(client, owner_a, listed):
    client.login(owner_a)

    vietnam = client.get(f"{listed}?country=VN&role=main_component&sort=name").get_data(
        as_text=True
    )
    searched = client.get(f"{listed}?q=plant+0012&sort=name&order=desc").get_data(as_text=True)
    found = client.get(f"{listed}?q=suzhou&page=2").get_data(as_text=True)

    # Factories 0, 6, 12, … 126 are in Vietnam and make components: 22 of them.
    assert "22 factories match" in vietnam
    assert _rows(vietnam)[:2] == ["Plant 00004", "Plant 00010"]
    assert 'aria-sort="ascending"' in vietnam
    assert _rows(searched) == [f"Plant 0012{n}" for n in range(9, -1, -1)]
    assert "65 factories match" in found
    assert "Showing 1–65 of 65" not in found  # one page only: no summary
    assert len(_rows(found)) == 65


def test_a_frozen_list_is_read_by_its_supplier_and_the_buyers_staff_only(
    make_client, owner_a, owner_b, reviewer, listed
):
    response_id = listed.split("/")[2]
    other, buyer, own = make_client(), make_client(), make_client()
    other.login(owner_b)
    buyer.login(reviewer)
    own.login(owner_a)

    key = listed.rsplit("/", 1)[1]
    assert other.get(listed).status_code == 404
    assert buyer.get(f"/responses/{response_id}/factory-lists/nothing").status_code == 404
    # Each goes back to where they came from: the answer on the review page or the section.
    assert f'href="/review/responses/{response_id}#review-{key}"' in buyer.get(listed).get_data(
        as_text=True
    )
    assert f"#q_{key}" in own.get(listed).get_data(as_text=True)


def test_no_frozen_list_before_submission(client, owner_a, supplier_a, admin):
    version = publish_shipped(*SHIPPED[0])
    response = response_of(make_round(version, [supplier_a], opened_by=admin), supplier_a)
    fill_with_samples(response, owner_a)
    db.session.commit()
    client.login(owner_a)

    url = f"/responses/{response.id}/factory-lists/{factory_question(version)['key']}"

    assert client.get(url).status_code == 404


def test_a_frozen_list_of_10000_factories_keeps_every_page_small(
    client, make_client, owner_a, reviewer, supplier_a, admin, monkeypatch
):
    version = publish_shipped(*SHIPPED[-1])
    response = _submitted(version, supplier_a, owner_a, admin, monkeypatch, _factories(10_000))
    question = factory_question(version)
    section = version.definition.section_of[question["key"]]
    listed = f"/responses/{response.id}/factory-lists/{question['key']}"
    client.login(owner_a)

    pages = {
        "section": client.get(f"/responses/{response.id}/sections/{section}"),
        "all answers": client.get(f"/responses/{response.id}/answers"),
        "list": client.get(listed),
        "list, last page, by country": client.get(f"{listed}?page=100&sort=country"),
    }
    buyer = make_client()
    buyer.login(reviewer)
    pages["reviewer's page"] = buyer.get(f"/review/responses/{response.id}")

    for name, reply in pages.items():
        assert reply.status_code == 200, name
        assert len(reply.data) < PAGE_BYTES, (name, len(reply.data))
    assert "10,000 factories" in pages["section"].get_data(as_text=True)
    assert "Showing 9,901–10,000 of 10,000" in pages["list, last page, by country"].get_data(
        as_text=True
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.dictionaries(
        st.sampled_from(["q", "country", "role", "sort", "order", "page"]),
        st.one_of(st.text(max_size=300), st.integers().map(str)),
    )
)
@example(query={"q": "\x00"})
@example(query={"page": "9" * 40, "sort": "country", "order": "desc", "role": "x" * 300})
def test_any_query_gives_a_page_of_the_frozen_list(client, owner_a, listed, query):
    if client.get("/account/").status_code != 200:
        client.login(owner_a)  # once: the client is the same for every example

    reply = client.get(listed, query_string=query)

    refused = any("\x00" in value for value in query.values())  # request_limits refuses NUL
    assert reply.status_code == (400 if refused else 200)
    assert len(reply.data) < PAGE_BYTES


def test_two_responses_with_the_same_list_each_link_to_their_own(
    client, reviewer, supplier_a, owner_a, supplier_b, owner_b, admin, monkeypatch
):
    """The review page keeps answers it has written, by value: a frozen list links to its
    response's own page, so it is written anew each time."""
    version = publish_shipped(*SHIPPED[-1])
    same = _factories(40)
    first = _submitted(version, supplier_a, owner_a, admin, monkeypatch, same)
    second = _submitted(version, supplier_b, owner_b, admin, monkeypatch, same)
    client.login(reviewer)

    for response in (first, second):
        html = client.get(f"/review/responses/{response.id}").get_data(as_text=True)
        assert f"/responses/{response.id}/factory-lists/" in html

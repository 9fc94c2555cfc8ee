"""The review pages at scale: the queue a page at a time with its filters and order kept in
every link, and a fixed number of queries for the queue and the review page however many
responses, answers, grades, documents and messages there are."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.extensions import db
from portal.questionnaires.models import Answer
from portal.questionnaires.services import post_messages, start, submit
from portal.review.models import EvidenceVerdict, Grade
from tests.fixtures.builders import make_answer, make_document, make_round, response_of
from tests.fixtures.queue import insert_submitted
from tests.fixtures.review import submitted_shipped_response

QUEUE = "/review/queue"
ROW = re.compile(r'<th scope="row"><a href="/review/responses/(\d+)">([^<]+)</a>')
PER_PAGE = 50


@pytest.fixture
def bulk_round(mini_v1, supplier_a, admin):
    """A round on the mini questionnaire; supplier A's response in it is never submitted."""
    return make_round(mini_v1, [supplier_a], opened_by=admin, title="Bulk round")


@pytest.fixture
def thousand(bulk_round, reviewer, admin):
    """1,000 submitted responses (see `insert_submitted`), inserted at once."""
    return insert_submitted(bulk_round, 1000, reviewers=[reviewer, admin])


def _rows(html: str) -> list[str]:
    return [unescape(name) for _id, name in ROW.findall(html)]


def _pager_links(html: str) -> list[str]:
    nav = html.split('<nav class="pager"', 1)[1].split("</nav>", 1)[0]
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', nav)]


def _query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def _link(html: str, rel: str) -> str:
    """The address of the pager's link to the `rel` ("next" or "prev") page."""
    tag = re.search(rf'<a [^>]*rel="{rel}"[^>]*>', html).group(0)
    return unescape(re.search(r'href="([^"]+)"', tag).group(1))


def test_the_queue_shows_a_page_of_many_responses_with_their_number(client, reviewer, thousand):
    client.login(reviewer)
    html = client.get(QUEUE).get_data(as_text=True)
    assert _rows(html) == [f"Bulk {n:04d} AB" for n in range(PER_PAGE)]  # oldest first
    assert "1,000 responses match." in html
    assert "Showing 1–50 of 1,000" in html
    links = _pager_links(html)
    assert "/review/queue?page=20" in links
    assert 'rel="next"' in html
    assert 'rel="prev"' not in html

    last = client.get(f"{QUEUE}?page=20").get_data(as_text=True)
    assert _rows(last) == [f"Bulk {n:04d} AB" for n in range(950, 1000)]
    assert "Showing 951–1,000 of 1,000" in last
    assert 'rel="next"' not in last
    assert 'aria-current="page">20<' in last
    # A page past the end (the list has shrunk since the link was made) shows the last one.
    assert _rows(client.get(f"{QUEUE}?page=21").get_data(as_text=True)) == _rows(last)


def test_filters_and_order_are_kept_in_every_page_link(client, reviewer, thousand):
    client.login(reviewer)
    url = f"{QUEUE}?kind=brand&sort=supplier&order=desc"
    html = client.get(url).get_data(as_text=True)
    brands = [f"Bulk {n:04d} AB" for n in range(999, 0, -2)]  # odd numbers are brands
    assert _rows(html) == brands[:PER_PAGE]
    assert "500 responses match." in html
    assert '<option selected value="supplier">' in html
    assert '<option selected value="desc">' in html
    links = _pager_links(html)
    assert len(links) >= 3
    for link in links:
        query = _query(link)
        kept = {name: query.get(name) for name in ("kind", "sort", "order")}
        assert kept == {"kind": ["brand"], "sort": ["supplier"], "order": ["desc"]}, link
        assert "page" in query, link

    second = client.get(_link(html, "next")).get_data(as_text=True)
    assert _rows(second) == brands[PER_PAGE : 2 * PER_PAGE]
    assert 'rel="prev"' in second


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ("status=accepted", 166),  # every other response has a review; one in three accepted
        ("status=clarification", 167),
        ("status=new", 500 + 167),  # no review yet, or one in review
        ("kind=reseller", 500),
    ],
)
def test_the_number_counts_what_the_filters_let_through(client, reviewer, thousand, query, matches):
    client.login(reviewer)
    html = client.get(f"{QUEUE}?{query}").get_data(as_text=True)
    assert f"{matches:,} responses match." in html
    assert len(_rows(html)) == PER_PAGE


def test_filtering_by_reviewer_and_round(client, reviewer, admin, thousand, bulk_round):
    client.login(reviewer)
    mine = client.get(f"{QUEUE}?reviewer={reviewer.id}").get_data(as_text=True)
    assert "250 responses match." in mine
    in_round = client.get(f"{QUEUE}?round={bulk_round.id}&page=2").get_data(as_text=True)
    assert "1,000 responses match." in in_round
    assert _rows(in_round)[0] == "Bulk 0050 AB"
    assert "No responses match." in client.get(f"{QUEUE}?round={bulk_round.id + 1}").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-3",
        "page=abc",
        "page=1.5",
        "page=99999999999999999999999",
        "page=2147483648",
        "sort=password_hash",
        "sort=submitted;drop table responses",
        "order=sideways",
        "sort=&order=&page=",
        "round=99999999999999999999&reviewer=-1",
        "questionnaire=%27%22%3E&status=%3Cscript%3E&kind=x",
        "page=2&page=3&sort=supplier&sort=round",
    ],
)
def test_hostile_paging_and_sorting_are_never_a_server_error(client, reviewer, thousand, query):
    client.login(reviewer)
    reply = client.get(f"{QUEUE}?{query}")
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    assert "<script>" not in html.split("</header>", 1)[1]
    assert "page=" not in query or _rows(html) or "No responses match." in html


def test_a_nul_byte_in_the_page_number_is_refused(client, reviewer, thousand):
    client.login(reviewer)
    assert client.get(f"{QUEUE}?page=%00").status_code == 400


def test_a_page_number_out_of_range_shows_the_nearest_page(client, reviewer, thousand):
    client.login(reviewer)
    first = _rows(client.get(QUEUE).get_data(as_text=True))
    last = _rows(client.get(f"{QUEUE}?page=20").get_data(as_text=True))
    assert _rows(client.get(f"{QUEUE}?page=0").get_data(as_text=True)) == first
    assert _rows(client.get(f"{QUEUE}?page=9999").get_data(as_text=True)) == last
    assert _rows(client.get(f"{QUEUE}?sort=nonsense").get_data(as_text=True)) == first


def test_the_queue_takes_the_same_queries_for_ten_or_a_thousand_responses(
    client, reviewer, admin, bulk_round, count_queries
):
    client.login(reviewer)
    insert_submitted(bulk_round, 10, prefix="Few", reviewers=[reviewer, admin])
    urls = [QUEUE, f"{QUEUE}?status=new&kind=brand&sort=supplier&order=desc&page=2"]
    few = {}
    for url in urls:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        few[url] = counter.count
    insert_submitted(bulk_round, 990, prefix="Many", reviewers=[reviewer, admin])
    for url in urls:
        with count_queries() as counter:
            html = client.get(url).get_data(as_text=True)
        assert counter.count == few[url], (url, few[url], counter.count)
        assert len(_rows(html)) == PER_PAGE
    assert few[QUEUE] <= 8, few


# The review page ------------------------------------------------------------------------------
def _small_response(version, organisation, owner, reviewer):
    """A response to the mini questionnaire with one answer graded."""
    response = response_of(make_round(version, [organisation], opened_by=reviewer), organisation)
    start(response, user=owner, carry_from=None)
    make_answer(response, "has_policy", "no", user=owner)
    make_answer(response, "workers", 40, user=owner)
    make_answer(response, "methods", ["dialogue"], user=owner)
    assert submit(response, user=owner) == []
    db.session.add(Grade(response_id=response.id, question_key="has_policy", points=0))
    db.session.commit()
    return response


def _fully_reviewed(response, organisation, reviewer):
    """Every gradable answer graded with a comment, ten documents (half judged) and a
    clarification thread on as many questions."""
    definition = response.version.definition
    gradable = [q for q in definition.questions.values() if q.get("rubric")]
    for question in gradable:
        db.session.add(
            Grade(
                response_id=response.id,
                question_key=question["key"],
                points=question["rubric"][-1]["points"],
                comment=f"On {question['key']}",
                note="Checked",
                graded_by_id=reviewer.id,
            )
        )
    for n, question in enumerate(gradable[:10]):
        document = make_document(
            organisation,
            response=response,
            question_key=question["key"],
            content=b"%PDF-1.4\n%%" + str(n).encode() + b"\n%%EOF\n",
        )
        if n % 2:
            verdict = EvidenceVerdict(document_id=document.id, is_accepted=True)
            db.session.add(verdict)
    post_messages(
        response.id,
        {q["key"]: f"Why {q['key']}?" for q in gradable[:10]},
        side="buyer",
        author_id=reviewer.id,
    )
    db.session.commit()
    return len(gradable)


def test_the_review_page_takes_the_same_queries_for_a_small_or_a_full_response(
    client, reviewer, supplier_a, owner_a, supplier_b, owner_b, mini_v1, count_queries
):
    client.login(reviewer)
    small = _small_response(mini_v1, supplier_b, owner_b, reviewer)
    full = submitted_shipped_response(supplier_a, owner_a, opened_by=reviewer)
    gradable = _fully_reviewed(full, supplier_a, reviewer)
    counts = {}
    for name, response in (("small", small), ("full", full)):
        url = f"/review/responses/{response.id}"
        client.get(url)  # the first visit begins the review
        with count_queries() as counter:
            reply = client.get(url)
        assert reply.status_code == 200
        counts[name] = counter.count
    html = reply.get_data(as_text=True)
    assert html.count(" checked ") + html.count("<input checked") >= gradable
    assert html.count('class="thread"') == 10
    assert html.count('<option selected value="accepted">') == 5
    assert counts["small"] == counts["full"], counts


def test_the_review_page_shows_an_answer_as_it_stands_now(
    client, reviewer, supplier_b, owner_b, mini_v1
):
    """Answers are written once and kept by what they are made of: a changed answer (as in
    a clarification) is shown changed, and in the language of the page."""
    client.login(reviewer)
    response = _small_response(mini_v1, supplier_b, owner_b, reviewer)
    url = f"/review/responses/{response.id}"
    assert _answer(client.get(url).get_data(as_text=True), "workers") == "40"
    db.session.execute(
        db.update(Answer)
        .where(Answer.response_id == response.id, Answer.question_key == "workers")
        .values(value=41)
    )
    db.session.commit()
    assert _answer(client.get(url).get_data(as_text=True), "workers") == "41"
    swedish = client.get(url, headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert _answer(swedish, "has_policy") == "Nej"


def _answer(html: str, key: str) -> str:
    """The answer to question `key` as the review page shows it."""
    block = html.split(f'id="review-{key}"', 1)[1]
    return unescape(re.search(r'class="readonly-answer">([^<]*)<', block).group(1)).strip()

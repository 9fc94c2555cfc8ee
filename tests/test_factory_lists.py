"""The factory lists at ten thousand factories: a page at a time, filtered and sorted as the
address says, in a fixed number of queries, with downloads that hold every matching row."""

import csv
import io
import re
from datetime import date
from html import unescape

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.extensions import db
from portal.factories.models import Factory
from tests.fixtures.builders import make_org
from tests.fixtures.factory_lists import COUNTRIES, factory_csv, insert_factories
from tests.fixtures.web import hidden_inputs

#: No page of a list may be larger than this, however long the list.
MAX_PAGE_BYTES = 300_000
PER_PAGE = 25


def _get(client, url: str) -> str:
    reply = client.get(url)
    assert reply.status_code == 200, (url, reply.status_code)
    assert len(reply.data) < MAX_PAGE_BYTES, (url, len(reply.data))
    return reply.get_data(as_text=True)


def _rows(html: str) -> list[str]:
    """The factory names in the table of factories, in order (none when there is none)."""
    table = html.partition('id="factories-caption"')[2].split("</table>")[0]
    return re.findall(r'<th scope="row">(?:<a [^>]*>)?(Factory \d{5})', table)


def _pager(html: str) -> dict[str, str]:
    """The pager's links by their text (page numbers, "Next page"...), and "current"."""
    nav = re.search(r'<nav class="pager" aria-label="[^"]+">(.*?)</nav>', html, re.S).group(1)
    links = {
        text.strip(): unescape(href)
        for href, text in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>', nav)
    }
    current = re.findall(r'aria-current="page">([^<]+)</a>', nav)
    assert len(current) == 1, nav
    return {**links, "current": current[0]}


@pytest.fixture
def ten_thousand(supplier_a):
    insert_factories(supplier_a, 10_000)
    return supplier_a


# The supplier's own list ------------------------------------------------------------------------
def test_the_suppliers_list_of_10000_shows_a_page_and_counts_them_all(
    client, owner_a, ten_thousand
):
    client.login(owner_a)
    html = _get(client, "/factories")
    assert "In the supply chain today (10,000)" in html
    assert "Showing 1–25 of 10,000" in html
    # Role, then country, then name: final assembly first (every third), China first.
    assert _rows(html)[:3] == ["Factory 00000", "Factory 00024", "Factory 00048"]
    assert len(_rows(html)) == PER_PAGE
    pager = _pager(html)
    assert pager["current"] == "1"
    assert pager["Next page"] == "/factories?page=2"
    assert pager["400"] == "/factories?page=400"
    last = _get(client, pager["400"])
    assert "Showing 9,976–10,000 of 10,000" in last
    assert _pager(last)["current"] == "400"


def test_the_suppliers_filters_and_order_stay_in_the_page_links(client, owner_a, ten_thousand):
    client.login(owner_a)
    html = _get(client, "/factories?country=VN&sort=name&order=desc&q=factory")
    vietnam = [n for n in range(10_000) if COUNTRIES[n % 8] == "VN"]
    assert "In the supply chain today (1,250)" in html
    assert _rows(html) == [f"Factory {n:05d}" for n in sorted(vietnam, reverse=True)[:PER_PAGE]]
    # The form shows what is applied, and every page link keeps it.
    assert '<option value="VN" selected>' in html
    assert '<option value="name" selected>' in html
    assert 'aria-sort="descending">Factory</th>' in html
    second = _pager(html)["Next page"]
    assert second == "/factories?page=2&country=VN&sort=name&order=desc&q=factory"
    page_two = _get(client, second)
    expected = [f"Factory {n:05d}" for n in sorted(vietnam, reverse=True)[PER_PAGE : 2 * PER_PAGE]]
    assert _rows(page_two) == expected
    assert _pager(page_two)["current"] == "2"


def test_the_suppliers_list_sorts_by_what_a_user_sorts_by(client, owner_a, ten_thousand):
    client.login(owner_a)
    by_workers = _rows(_get(client, "/factories?sort=workers&order=desc"))
    assert by_workers[:2] == ["Factory 09999", "Factory 09998"]
    by_change = _rows(_get(client, "/factories?sort=updated&order=desc&page=2"))
    assert by_change[0] == f"Factory {9999 - PER_PAGE:05d}"
    by_country = _rows(_get(client, "/factories?sort=country"))
    assert by_country[0] == "Factory 00000"
    by_role = _rows(_get(client, "/factories?role=main_component&sort=name"))
    assert by_role[:2] == ["Factory 00001", "Factory 00002"]


def test_a_download_holds_every_matching_factory_not_one_page(client, owner_a, ten_thousand):
    client.login(owner_a)
    html = _get(client, "/factories?country=VN&sort=name&order=desc")
    link = unescape(
        re.search(r'This list: <a href="([^"]+)">XLSX</a> · <a href="([^"]+)"', html)[2]
    )
    assert link == "/factories/export.csv?country=VN&sort=name&order=desc"
    rows = list(csv.reader(io.StringIO(client.get(link).get_data(as_text=True).lstrip("\ufeff"))))
    names = [row[0] for row in rows[1:]]
    assert len(names) == 1_250
    assert names[:2] == ["Factory 09993", "Factory 09985"]
    everything = client.get("/factories/export.csv?layout=osh").get_data(as_text=True)
    assert len(everything.strip().splitlines()) == 1 + 10_000


def test_the_suppliers_list_takes_as_many_queries_for_10000_as_for_10(
    client, owner_a, supplier_a, count_queries
):
    insert_factories(supplier_a, 10)
    client.login(owner_a)
    urls = ["/factories", "/factories?country=VN&sort=name&order=desc&page=2&on=2025-06-01"]
    few = [_count(client, url, count_queries) for url in urls]
    insert_factories(supplier_a, 9_990, start=10)
    many = [_count(client, url, count_queries) for url in urls]
    assert few == many


def _count(client, url, count_queries) -> int:
    with count_queries() as queries:
        _get(client, url)
    return queries.count


# The buyer's table ------------------------------------------------------------------------------
@pytest.fixture
def two_suppliers(supplier_a, supplier_b):
    insert_factories(supplier_a, 6_000)
    insert_factories(supplier_b, 4_000, start=6_000)
    return supplier_a, supplier_b


def test_the_buyers_table_of_10000_shows_a_page_and_counts_them_all(
    client, reviewer, two_suppliers
):
    client.login(reviewer)
    html = _get(client, "/review/factories")
    assert "Factories (10,000)" in html
    assert "Showing 1–25 of 10,000" in html
    assert re.search(r"China</th><td class=\"numeric\">1250<", html)
    assert len(_rows(html)) == PER_PAGE
    assert _rows(html)[0] == "Factory 00000"  # by country (China first), then name
    assert _pager(html)["400"] == "/review/factories?page=400"


def test_the_buyers_filters_and_order_stay_in_the_page_links(client, reviewer, two_suppliers):
    _supplier_a, supplier_b = two_suppliers
    client.login(reviewer)
    url = f"/review/factories?supplier={supplier_b.id}&role=final_assembly&sort=workers&order=desc"
    html = _get(client, url)
    mine = [n for n in range(6_000, 10_000) if n % 3 == 0]
    assert f"Factories ({len(mine):,})" in html
    assert _rows(html) == [f"Factory {n:05d}" for n in sorted(mine, reverse=True)[:PER_PAGE]]
    assert f'<option value="{supplier_b.id}" selected>' in html
    assert 'aria-sort="descending">Workers</th>' in html
    page_two = _pager(html)["Next page"]
    assert page_two == url.replace("?", "?page=2&")
    expected = [f"Factory {n:05d}" for n in sorted(mine, reverse=True)[PER_PAGE : 2 * PER_PAGE]]
    assert _rows(_get(client, page_two)) == expected


def test_the_buyers_supplier_filter_offers_only_suppliers_with_factories_in_it(
    client, reviewer, supplier_a
):
    insert_factories(supplier_a, 3)
    make_org(name="Nofactory Trading AB")  # no factory at all
    gone = make_org(name="Formerfactory Ltd")
    insert_factories(gone, 1, start=3)
    db.session.execute(
        db.update(Factory)
        .where(Factory.organisation_id == gone.id)
        .values(left_on=date(2025, 6, 1))
    )
    db.session.commit()
    client.login(reviewer)
    html = _get(client, "/review/factories")
    offered = re.search(r'<select [^>]*name="supplier"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r"<option [^>]*>([^<]+)</option>", offered) == [
        "All suppliers",
        supplier_a.name,
    ]


def test_the_buyers_supplier_filter_finds_every_supplier_with_a_register_between_others(
    client, reviewer
):
    """Suppliers with current factories among organisations without (before, between and
    after them, one with only factories that have left): each is offered, by name."""
    offered_names = []
    for n, kind in enumerate(["none", "current", "left", "none", "current", "left", "current"]):
        org = make_org(name=f"{'ZYX'[n % 3]} Supplier {n} AB")
        if kind != "none":
            insert_factories(org, 2, start=10 * n)
        if kind == "left":
            db.session.execute(
                db.update(Factory)
                .where(Factory.organisation_id == org.id)
                .values(left_on=date(2025, 6, 1))
            )
        if kind == "current":
            offered_names.append(org.name)
    db.session.commit()
    client.login(reviewer)
    html = _get(client, "/review/factories")
    offered = re.search(r'<select [^>]*name="supplier"[^>]*>(.*?)</select>', html, re.S).group(1)
    names = re.findall(r"<option [^>]*>([^<]+)</option>", offered)
    assert names == ["All suppliers", *sorted(offered_names, key=str.lower)]


def test_the_buyers_table_sorts_by_supplier_name_and_last_change(client, reviewer, two_suppliers):
    # Alfa Data AB has factories 0-5999, Beta Devices Ltd 6000-9999.
    client.login(reviewer)
    assert _rows(_get(client, "/review/factories?sort=supplier&order=desc"))[0] == "Factory 06000"
    assert _rows(_get(client, "/review/factories?sort=name&page=400"))[-1] == "Factory 09999"
    changed = _rows(_get(client, "/review/factories?sort=updated&order=desc"))
    assert changed[:2] == ["Factory 09999", "Factory 09998"]


def test_the_buyers_table_takes_as_many_queries_for_10000_as_for_10(
    client, reviewer, supplier_a, count_queries
):
    insert_factories(supplier_a, 10)
    client.login(reviewer)
    urls = ["/review/factories", "/review/factories?country=CN&sort=supplier&page=2"]
    few = [_count(client, url, count_queries) for url in urls]
    other = make_org()
    insert_factories(other, 9_990, start=10)
    many = [_count(client, url, count_queries) for url in urls]
    assert few == many
    with count_queries() as queries:
        _get(client, "/review/factories")
    counts = [q for q in queries.statements if re.search(r"count\(.*\sFROM factories\s", q, re.S)]
    assert len(counts) == 1, "one query counts the factories (per country, summed for the pager)"


def test_the_buyers_table_reads_its_first_page_in_order_from_an_index(
    client, reviewer, two_suppliers
):
    """The table's first page in its first order (country, then name); on PostgreSQL it is
    read in that order from an index, not by sorting every factory of the first country
    (SQLite, the single-user default, sorts them)."""
    client.login(reviewer)
    sent = []

    def keep(connection, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", keep)
    try:
        html = _get(client, "/review/factories")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", keep)
    assert _rows(html)[:3] == ["Factory 00000", "Factory 00008", "Factory 00016"]
    if db.engine.dialect.name != "postgresql":
        return
    statement, parameters = next(
        (s, p) for s, p in sent if re.search(r"FROM factories JOIN \(SELECT factories.id", s)
    )
    connection = db.session.connection()
    connection.exec_driver_sql("ANALYZE factories")
    plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars().all()
    assert any("ix_factories_current_country_name" in line for line in plan), plan


# Hostile addresses ------------------------------------------------------------------------------
HOSTILE = [
    "page=-1",
    "page=0",
    "page=abc",
    f"page={10**20}",
    "page=2147483648",
    "page=1&page=2",
    "sort=unknown",
    "sort=name;DROP TABLE factories",
    "order=sideways",
    "per_page=1000000000",
    "country=%3Cscript%3E",
    "role=boss",
    "on=2025-13-45",
    "status=gone",
    "q=" + "x" * 5000,
    "q=%25_%5C",  # matches no name: LIKE's wildcards are taken as they are
    "supplier=99999999999999999999",
    "supplier=abc",
    "supplier=%C2%B2",
    "component=%22%25",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_addresses_give_a_page_of_the_list(client, owner_a, reviewer, supplier_a, query):
    insert_factories(supplier_a, 60)
    client.login(owner_a)
    mine = _get(client, f"/factories?{query}")
    client.logout()
    client.login(reviewer)
    theirs = _get(client, f"/review/factories?{query}")
    for html in (mine, theirs):
        rows = _rows(html)
        assert 0 < len(rows) <= PER_PAGE or "No factories match." in html
        if rows:
            assert _pager(html)["current"] in {"1", "3"}


def test_a_page_past_the_end_shows_the_last_page(client, owner_a, supplier_a):
    insert_factories(supplier_a, 60)
    client.login(owner_a)
    html = _get(client, "/factories?sort=name&page=999")
    assert _pager(html)["current"] == "3"
    assert _rows(html)[-1] == "Factory 00059"


# The import preview -----------------------------------------------------------------------------
def _upload(client, data: bytes) -> str:
    """Upload a file as the upload page would, the body encoded up front (the test client
    would spool a large one to a temporary file it never closes); the preview's address."""
    url = "/factories/import"
    hidden = hidden_inputs(client.get(url).get_data(as_text=True), action=url, page=url)
    upload = FileStorage(io.BytesIO(data), filename="factories.csv", content_type="text/csv")
    boundary, body = encode_multipart({**hidden, "file": upload})
    reply = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]
    return reply.headers["Location"]


def _preview_rows(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="row-(\d+)"', html)]


def test_the_preview_of_10000_rows_leads_with_the_problems_and_imports_them_all(
    client, owner_a, supplier_a
):
    formulas = {n: f"=Works {n}" for n in range(500, 10_000, 1000)}
    client.login(owner_a)
    location = _upload(client, factory_csv(10_000, problem=formulas.get))
    html = _get(client, location)
    assert "10000 rows read." in html
    assert "10 rows have warnings." in html
    assert "9990 rows have no problems." in html
    # The rows with problems first, in the file's order, then the others from the top.
    assert _preview_rows(html) == [n + 2 for n in formulas] + list(range(2, 92))
    assert "looks like a spreadsheet formula" in html
    problems = _get(client, location + "?show=problems")
    assert _preview_rows(problems) == [n + 2 for n in formulas]
    assert "pager" not in problems
    clean = _get(client, location + "?show=clean&page=2")
    assert _preview_rows(clean)[0] == 102
    assert _pager(clean)["current"] == "2"
    reply = client.submit(location)
    assert reply.status_code == 302
    assert (
        db.session.scalar(
            db.select(db.func.count(Factory.id)).where(Factory.organisation_id == supplier_a.id)
        )
        == 10_000
    )


def test_rows_with_errors_on_several_pages_are_left_out_at_once(client, owner_a, supplier_a):
    """250 rows name no country; three pages of problems. A box leaves them all out; without
    it nothing is imported, and leaving out only the rows shown is not enough."""
    data = factory_csv(300).replace(b",VN,", b",,")  # every eighth row, from row 3
    data = data.replace(b",CN,", b",,").replace(b",MY,", b",,").replace(b",TW,", b",,")
    data = data.replace(b",MX,", b",,").replace(b",TH,", b",,").replace(b",IN,", b",,")
    client.login(owner_a)
    location = _upload(client, data)
    html = _get(client, location)
    assert "263 rows have errors." in html
    assert len(_preview_rows(html)) == 100
    assert "Leave out all 263 rows with errors" in html
    shown = _preview_rows(html)
    blocked = client.submit(location, {"drop": [str(n) for n in shown]})
    assert blocked.status_code == 422
    assert "Rows with errors must be fixed" in blocked.get_data(as_text=True)
    assert not db.session.scalar(db.select(db.func.count(Factory.id)))
    done = client.submit(location, {"drop_all": "y"})
    assert done.status_code == 302
    assert db.session.scalar(db.select(db.func.count(Factory.id))) == 300 - 263


def test_duplicates_on_several_pages_are_kept_at_once(client, owner_a, supplier_a):
    data = factory_csv(150)
    again = b"\n".join(data.splitlines()[1:]) + b"\n"
    client.login(owner_a)
    location = _upload(client, data + again)
    html = _get(client, location)
    assert "150 possible duplicates." in html
    assert "Keep all 150 possible duplicates" in html
    assert client.submit(location, {"keep_all": "y"}).status_code == 302
    assert db.session.scalar(db.select(db.func.count(Factory.id))) == 300


@pytest.mark.parametrize("query", ["page=-1", f"page={10**20}", "page=abc", "show=everything"])
def test_hostile_addresses_give_a_page_of_the_preview(client, owner_a, query):
    client.login(owner_a)
    location = _upload(client, factory_csv(5, problem={2: "=Odd"}.get))
    html = _get(client, f"{location}?{query}")
    assert _preview_rows(html) == [4, 2, 3, 5, 6]


def test_a_download_of_an_earlier_day_or_of_those_that_left(client, owner_a, supplier_a):
    insert_factories(supplier_a, 3)
    insert_factories(supplier_a, 1, start=3, left_on=date(2025, 6, 30))
    client.login(owner_a)

    def names(query: str) -> list[str]:
        text = client.get(f"/factories/export.csv?sort=name&{query}").get_data(as_text=True)
        return [row[0] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))][1:]

    assert names("") == ["Factory 00000", "Factory 00001", "Factory 00002"]
    assert names("on=2025-01-15")[-1] == "Factory 00003"
    assert names("status=left") == ["Factory 00003"]
    html = _get(client, "/factories?status=left")
    assert _rows(html) == ["Factory 00003"]
    assert "1 Jan 2024 – 30 Jun 2025" in html

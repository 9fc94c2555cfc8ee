"""Every route, as every role, with hostile path, query and form values: never a 5xx.

A hostile caller controls every part of a request: ids past the database's integer range,
strings with NUL bytes or of great length, query arguments the view does not expect (or
that Flask itself would read, as `endpoint` and `_method` in `url_for`), and form fields
that are not what the page offered. Each must end in a page for the user (a 4xx, a redirect,
a form with an error), never in a server error.

The walk visits each route with real objects of supplier A (the world of
tests/fixtures/world.py, which the access test walks too, so that the view runs), then
with one hostile path argument at a time, with hostile queries, and, where the route takes a
POST, with its page's form: a number too large in one field at a time, other hostile values
in every field at once. Values are taken in turn, not crossed, to keep it to seconds.
Anonymous callers are sent to sign in with the URL they asked for in `next`, so that
redirect is walked with every hostile query too.
"""

import itertools
import re
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest

from portal.extensions import db
from portal.questionnaires.services import submit
from tests.fixtures.builders import fill_with_samples, make_factory
from tests.fixtures.web import DEFAULT_PASSWORD, csrf_token_from
from tests.fixtures.world import FACTORY_PAGE_SIZE, ROLES

BIG = str(2**63)
INT_PATH_VALUES = ["0", "-1", BIG, str(2**64), "9" * 40]
STR_PATH_VALUES = ["../", "\x00", "x" * 3000, "åäö😀", "%", "a b"]
#: Each argument of each route gets this many of the values above, taken in turn.
PATH_VALUES_PER_ARGUMENT = 3
#: For routes the role may not use: only the router and the access check run.
REFUSED_PATH_VALUES = [BIG, "\x00"]

#: Query arguments some view reads as a number, and those it reads as text.
INT_QUERY_KEYS = ["page", "round", "reviewer", "supplier", "organisation", "from", "to"]
TEXT_QUERY_KEYS = ["country", "role", "component", "questionnaire", "status", "kind", "action"]
TEXT_QUERY_KEYS += ["layout", "saved", "on", "back", "next", "q", "sort", "order", "find"]
INT_QUERIES = [
    dict.fromkeys(INT_QUERY_KEYS, value)
    for value in ("9223372036854775807", BIG, "9" * 40, "-1", "abc")
]
TEXT_QUERIES = [dict.fromkeys(TEXT_QUERY_KEYS, value) for value in ("\x00åäö😀", "x" * 3000)]
#: Where to go next: other sites, header splitting, dates no calendar has, repeated keys.
LINK_QUERIES = [
    {"on": "9999-99-99", "back": "/%5Cevil.example", "next": "/\r\nX"},
    {"next": "//evil.example", "back": "/\r\nX", "unknown": "1", "page": ["2", "3"]},
]
#: Names `url_for` reads itself, or fails on, if a view passed the query on to it.
URL_FOR_QUERIES = [
    {"endpoint": "x", "page": "2"},
    {"_method": "POST", "_external": "1", "_anchor": "x", "_scheme": "javascript", "page": "2"},
]
QUERIES = INT_QUERIES + TEXT_QUERIES + LINK_QUERIES + URL_FOR_QUERIES
#: A POST's view reads its form; the query matters where it redirects.
POST_QUERIES = [INT_QUERIES[0], {**LINK_QUERIES[0], **URL_FOR_QUERIES[0], **URL_FOR_QUERIES[1]}]
#: Form values: numbers go into one field at a time (a number is valid in most fields), one
#: just past a 64-bit integer and one past a float; the other kinds into every field at once.
NUMBER_VALUES = ["9" * 19, "9" * 400]
OTHER_VALUES = [str(2**64), "abc", "x" * 20_000, "../../etc/passwd", "\x00", "åäö😀", ""]
OTHER_VALUES += ["9999-99-99", "-1", "-" + "9" * 19, "1e309"]


class _FormFields(HTMLParser):
    """Every form on a page: its action and the values a browser would send as they stand."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str | None, str, list[list[str]]]] = []
        self._fields: list[list[str]] | None = None
        self._select: list | None = None
        self._textarea: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._fields = []
            method = (attrs.get("method") or "get").lower()
            self.forms.append((attrs.get("action"), method, self._fields))
        elif (
            tag == "option"
            and self._select is not None
            and ("selected" in attrs or self._select[1] is None)
        ):
            # A browser sends the selected option, else the first.
            self._select[1] = attrs.get("value") or ""
        if self._fields is None or not attrs.get("name"):
            return
        name = attrs["name"]
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind in ("submit", "button", "file", "image"):
                return
            value = attrs.get("value") or ("on" if kind == "checkbox" else "")
            self._fields.append([name, value])
        elif tag == "select":
            self._select = [name, None]
            self._fields.append(self._select)
        elif tag == "textarea":
            self._textarea = [name, ""]
            self._fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(html: str, page: str) -> dict[str, list[list[str]]]:
    """The POST forms on a page, by the path they post to."""
    parser = _FormFields()
    parser.feed(html)
    return {
        urlsplit(action or page).path: [[name, value or ""] for name, value in fields]
        for action, method, fields in parser.forms
        if method == "post"
    }


_ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


def _url(rule, values: dict) -> str:
    """The rule's path with each argument replaced by its (percent-encoded) value."""
    return _ARGUMENT.sub(lambda m: quote(str(values[m.group(2)]), safe=""), rule.rule)


def _with_query(url: str, query: dict) -> str:
    return f"{url}?{urlencode(query, doseq=True)}"


class Walk:
    """One role's browser going round the site, noting every server error."""

    def __init__(self, make_client, world, who):
        self.make_client = make_client
        self.world = world
        self.who = who
        self.failures: list[str] = []
        self.forms: dict[str, list[list[str]]] = {}
        self.int_paths = itertools.cycle(INT_PATH_VALUES)
        self.str_paths = itertools.cycle(STR_PATH_VALUES)
        self.others = itertools.cycle(OTHER_VALUES)
        self.sign_in()

    def sign_in(self):
        self.client = self.make_client()
        if self.who != "anonymous":
            self.client.login(self.world.users[self.who])
        self.token = csrf_token_from(self.client.get("/accessibility").get_data(as_text=True))

    def request(self, method: str, url: str, data=None, note: str = ""):
        response = self.client.open(url, method=method, data=data)
        if response.status_code >= 500:
            shown = url if len(url) < 200 else url[:200] + "…"
            self.failures.append(f"{self.who}: {method} {shown} {note} -> {response.status_code}")
        return response

    def refused(self, response) -> bool:
        """Whether the role may not use the route (the view did not run)."""
        location = response.headers.get("Location", "")
        return response.status_code in (401, 403) or (
            self.who != "anonymous" and location.startswith("/login")
        )

    def hostile_paths(self, rule, refused: bool):
        """The rule's URL with one argument at a time replaced by each hostile value."""
        valid = self.world.args_for(rule.endpoint)
        for converter, name in _ARGUMENT.findall(rule.rule):
            if refused:
                hostile = REFUSED_PATH_VALUES
            else:
                values = self.int_paths if converter == "int" else self.str_paths
                hostile = [next(values) for _ in range(PATH_VALUES_PER_ARGUMENT)]
            for value in hostile:
                yield _url(rule, {**valid, name: value}), f"{name}={value[:20]!r}"

    def get(self, rule):
        url = _url(rule, self.world.args_for(rule.endpoint))
        response = self.request("GET", url)
        if response.status_code == 200 and response.mimetype == "text/html":
            self.forms.update(forms_on(response.get_data(as_text=True), url))
        refused = self.refused(response)
        for query in [] if refused else QUERIES:
            self.request("GET", _with_query(url, query))
        for hostile, note in self.hostile_paths(rule, refused):
            self.request("GET", hostile, note=note)

    def post(self, rule):
        url = _url(rule, self.world.args_for(rule.endpoint))
        token = {"csrf_token": self.token}
        refused = self.refused(self.request("POST", url, token))
        self.after_post(rule)
        fields = self.forms.get(url)
        if fields is not None and "GET" in rule.methods:
            fields = self.form_at(url)  # as it is now, after what the walk changed so far
        baseline = {name: value for name, value in fields or [] if name != "csrf_token"}
        if refused:
            baseline = {}
        elif fields is None:
            # No page this role saw posts here (a button elsewhere, autosave): every field
            # seen on the role's pages, all hostile at once.
            names = {name for form in self.forms.values() for name, _value in form}
            names.discard("csrf_token")
            for _ in range(2):
                data = {name: next(self.others) for name in sorted(names)}
                self.request("POST", url, {**data, **token}, note="(every field)")
                self.after_post(rule)
        else:
            for name, value in itertools.product(list(baseline), NUMBER_VALUES):
                data = {**baseline, name: value, **token}
                response = self.request("POST", url, data, note=f"{name}={len(value)} digits")
                self.after_post(rule)
                if response.status_code in (302, 303, 409) and "GET" in rule.methods:
                    # Saved, or changed since: go on from the form as it is now.
                    fields = self.form_at(url)
                    baseline = {n: v for n, v in fields if n != "csrf_token"} or baseline
            for _ in range(2):
                data = {name: next(self.others) for name in baseline}
                self.request("POST", url, {**data, **token}, note="(every field)")
                self.after_post(rule)
        for query in [] if refused else POST_QUERIES:
            self.request("POST", _with_query(url, query), {**baseline, **token})
            self.after_post(rule)
        for hostile, note in self.hostile_paths(rule, refused):
            self.request("POST", hostile, token, note=note)

    def form_at(self, url: str) -> list[list[str]]:
        """The fields of the form that posts to `url` on its page, as they stand."""
        response = self.request("GET", url)
        return forms_on(response.get_data(as_text=True), url).get(url, [])

    def after_post(self, rule):
        if rule.endpoint in ("auth.logout", "auth.login", "account.password"):
            self.sign_in()  # the walk goes on as the same role


@pytest.mark.parametrize("who", ROLES)
def test_no_route_answers_a_server_error(app, make_client, world, who):
    walk = Walk(make_client, world, who)
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    for rule in rules:
        if "GET" in rule.methods:
            walk.get(rule)
    for rule in rules:
        if "POST" in rule.methods:
            walk.post(rule)
    assert walk.failures == [], f"{len(walk.failures)} server errors:\n" + "\n".join(walk.failures)


@pytest.mark.parametrize("target", ["/\r\nX", "//evil.example", "/\\evil.example", "x" * 5000])
def test_signing_in_with_a_hostile_next_is_no_server_error(app, make_client, owner_a, target):
    """The right password with a `next` no redirect may follow: signed in, sent home."""
    client = make_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        _with_query("/login", {"next": target}),
        data={"email": owner_a.email, "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "/supplier")


# The examples of the attack run, each as the user meets it --------------------------------
@pytest.mark.parametrize("value", [2**31, 2**63, 2**64, "9" * 5000])
def test_an_id_outside_the_databases_range_is_not_found(client, owner_a, response_a, value):
    client.login(owner_a)
    assert client.get(f"/responses/{response_a.id}").status_code == 200
    for url in (f"/responses/{value}", f"/responses/{value}/sections/basics"):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/review/factories", "/admin/audit"])
def test_a_page_number_past_any_page_shows_a_page(client, admin, supplier_a, url):
    make_factory(supplier_a, name="Only Works")
    client.login(admin)
    for page in ("9223372036854775807", str(2**64), "9" * 5000, "-1", "abc"):
        assert client.get(_with_query(url, {"page": page})).status_code == 200


def test_page_links_keep_the_filters_and_nothing_else(client, reviewer, supplier_a):
    for n in range(FACTORY_PAGE_SIZE + 1):
        make_factory(supplier_a, name=f"Works {n:03}")
    client.login(reviewer)
    query = {"country": "CN", "page": "2", "endpoint": "x", "_method": "POST", "_anchor": "y"}
    reply = client.get(_with_query("/review/factories", query))
    assert reply.status_code == 200
    [link] = re.findall(r'href="([^"]*)">Previous page', reply.get_data(as_text=True))
    assert link.replace("&amp;", "&") == "/review/factories?page=1&country=CN"


def test_a_reviewer_not_on_the_list_is_not_assigned(client, reviewer, owner_a, response_a):
    fill_with_samples(response_a, owner_a)
    assert submit(response_a, user=owner_a) == []
    db.session.commit()
    client.login(reviewer)
    page = f"/review/responses/{response_a.id}"
    for value in ("abc", "9" * 19, str(owner_a.id)):
        reply = client.submit(f"{page}/assign", {"reviewer": value}, page=page)
        assert reply.status_code == 302
        shown = client.get(page).get_data(as_text=True)
        assert "Choose a reviewer from the list." in shown
    client.submit(f"{page}/assign", {"reviewer": str(reviewer.id)}, page=page)
    assert "The assignment has been saved." in client.get(page).get_data(as_text=True)


@pytest.mark.parametrize("workers", ["9" * 19, "1 000 001", "5-" + "9" * 5000])
def test_too_many_workers_gets_a_message(client, owner_a, supplier_a, workers):
    factory = make_factory(supplier_a, name="Big Works")
    client.login(owner_a)
    url = f"/factories/{factory.id}/edit"
    fields = dict(forms_on(client.get(url).get_data(as_text=True), url)[url])
    reply = client.submit(url, {**fields, "workers": workers})
    assert reply.status_code == 200
    assert "More than 1000000 workers cannot be right" in reply.get_data(as_text=True)


@pytest.mark.parametrize("field", ["severity", "likelihood"])
def test_a_risk_level_of_hundreds_of_digits_gets_a_message(client, owner_a, supplier_a, field):
    factory = make_factory(supplier_a)
    client.login(owner_a)
    values = {"category": "wages", "severity": "2", "likelihood": "3", "status": "identified"}
    reply = client.submit(f"/factories/{factory.id}/risks", {**values, field: "9" * 400})
    assert reply.status_code == 200
    assert "The number is too large." in reply.get_data(as_text=True)

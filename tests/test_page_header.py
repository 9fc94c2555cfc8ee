"""The header every page carries: who is signed in, the main menu with the page marked, and a
language switch that comes back to the page. It is written once per language, role and page,
so these check that each request still gets its own person, organisation, token and address."""

import re

from portal.orgs.models import OrgKind
from portal.roles import Role
from tests.fixtures.builders import make_org, make_user

_SIGNED_IN = re.compile(r'<span class="signed-in-as">(.*?)</span>')
_NEXT = re.compile(r'name="next" value="([^"]*)"')
_CURRENT = re.compile(r'<a href="([^"]+)" aria-current="page">')
_TOKENS = re.compile(r'name="csrf_token" value="([^"]+)"')


def _header(client, path: str, language: str = "en") -> str:
    page = client.get(path, headers={"Accept-Language": language})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return html[: html.index("</header>")]


def test_each_person_sees_their_own_name_and_organisation_escaped(make_client, app_context):
    first = make_user(make_org(name="Alfa & <Omega> AB"), full_name="Anna <b>Owner</b>")
    second = make_user(make_org(name="Beta Devices"), full_name='Bo "Quote" Owner')
    seen = {}
    for user in (first, second, first):
        client = make_client()
        client.login(user)
        seen[user.id] = _SIGNED_IN.search(_header(client, "/factories")).group(1)
    assert seen[first.id] == "Anna &lt;b&gt;Owner&lt;/b&gt; · Alfa &amp; &lt;Omega&gt; AB"
    assert seen[second.id] == "Bo &#34;Quote&#34; Owner · Beta Devices"


def test_the_menu_marks_the_page_in_each_language(client, owner_a):
    client.login(owner_a)
    for language, label in (("en", "Factory list"), ("sv", "Fabrikslista")):
        header = _header(client, "/factories", language)
        assert _CURRENT.findall(header) == ["/factories"]
        assert f'aria-current="page">{label}</a>' in header
    assert _CURRENT.findall(_header(client, "/evidence")) == ["/evidence"]


def test_the_language_switch_comes_back_to_the_page_asked_for(client, owner_a):
    client.login(owner_a)
    assert _NEXT.search(_header(client, "/factories")).group(1) == "/factories"
    header = _header(client, "/factories?q=a%26b&sort=name")
    assert _NEXT.search(header).group(1) == "/factories?q=a%26b&amp;sort=name"
    # The switch posts with the page's own token, and works.
    token = _TOKENS.search(header).group(1)
    switched = client.post("/language", data={"csrf_token": token, "lang": "sv", "next": "/"})
    assert switched.status_code == 302


def test_a_visitor_who_is_not_signed_in_has_no_menu_and_a_working_switch(client):
    header = _header(client, "/login")
    assert "signed-in-as" not in header
    assert "main-nav" not in header
    assert _NEXT.search(header).group(1) == "/login"
    assert len(_TOKENS.findall(header)) == 1


def test_staff_and_suppliers_get_their_own_menus(make_client, owner_a, app_context):
    reviewer = make_user(make_org(OrgKind.BUYER), Role.REVIEWER)
    supplier = make_client()
    supplier.login(owner_a)
    staff = make_client()
    staff.login(reviewer)
    assert "/review/queue" in _header(staff, "/account/")
    assert "/review/queue" not in _header(supplier, "/account/")
    assert "/factories" in _header(supplier, "/account/")

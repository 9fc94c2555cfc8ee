"""Who the current request is for, and in which language: one place for every view. Also
what every page carries (the main menu, the layout's files, the header), built once."""

import re
from collections.abc import Callable

from flask import current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from portal.arguments import MAX_INTEGER
from portal.roles import Role

_SUPPLIER_MENU = (
    ("main.supplier_home", _l("Overview")),
    ("questionnaires.responses", _l("Questionnaires")),
    ("factories.index", _l("Factory list")),
    ("evidence.index", _l("Evidence")),
    ("ladder.index", _l("Ladder")),
    ("contracts.mine", _l("Contracts")),
    ("findings.index", _l("Findings")),
    ("team.index", _l("Team")),
)
#: Each role's main menu, in order, as (endpoint, label); every menu ends with the account.
MENUS = {
    Role.BUYER_ADMIN: (
        ("admin.index", _l("Organisations")),
        ("questionnaires.rounds", _l("Rounds")),
        ("review.queue", _l("Review")),
        ("main.reviewer_home", _l("Suppliers")),
        ("factories.all_factories", _l("Factories")),
        ("evidence.expiring", _l("Expiring evidence")),
        ("ladder.overview", _l("Ladder")),
        ("rounds.maturity_rounds", _l("Market maturity")),
        ("contracts.index", _l("Contracts")),
        ("findings.review_list", _l("Findings")),
        ("selection.ranking", _l("Audit selection")),
        ("admin.audit_log", _l("Audit log")),
    ),
    Role.REVIEWER: (
        ("review.queue", _l("Review")),
        ("main.reviewer_home", _l("Suppliers")),
        ("factories.all_factories", _l("Factories")),
        ("evidence.expiring", _l("Expiring evidence")),
        ("ladder.overview", _l("Ladder")),
        ("rounds.maturity_rounds", _l("Market maturity")),
        ("contracts.index", _l("Contracts")),
        ("findings.review_list", _l("Findings")),
        ("selection.ranking", _l("Audit selection")),
    ),
    Role.SUPPLIER_OWNER: _SUPPLIER_MENU,
    Role.SUPPLIER_MEMBER: _SUPPLIER_MENU,
}
ACCOUNT_LINK = ("account.overview", _l("My account"))


def user():
    """The signed-in user as the real object, not Flask-Login's proxy: what services read of
    them (portal.auth.session_user.SessionUser). What changes the account itself takes the
    ORM object: portal.auth.services.account_of(user())."""
    return current_user._get_current_object()


def language() -> str:
    """The page's language code, "sv" or "en"."""
    return str(get_locale())


def main_menu() -> tuple[tuple[str, str, str], ...]:
    """The signed-in user's main menu as (endpoint, link, label) in the page's language. It
    depends only on the role, the language and where the portal is served, so each is
    built once per process."""
    key = (current_user.role, language(), request.script_root)
    built = current_app.extensions.setdefault("main_menus", {})
    try:
        return built[key]
    except KeyError:
        menu = built[key] = tuple(
            (endpoint, url_for(endpoint), str(label))
            for endpoint, label in (*MENUS[Role(current_user.role)], ACCOUNT_LINK)
        )
        return menu


def fixed_url(endpoint: str, **values) -> str:
    """`url_for(endpoint, **values)` for a link whose arguments are written in the template
    (the style sheet, the script): the same on every page, so built once per process for
    the script root the portal is served under."""
    key = (request.script_root, endpoint, *values.items())
    built = current_app.extensions.setdefault("fixed_urls", {})
    try:
        return built[key]
    except KeyError:
        url = built[key] = url_for(endpoint, **values)
        return url


def url_with(endpoint: str, name: str) -> Callable[[int], str]:
    """`url_for(endpoint, **{name: id})` for the many ids of a page of a list (one link per
    row): built once, each id then put in its place."""
    mark = str(MAX_INTEGER)
    before, _, after = url_for(endpoint, **{name: MAX_INTEGER}).rpartition(mark)
    return lambda id_: f"{before}{int(id_)}{after}"


#: Where each request's own values go in a header written once (characters of Unicode's
#: private use area: no text of the portal's has them, and escaping leaves them as they are).
_MARKS = {name: f"\ue000{name}\ue000" for name in ("token", "back", "person", "organisation")}
_MARK = re.compile("\ue000(\\w+)\ue000")


def page_header() -> Markup:
    """The layout's header (the skip link, the language switch, who is signed in, the main
    menu). It depends on the language, the role and the page's endpoint but for four values,
    so it is written once per process for each of those and the four are put in place: a
    page then costs a few joins instead of two dozen template look-ups."""
    role = current_user.role if current_user.is_authenticated else None
    key = (language(), role, request.endpoint, request.script_root)
    built = current_app.extensions.setdefault("page_headers", {})
    try:
        parts = built[key]
    except KeyError:
        html = render_template("_header.html", role=role, here=request.endpoint, **_MARKS)
        parts = built[key] = tuple(_MARK.split(html))
    values = {
        "token": generate_csrf(),
        "back": request.full_path if request.query_string else request.path,
        "person": current_user.full_name if role else "",
        "organisation": current_user.organisation.name if role else "",
    }
    # split() leaves the marks' names at the odd places.
    return Markup(  # noqa: S704 - the parts are the template's output; the values are escaped
        "".join(escape(values[part]) if i % 2 else part for i, part in enumerate(parts))
    )

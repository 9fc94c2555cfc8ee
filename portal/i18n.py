"""Language choice: the user's saved choice, then the cookie, then the browser; and the
translations templates look up."""

from functools import cache

from babel.support import Translations
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from wtforms.i18n import messages_path

from portal.current import fixed_url, main_menu, page_header
from portal.timeutil import show_date, show_datetime

LANG_COOKIE = "lang"


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]  # commands; mail forces its own
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    chosen = session.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in supported:
        return chosen
    return (
        request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def translations():
    """The catalogue of the language in force, as flask_babel's get_translations() gives it.

    flask_babel finds it anew on each call (several context look-ups, the locale's name, a
    dictionary), and a page asks for dozens of strings; so it is kept for the request as
    long as the language and domain it was found for are still the ones in force
    (force_locale, which mail uses, and refresh() change them)."""
    try:
        state = g._flask_babel
        locale, domain, found = state.portal_translations
        if locale is state.babel_locale and domain is state.babel_domain:
            return found
    except (AttributeError, RuntimeError):  # not looked up yet, or no application context
        pass
    found = get_translations()
    if has_app_context():
        state = g._flask_babel
        state.portal_translations = (state.babel_locale, state.babel_domain, found)
    return found


# The template side of gettext, as Jinja's i18n extension makes it with newstyle=True
# ("%" formatting always, the translation marked safe when autoescaping), over translations().
def _as_written(context, text: str) -> str:
    if context.eval_ctx.autoescape:
        # Catalogue texts are the portal's own, and a variable formatted in is escaped.
        return Markup(text)  # noqa: S704 - as Jinja's i18n extension does
    return text


@pass_context
def _gettext(context, string, **variables):
    text = _as_written(context, translations().ugettext(string))
    # Formatting with no variables changes only a string with "%" in it ("%%").
    return text % variables if variables or "%" in text else text


@pass_context
def _ngettext(context, singular, plural, num, **variables):
    variables.setdefault("num", num)
    return _as_written(context, translations().ungettext(singular, plural, num)) % variables


@pass_context
def _pgettext(context, string_context, string, **variables):
    variables.setdefault("context", string_context)
    return _as_written(context, translations().upgettext(string_context, string)) % variables


@pass_context
def _npgettext(context, string_context, singular, plural, num, **variables):
    variables.setdefault("context", string_context)
    variables.setdefault("num", num)
    text = translations().unpgettext(string_context, singular, plural, num)
    return _as_written(context, text) % variables


class _WTFormsMessages:
    """WTForms' own texts (its validation messages, the labels it makes up) in the page's
    language. Flask-WTF reads WTForms' catalogue from disk on every request that builds a
    form, which takes half a millisecond; here each language's is read once per process."""

    def ugettext(self, string):
        return _wtforms_catalogue(str(get_locale())).ugettext(string)

    def ungettext(self, singular, plural, n):
        return _wtforms_catalogue(str(get_locale())).ungettext(singular, plural, n)


@cache
def _wtforms_catalogue(language: str) -> Translations:
    return Translations.load(messages_path(), [language], domain="wtforms")


_WTFORMS_MESSAGES = _WTFormsMessages()


def _offer_wtforms_messages() -> None:
    # Flask-WTF uses the request's `wtforms_translations` when there is one.
    request.wtforms_translations = _WTFORMS_MESSAGES


def init_app(app: Flask) -> None:
    app.before_request(_offer_wtforms_messages)
    # In place of flask_babel's, which look the catalogue up for every string; "_" calls
    # gettext directly instead of through a look-up of "gettext" in the template's context.
    app.jinja_env.globals.update(
        _=_gettext, gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext
    )

    @app.context_processor
    def language_context():
        current = str(get_locale())
        return {"current_lang": current, "other_lang": "en" if current == "sv" else "sv"}

    # What every page carries: the header, the main menu, the layout's style sheet and script.
    app.jinja_env.globals.update(main_menu=main_menu, fixed_url=fixed_url, page_header=page_header)
    # The only two ways a template shows a day or a moment (see portal.timeutil).
    app.jinja_env.filters["date"] = show_date
    app.jinja_env.filters["datetime"] = show_datetime

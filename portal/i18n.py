"""Language choice: the user's saved choice, then the cookie, then the browser."""

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

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


def init_app(app: Flask) -> None:
    @app.context_processor
    def language_context():
        current = str(get_locale())
        return {"current_lang": current, "other_lang": "en" if current == "sv" else "sv"}

    # The only two ways a template shows a day or a moment (see portal.timeutil).
    app.jinja_env.filters["date"] = show_date
    app.jinja_env.filters["datetime"] = show_datetime

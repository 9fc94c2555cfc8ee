"""Friendly error pages in the user's language; never a stack trace."""

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        _l("The request could not be understood"),
        _l("Something in the request was wrong. Go back and try again."),
    ),
    403: (
        _l("You do not have access to this page"),
        _l(
            "Your account does not give access to this page. If you think it should, "
            "contact the person who invited you."
        ),
    ),
    404: (
        _l("Page not found"),
        _l("The page does not exist, or it is not available to your account."),
    ),
    405: (
        _l("That action is not possible here"),
        _l(
            "The page does not accept this kind of request. Use the links and buttons "
            "on the page instead."
        ),
    ),
    409: (
        _l("This has changed in the meantime"),
        _l(
            "What you wanted to change was changed or submitted after you opened the page. "
            "Go back and reload the page to see it as it is now."
        ),
    ),
    413: (
        _l("The file is too large"),
        _l("What you sent is larger than the portal accepts. Make the file smaller and try again."),
    ),
    429: (
        _l("Too many attempts"),
        _l("There have been too many attempts in a short time. Wait a few minutes and try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l(
            "The error has been logged. Nothing you saved before this page was lost. "
            "Try again in a moment."
        ),
    ),
}
CSRF_MESSAGE = (
    _l("The form had expired"),
    _l(
        "For your security, forms stop working after a while or after you sign "
        "in or out. Go back, reload the page and send the form again."
    ),
)


def render_error(code: int, title=None, message=None):
    # A code without texts of its own: the general ones of a client's or the server's error.
    default_title, default_message = MESSAGES.get(code) or MESSAGES[400 if code < 500 else 500]
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=title or default_title,
            message=message or default_message,
        ),
        code,
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, *CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        response = render_error(error.code)
        if error.code == 405 and error.valid_methods:
            return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("unhandled error", exc_info=error)
        db.session.rollback()  # the page itself may need the database
        return render_error(500)

    app.register_error_handler(InternalServerError, lambda e: render_error(500))

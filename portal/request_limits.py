"""What a request may send: a small body everywhere, a large one only where a view takes
uploads (`@takes_uploads`), and never a NUL byte in its text.

The size limits are Werkzeug's own (`max_content_length`, `max_form_parts`), chosen per
endpoint by the request class. So they hold from the first read of the body, which is the
CSRF check before any view runs: a body longer than the endpoint's limit is refused from its
Content-Length without being read, and an urlencoded form of more fields than MAX_FORM_PARTS
before it is parsed (a multipart one at the part past the limit). Either answers 413 with
the friendly error page.
"""

import io
import itertools
from collections.abc import Callable

from flask import Flask, Request, abort, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser


def takes_uploads(view: Callable) -> Callable:
    """Let the decorated view receive a body up to MAX_CONTENT_LENGTH (a file upload);
    every other view receives at most FORM_MAX_BYTES."""
    view.takes_uploads = True
    return view


def endpoint_takes_uploads(endpoint: str | None) -> bool:
    """Whether the endpoint's view is marked @takes_uploads (False when routing failed)."""
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "takes_uploads", False)


class _CountingParser(FormDataParser):
    """Applies MAX_FORM_PARTS to urlencoded bodies too: Werkzeug counts only multipart
    parts, and parsing a megabyte of "a&a&a…" builds hundreds of thousands of pairs."""

    def parse(self, stream, mimetype, content_length, options=None):
        if mimetype == "application/x-www-form-urlencoded" and self.max_form_parts is not None:
            # The stream is already limited to the endpoint's max_content_length.
            body = stream.read()
            if body.count(b"&") >= self.max_form_parts:
                raise RequestEntityTooLarge()
            stream = io.BytesIO(body)
        return super().parse(stream, mimetype, content_length, options)


class LimitedRequest(Request):
    """Flask's request with the body limits of the endpoint it was routed to."""

    form_data_parser_class = _CountingParser

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None or not current_app:
            return super().max_content_length
        if endpoint_takes_uploads(self.endpoint):
            return current_app.config["MAX_CONTENT_LENGTH"]
        return current_app.config["FORM_MAX_BYTES"]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


#: The bodies Werkzeug parses into `request.form`; any other body leaves it empty.
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def refuse_nul_bytes() -> None:
    """Before every request: a NUL byte in the path, a query argument or a form field (its
    name or its value) is refused with 400. No browser sends one (HTML turns it into U+FFFD),
    and PostgreSQL can neither store nor compare text that holds one: passed on, it would be
    a server error. Uploaded files are not text here and may hold any byte."""
    # The query string and the form are only parsed when there is one: most requests are
    # GETs without either.
    if (
        "\x00" in request.path
        or (request.query_string and _holds_nul(request.args))
        or (request.mimetype in _FORM_TYPES and _holds_nul(request.form))
    ):
        abort(400)


def _holds_nul(fields) -> bool:
    return any("\x00" in text for text in itertools.chain.from_iterable(fields.items(multi=True)))


def init_app(app: Flask) -> None:
    app.request_class = LimitedRequest
    app.before_request(refuse_nul_bytes)

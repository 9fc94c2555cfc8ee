"""Cells of the factory lists that take more than a value: the names of a factory's codes and
its workforce make-up. Written in Python, once per row, rather than by loops and macros in
the templates: a page of a list shows fifty factories on every request."""

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

#: The workforce make-up: each share given, one per line.
WORKFORCE = (
    ("women_percent", _l("Women: %(n)d%%")),
    ("migrant_percent", _l("Migrant workers: %(n)d%%")),
    ("agency_percent", _l("Agency workers: %(n)d%%")),
)


class Cells:
    """The cell writers of one page, each text translated once for the page."""

    def __init__(self):
        self._workforce = [(name, str(text)) for name, text in WORKFORCE]

    @staticmethod
    def names(codes: list | None, labels: Mapping) -> str:
        """The codes' labels, comma-separated (a code without one as it is)."""
        return ", ".join(labels.get(code, code) for code in codes or ())

    def workforce(self, factory) -> Markup:
        """The shares of the workforce that are given, one per line."""
        lines = [
            escape(text % {"n": share})
            for name, text in self._workforce
            if (share := getattr(factory, name)) is not None
        ]
        return Markup("<br>").join(lines)

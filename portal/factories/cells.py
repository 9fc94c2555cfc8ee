"""Cells of the factory lists that take more than a value: the names of a factory's codes and
its workforce make-up. Written in Python, once per row, rather than by loops and macros in
the templates: a page of a list shows fifty factories on every request."""

from collections.abc import Callable, Mapping
from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from portal.factories.labels import COMPONENT_LABELS, PRODUCT_LABELS, ROLE_LABELS, Translated
from portal.factories.models import workers_label
from portal.texts import html_text

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
        return self.shares(lambda name: getattr(factory, name))

    def shares(self, share_of: Callable[[str], int | None]) -> Markup:
        """The same, each share read by its column's name."""
        lines = [
            escape(text % {"n": share})
            for name, text in self._workforce
            if (share := share_of(name)) is not None
        ]
        return Markup("<br>").join(lines)


class TableRows:
    """The rows of the buyer's table of every supplier's factories (factories/all.html),
    written here: a row's dozen cells cost the template, in calls and lookups, four times what
    the rest of the page costs per row; here they are a few string operations."""

    def __init__(self, country_names: Mapping[str, str], day_shown: Callable[[datetime], str]):
        self.cells = Cells()
        self.country_names = country_names
        self.day_shown = day_shown
        self.roles = Translated(ROLE_LABELS)
        self.components = Translated(COMPONENT_LABELS)
        self.products = Translated(PRODUCT_LABELS)
        #: A catalogue text, trusted as the templates trust theirs; the name is escaped.
        self.supplies = gettext("Supplies %(name)s")

    def __call__(self, rows) -> Markup:
        return Markup("".join(self._row(f) for f in rows))  # noqa: S704 - escaped below

    def _row(self, row) -> str:
        f = row._mapping  # read by key: a tenth of the cost of a Row's attributes
        cells = self.cells
        name = html_text(f["name"])
        if f["city"]:
            name += _muted(html_text(f["city"]))
        role = html_text(self.roles[f["role"]])
        if f["supplies_label"]:
            role += _muted(self.supplies % {"name": html_text(f["supplies_label"])})
        products = html_text(cells.names(f["product_categories"], self.products))
        if f["product_models"]:
            products += _muted(html_text(f["product_models"]))
        country = self.country_names.get(f["country"], f["country"])
        workers = workers_label(f["workers_min"], f["workers_max"])
        return (
            f'\n  <tr><th scope="row">{name}</th><td>{html_text(f["supplier_name"])}</td>'
            f"<td>{html_text(country)}</td><td>{role}</td>"
            f"\n    <td>{html_text(cells.names(f['component_categories'], self.components))}</td>"
            f"\n    <td>{products}</td>"
            f'\n    <td class="numeric">{html_text(workers)}'
            f"</td><td>{cells.shares(f.get)}</td><td>{html_text(self.day_shown(f['updated_at']))}"
            "</td></tr>\n  "
        )


def _muted(html: str) -> str:
    return f'<br><span class="muted">{html}</span>'

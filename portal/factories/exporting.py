"""The register as rows for a spreadsheet, in the portal's layout or Open Supply Hub's.

Every text cell is neutralised so that no spreadsheet runs it as a formula; portal.spreadsheets
writes the rows as CSV or XLSX.
"""

from collections.abc import Iterable

from portal.factories.models import Factory
from portal.spreadsheets import neutralised

#: The portal's own layout (also the import template); the importer reads these headers.
PORTAL_COLUMNS = [
    ("name", "Factory name"),
    ("name_local", "Name in local language"),
    ("address", "Address"),
    ("city", "City"),
    ("postal_code", "Postal code"),
    ("country", "Country"),
    ("role", "Role"),
    ("component_categories", "Component category"),
    ("product_categories", "Product category"),
    ("brands", "Brands"),
    ("workers", "Number of workers"),
    ("os_hub_id", "OS ID"),
    ("rba_id", "RBA ID"),
    ("entered_on", "Active from"),
    ("left_on", "Active to"),
    ("product_models", "Product models"),
    ("supplies", "Supplies"),
    ("women_percent", "Women (%)"),
    ("migrant_percent", "Migrant workers (%)"),
    ("agency_percent", "Agency workers (%)"),
]
#: Open Supply Hub's list upload columns.
OSH_COLUMNS = [
    ("name", "name"),
    ("address", "address"),
    ("country", "country"),
    ("sector", "sector"),
    ("product_type", "product_type"),
    ("workers", "number_of_workers"),
    ("facility_type", "facility_type"),
    ("brands", "parent_company"),
]
_OSH_FACILITY = {"final_assembly": "Final Assembly", "main_component": "Component Manufacturing"}


_DERIVED = {
    "workers": lambda f: f.workers_label.replace("–", "-"),
    "sector": lambda f: "Electronics",
    "product_type": lambda f: ", ".join(f.component_categories or f.product_categories or []),
    "facility_type": lambda f: _OSH_FACILITY[f.role],
    "supplies": lambda f: f.supplies_label,
}


def _cell(factory: Factory, field: str, layout: str):
    if field in _DERIVED:
        return _DERIVED[field](factory)
    value = getattr(factory, field)
    if isinstance(value, list):
        return ", ".join(value)
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else value


def rows(factories: Iterable[Factory], layout: str) -> tuple[list[str], list[list]]:
    """The header and one row per factory in the layout ("osh" or the portal's), every text
    cell neutralised."""
    columns = OSH_COLUMNS if layout == "osh" else PORTAL_COLUMNS
    header = [title for _, title in columns]
    body = neutralised([_cell(f, field, layout) for field, _ in columns] for f in factories)
    return header, body

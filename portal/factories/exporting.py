"""The register as rows for a spreadsheet, in the portal's layout or Open Supply Hub's.

Every text cell is neutralised so that no spreadsheet runs it as a formula; portal.spreadsheets
writes the rows as CSV or XLSX.

Open Supply Hub's layout is written for its list parser (opensupplyhub/open-supply-hub,
src/django/contricleaner/) to take as it is; tests/fixtures/osh/ holds its accepted columns and
taxonomy, with the source paths. What the parser does that shapes the file:
- it splits sector, product_type, facility_type and processing_type on "|" and "," (so no label
  may hold either), and it splits the file into lines before reading the CSV (so no cell may
  hold a line break);
- it refuses a row whose name or address is longer than 200 characters;
- its facility and processing type taxonomy is written for apparel: for Electronics it keeps the
  value as written, as a processing type, so the values here are taken from that taxonomy
  (src/django/api/facility_type_processing_type.py) and written without the "-", "/", "," and
  ":" its cleaning drops.
"""

from collections.abc import Iterable
from dataclasses import dataclass

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
    ("parent_company", "Parent company"),
    ("os_hub_id", "OS ID"),
    ("rba_id", "RBA ID"),
    ("latitude", "Latitude"),
    ("longitude", "Longitude"),
    ("entered_on", "Active from"),
    ("left_on", "Active to"),
    ("product_models", "Product models"),
    ("supplies", "Supplies"),
    ("women_percent", "Women (%)"),
    ("migrant_percent", "Migrant workers (%)"),
    ("agency_percent", "Agency workers (%)"),
]
#: Open Supply Hub's columns: those of its list upload, and os_id as its downloads name it
#: (the upload keeps a column it does not know as the contributor's own data).
OSH_COLUMNS = [
    ("name", "name"),
    ("name_local", "native_language_name"),
    ("osh_address", "address"),
    ("country", "country"),
    ("sector", "sector"),
    ("product_type", "product_type"),
    ("facility_type", "facility_type"),
    ("processing_type", "processing_type"),
    ("workers", "number_of_workers"),
    ("parent_company", "parent_company"),
    ("latitude", "lat"),
    ("longitude", "lng"),
    ("os_hub_id", "os_id"),
    ("rba_id", "rba_id"),
]
#: The longest value Open Supply Hub's parser accepts, by field of OSH_COLUMNS
#: (row_required_fields_serializer.py); its other columns take far more than the register holds.
OSH_LIMITS = {"name": 200, "osh_address": 200}
OSH_SECTOR = "Electronics"
#: Our roles in Open Supply Hub's taxonomy. Its one facility type for making products is "Final
#: Product Assembly"; component making has no facility type of its own outside apparel ("Textile
#: or Material Production"), so a main-component factory names only the processing type
#: "Components", and Open Supply Hub files that as its facility type as well.
OSH_FACILITY_TYPES = {"final_assembly": "Final Product Assembly", "main_component": ""}
OSH_PROCESSING_TYPES = {"final_assembly": "Assembly", "main_component": "Components"}
#: Product and component categories as Open Supply Hub product types: plain English, no "|" or
#: "," inside (its parser splits there), none a sector's name ("Storage", "Components" and
#: "Computer" are), and each read back to the same category by the portal's importer. The
#: taxonomy has no component categories, so the components a factory makes are its products.
OSH_PRODUCT_TYPES = {
    "pcs": ("PCs",),
    "monitors": ("Monitors",),
    "thin_clients": ("Thin clients",),
    "medical_panel_pcs": ("Medical panel PCs",),
    "network_security": ("Network security",),
    "servers_storage": ("Servers", "Storage systems"),
    "desktop_equipment": ("Desktop equipment",),
    "small_printers": ("Small printers",),
}
OSH_COMPONENT_TYPES = {
    "mainboard_pcb": ("Printed circuit boards",),
    "display_panel": ("Display panels",),
    "battery": ("Batteries",),
    "power_supply": ("Power supplies",),
    "chassis": ("Chassis",),
    "memory": ("Memory modules",),
    "storage": ("Hard drives", "Solid state drives"),
    "processor_semiconductors": ("Semiconductors",),
    "cables": ("Cables",),
    "keyboard_peripherals": ("Keyboards and mice",),
    "other": ("Other",),
}


def one_line(text: str | None) -> str:
    """`text` on one line: its lines joined with ", ", runs of spaces made single."""
    lines = (" ".join(line.split()) for line in (text or "").splitlines())
    return ", ".join(line for line in lines if line)


def osh_address(factory: Factory) -> str:
    """The address, postal code and city on one line, as Open Supply Hub takes an address; the
    postal code is left out where the address holds it already, and the city where a part of
    the address (between commas, without the postal code) is the city."""
    address = one_line(factory.address)
    postal_code = one_line(factory.postal_code)
    city = one_line(factory.city)
    parts = address.casefold().split(",")
    if postal_code:
        parts = [part.replace(postal_code.casefold(), "") for part in parts]
    if city.casefold() in {" ".join(part.split()) for part in parts}:
        city = ""
    if postal_code.casefold() in address.casefold():
        postal_code = ""
    place = " ".join(part for part in (postal_code, city) if part)
    return ", ".join(part for part in (address, place) if part)


def _osh_product_types(factory: Factory) -> str:
    labels = [
        label
        for code in factory.product_categories or []
        for label in OSH_PRODUCT_TYPES.get(code, ())
    ]
    labels += [
        label
        for code in factory.component_categories or []
        for label in OSH_COMPONENT_TYPES.get(code, ())
    ]
    return "|".join(dict.fromkeys(labels))


def _coordinate(value: float | None) -> float | str:
    return "" if value is None else value


_DERIVED = {
    "workers": lambda f: f.workers_label.replace("–", "-"),
    "supplies": lambda f: f.supplies_label,
}
_OSH_DERIVED = {
    **_DERIVED,
    "osh_address": osh_address,
    "sector": lambda f: OSH_SECTOR,
    "product_type": _osh_product_types,
    "facility_type": lambda f: OSH_FACILITY_TYPES[f.role],
    "processing_type": lambda f: OSH_PROCESSING_TYPES[f.role],
    # Open Supply Hub takes a point only with both coordinates.
    "latitude": lambda f: _coordinate(f.latitude if f.longitude is not None else None),
    "longitude": lambda f: _coordinate(f.longitude if f.latitude is not None else None),
}


def _cell(factory: Factory, field: str, derived: dict):
    if field in derived:
        return derived[field](factory)
    value = getattr(factory, field)
    if isinstance(value, list):
        return ", ".join(value)
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _osh_cell(factory: Factory, field: str):
    value = _cell(factory, field, _OSH_DERIVED)
    # No line breaks anywhere: Open Supply Hub reads a CSV line by line.
    return one_line(value) if isinstance(value, str) else value


def rows(factories: Iterable[Factory], layout: str) -> tuple[list[str], list[list]]:
    """The header and one row per factory in the layout ("osh" or the portal's), every text
    cell neutralised. Open Supply Hub's layout keeps every value whole, also one longer than
    it accepts: osh_too_long lists those first, so that nothing is cut unseen."""
    if layout == "osh":
        header = [title for _, title in OSH_COLUMNS]
        cells = ([_osh_cell(f, field) for field, _ in OSH_COLUMNS] for f in factories)
    else:
        header = [title for _, title in PORTAL_COLUMNS]
        cells = ([_cell(f, field, _DERIVED) for field, _ in PORTAL_COLUMNS] for f in factories)
    return header, neutralised(cells)


@dataclass(frozen=True)
class TooLong:
    """A value longer than Open Supply Hub accepts."""

    factory_id: int
    factory_name: str
    #: "name" or "address" (the address as exported: with postal code and city).
    field: str
    length: int
    limit: int


def osh_too_long(factories: Iterable[Factory]) -> list[TooLong]:
    """Every value of the factories that Open Supply Hub would refuse as too long, in the
    factories' order.

    The export still writes them whole, and the register page lists them beside its download
    links: a supplier who must send the list today can, Open Supply Hub then refuses only those
    rows and says why, and nothing is cut without the supplier knowing; refusing the whole file
    for one long address would stop the other factories too.
    """
    found = []
    for factory in factories:
        for field, limit in OSH_LIMITS.items():
            length = len(_osh_cell(factory, field))
            if length > limit:
                name = "address" if field == "osh_address" else field
                found.append(TooLong(factory.id, factory.name, name, length, limit))
    return found

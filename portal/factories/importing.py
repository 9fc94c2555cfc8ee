"""Reading suppliers' factory lists (CSV or XLSX) into rows checked field by field.

Suppliers send what their spreadsheet writes: Open Supply Hub downloads, Swedish "CSV
(semicolon)" in Windows-1252, their own systems' exports with headings in any language,
workbooks with stray spaces and formulas. Reading happens in two steps. `read_table` turns the
bytes of an upload into a `Table`: the headings and the cells as read. `parse_table` reads it
with a *matching* (the field each heading holds, or None) into a `ParseResult`: one `ParsedRow`
per non-empty row, with the cleaned values, the cells as read, and every error and warning tied
to the column as the supplier wrote it. `recognised_matching` is the matching the headings name
exactly; `guess_matching` adds what similar headings and the columns' values suggest, for the
user to confirm. `read_upload` does both steps with the recognised matching. Nothing here
touches the database or the request; the caller stores only rows without errors.

The bytes become rows of cells through portal.spreadsheets, within its limits; what is here
is what makes them a factory list. Formulas are never evaluated: a formula in a field that needs
a value is an error, and text that looks like one is kept as text (exports neutralise it).
"""

import difflib
import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache, partial
from typing import Any

import pycountry
from babel import Locale
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from portal import spreadsheets
from portal.spreadsheets import Formula, as_text, is_blank

#: The workforce make-up: whole percentages of the workers.
PERCENT_FIELDS = ("women_percent", "migrant_percent", "agency_percent")
FIELDS = (
    "name",
    "name_local",
    "address",
    "city",
    "postal_code",
    "country",
    "role",
    "component_categories",
    "product_categories",
    "brands",
    "workers_min",
    "workers_max",
    "parent_company",
    "latitude",
    "longitude",
    "os_hub_id",
    "rba_id",
    "entered_on",
    "left_on",
    "product_models",
    "supplies",
    *PERCENT_FIELDS,
)
ROLES = ("final_assembly", "main_component")
COMPONENTS = (
    "mainboard_pcb",
    "display_panel",
    "battery",
    "power_supply",
    "chassis",
    "memory",
    "storage",
    "processor_semiconductors",
    "cables",
    "keyboard_peripherals",
    "other",
)
PRODUCTS = (
    "pcs",
    "monitors",
    "thin_clients",
    "medical_panel_pcs",
    "network_security",
    "servers_storage",
    "desktop_equipment",
    "small_printers",
)
#: What a column of a file can be matched to: FIELDS, with one "workers" column for the range.
MATCHABLE = (
    "name",
    "name_local",
    "address",
    "city",
    "postal_code",
    "country",
    "role",
    "component_categories",
    "product_categories",
    "brands",
    "workers",
    "parent_company",
    "latitude",
    "longitude",
    "os_hub_id",
    "rba_id",
    "entered_on",
    "left_on",
    "product_models",
    "supplies",
    *PERCENT_FIELDS,
    #: Open Supply Hub's processing types (alone or with its facility types, as its list
    #: template combines them): the role when no role column gives one, and the components
    #: they name.
    "processing_type",
    #: Open Supply Hub's is_closed: read for a warning, not kept.
    "is_closed",
)
#: Cells per column that guess_matching looks at.
GUESS_ROWS = 20
#: Longest text accepted per field (the register's column sizes); longer is a pasted document.
TEXT_LIMITS = {
    "name": 300,
    "name_local": 300,
    "address": 500,
    "city": 200,
    "postal_code": 40,
    "brands": 200,
    #: The group that owns the factory (Open Supply Hub's parent_company).
    "parent_company": 200,
    "product_models": 500,
    #: What a main-component factory supplies: a final-assembly factory's name or a brand.
    "supplies": 200,
}
#: Longest cell text a message repeats; longer ones are cut.
_SHOWN = 100
#: Unknown categories of one cell that get a warning each; the rest are counted in one more.
_UNKNOWN_SHOWN = 5
#: More workers than any factory has; also keeps the number inside a 32-bit database integer.
MAX_WORKERS = 1_000_000

OS_HUB_ID = re.compile(r"^[A-Z]{2}\d{7}[A-Z0-9]{6,7}$")
RBA_ID = re.compile(r"^[A-Za-z0-9-]{4,30}$")


class ImportFileError(Exception):
    """The file as a whole cannot be read (message for the user)."""


@dataclass
class Issue:
    """One problem (error) or remark (warning) on a row."""

    #: The column's header as written in the file (spaces around it removed, runs of spaces
    #: inside it made single); None for a problem of the row as a whole.
    column: str | None
    message: str


@dataclass
class ParsedRow:
    """One non-empty row of the file, checked."""

    #: The row's number as a spreadsheet shows it (header row = 1).
    number: int
    #: Canonical field -> cleaned value; every field of FIELDS is present (None or [] if empty).
    values: dict[str, Any]
    #: Header as written -> the cell's text as read, for showing and fixing the row.
    raw: dict[str, str]
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    #: Set by find_duplicates: "row N" (first occurrence in the file) or a register description.
    duplicate_of: str | None = None

    @property
    def key(self) -> str:
        """The normalised name|address|country under which duplicates are found."""
        return normalise_key(
            self.values.get("name") or "", self.values.get("address"), self.values.get("country")
        )


@dataclass
class ParseResult:
    """Every non-empty data row of a file and how its columns were understood."""

    rows: list[ParsedRow]
    #: Canonical field -> header as written. The one workers column serves workers_min and
    #: workers_max, so both map to it.
    columns: dict[str, str]
    #: Headers not understood (their cells are not imported), in the file's order.
    ignored_columns: list[str]
    #: For CSV: the encoding it was read in ('utf-8-sig', 'utf-8', 'cp1252', 'gb18030'...);
    #: None for XLSX.
    encoding: str | None
    #: For CSV: ',', ';' or '\t'; None for XLSX.
    delimiter: str | None


@dataclass
class Table:
    """A file's headings and the non-empty rows under them, as read, before any checking."""

    #: The headings as written (spaces around them removed, runs of spaces inside made single;
    #: a heading that repeats gets its column number), one per column that has a heading.
    headings: list[str]
    #: Where each heading's cells are in a row (columns without a heading are skipped).
    positions: list[int]
    #: (the row's number as a spreadsheet shows it, its cells) for each non-empty data row.
    records: list[tuple[int, list[Any]]]
    #: As in ParseResult.
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def lost_letters(self) -> bool:
        """Whether a "?" inside a word may be a letter the file's code page had no room for."""
        return self.encoding is not None and not self.encoding.startswith("utf")

    def values(self, column: int, limit: int | None = None) -> list[Any]:
        """The first `limit` non-blank cells of the column at this index of `headings`."""
        position = self.positions[column]
        found = []
        for _number, cells in self.records:
            if position < len(cells) and not is_blank(cells[position]):
                found.append(cells[position])
                if len(found) == limit:
                    break
        return found

    def samples(self, column: int, count: int = 3) -> list[str]:
        """Up to `count` different values of the column as a person reads them, to show."""
        found: list[str] = []
        for value in self.values(column, GUESS_ROWS):
            text = " ".join(as_text(value).split())
            if text not in found:
                found.append(text)
            if len(found) == count:
                break
        return found

    def to_json(self) -> dict:
        """The table as JSON-ready data that from_json reads back cell for cell."""
        return {
            "headings": self.headings,
            "positions": self.positions,
            "records": [
                [number, [_cell_to_json(c) for c in cells]] for number, cells in self.records
            ],
            "encoding": self.encoding,
            "delimiter": self.delimiter,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Table":
        return cls(
            headings=list(data["headings"]),
            positions=list(data["positions"]),
            records=[
                (number, [_cell_from_json(c) for c in cells]) for number, cells in data["records"]
            ],
            encoding=data.get("encoding"),
            delimiter=data.get("delimiter"),
        )


def _cell_to_json(value: Any) -> Any:  # noqa: PLR0911 (one return per kind of cell reads best)
    """A cell as JSON: text, numbers, booleans and empty cells as themselves; formulas, dates
    and times tagged, so that they come back as what they were."""
    if isinstance(value, Formula):
        return {"formula": str(value)}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, time):
        return {"time": value.isoformat()}
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return as_text(value)


def _cell_from_json(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    [(kind, text)] = value.items()
    return {
        "formula": Formula,
        "datetime": datetime.fromisoformat,
        "date": date.fromisoformat,
        "time": time.fromisoformat,
    }[kind](text)


class _DuplicateIssue(Issue):
    """The warning find_duplicates adds, so that a second run replaces it instead of adding one."""


# --- Vocabularies -------------------------------------------------------------------------------
# Keys are written as _term() leaves them: case-folded, punctuation turned into spaces.

_HEADERS = {
    "name": (
        "name", "factory name", "facility name", "factory", "facility", "site name",
        "fabriksnamn", "fabrik", "fabrikens namn", "namn", "anläggning", "anläggningens namn",
    ),
    "name_local": (
        "name local language", "name in local language", "local name", "local language name",
        "lokalt namn", "namn på lokalt språk", "namn lokalt språk",
        # Open Supply Hub: its lists' column, and its downloads' claimed name.
        "native language name", "name in native language", "claim name in native language",
    ),
    "address": ("address", "street address", "factory address", "adress", "gatuadress"),
    "city": ("city", "town", "ort", "stad", "postort"),
    "postal_code": (
        "postal code", "postcode", "post code", "zip", "zip code", "postnummer", "postnr",
    ),
    "country": ("country", "country code", "country name", "land", "landkod"),
    "role": ("role", "roll", "facility type", "type", "typ", "factory role"),
    "component_categories": (
        "component", "components", "component category", "component categories",
        "komponent", "komponenter", "komponentkategori", "komponentkategorier",
    ),
    "product_categories": (
        "product category", "product categories", "product type", "product types", "products",
        "produktkategori", "produktkategorier", "produkttyp", "produkter",
        # Open Supply Hub's list template: sectors and product types in one column.
        "sector product type",
    ),
    "brands": ("brand", "brands", "varumärke", "varumärken"),
    "workers": (
        "workers", "number of workers", "no of workers", "employees", "number of employees",
        "workforce", "antal anställda", "antal arbetare", "anställda", "arbetare",
    ),
    "parent_company": (
        "parent company", "parent company name", "owning company", "moderbolag", "koncern",
    ),
    "latitude": ("lat", "latitude", "latitud"),
    "longitude": ("lng", "lon", "long", "longitude", "longitud"),
    "os_hub_id": (
        "os id", "osid", "os hub id", "osh id", "open supply hub id", "open supply id",
    ),
    "rba_id": ("rba id", "rbaid"),
    "entered_on": (
        "active from", "entered", "entered on", "in supply chain from", "från", "aktiv från",
        "i leveranskedjan från", "start date", "startdatum",
    ),
    "left_on": (
        "active to", "left", "left on", "in supply chain to", "till", "aktiv till",
        "i leveranskedjan till", "end date", "slutdatum",
    ),
    "product_models": (
        "product models", "product model", "models", "model", "models made",
        "produktmodeller", "produktmodell", "modeller", "modell",
    ),
    "supplies": (
        "supplies", "supplies to", "delivers to", "supplied factory", "supplied brand",
        "final assembly factory", "levererar till", "levererar", "slutmonteringsfabrik",
    ),
    "women_percent": (
        "women", "share of women", "women workers", "female workers", "percent women",
        "kvinnor", "andel kvinnor", "kvinnliga arbetare",
    ),
    "migrant_percent": (
        "migrant workers", "migrants", "share of migrant workers", "percent migrant workers",
        "migrantarbetare", "andel migrantarbetare", "migrerande arbetare",
    ),
    "agency_percent": (
        "agency workers", "temporary agency workers", "share of agency workers",
        "percent agency workers", "inhyrda", "inhyrd personal", "andel inhyrda",
        "bemanningspersonal", "andel bemanningspersonal",
    ),
    "processing_type": (
        "processing type", "processing types", "facility type processing type",
        "production type", "bearbetningstyp",
    ),
    "is_closed": ("is closed", "closed", "stängd", "nedlagd"),
}  # fmt: skip
# Open Supply Hub columns that are understood but not kept: not worth a "not imported" notice.
_UNDERSTOOD_NOT_STORED = frozenset({
    "sector", "sektor", "contribution date", "contributor list", "country name",
    "parent company os id", "duns id", "lei id",
    # Read only when a row's processing_type is empty (_FALLBACKS).
    "processing type facility type raw",
})  # fmt: skip
#: Open Supply Hub's download columns read for a field when the field's own column is empty
#: in a row: heading (as _term leaves it) -> the field.
_FALLBACKS = {"processing type facility type raw": "processing_type"}


def _not_stored(heading: str) -> bool:
    """Whether the heading names a column known and not kept: one of _UNDERSTOOD_NOT_STORED,
    or the claim_ columns of an Open Supply Hub download (what the factory told OSH about
    itself: its website, phone, energy use...), other than those the headings name."""
    term = _term(heading)
    return term in _UNDERSTOOD_NOT_STORED or (
        term.startswith("claim ") and term not in _HEADER_FIELDS
    )


def _never_guessed(heading: str) -> bool:
    """Whether guess_matching leaves the column out: known not to be kept, and not a heading
    of a field either (a second "country name" column is the country again)."""
    return _not_stored(heading) and _term(heading) not in _HEADER_FIELDS


_ROLE_WORDS = {
    "final_assembly": (
        "final assembly", "assembly", "final product assembly", "product assembly",
        "final assembly plant", "slutmontering", "slutmontage", "montering",
    ),
    "main_component": (
        "main component", "main components", "component", "components",
        "component manufacturing", "component manufacturer", "component production",
        "huvudkomponent", "huvudkomponenter", "komponent", "komponenter",
        "komponenttillverkning", "komponenttillverkare",
    ),
}  # fmt: skip

_COMPONENT_WORDS = {
    "mainboard_pcb": (
        "mainboard", "mainboard pcb", "motherboard", "logic board", "pcb", "pcba",
        "printed circuit board", "printed circuit boards", "printed circuit board assembly",
        "circuit board", "moderkort", "kretskort", "mönsterkort",
        # Processing types as electronics lists on Open Supply Hub write them.
        "pcb assembly", "pcba assembly", "pcb manufacturing", "pcb fabrication", "smt",
        "smt assembly", "surface mount assembly", "surface mount technology",
        "circuit board assembly", "printed circuit board manufacturing",
    ),
    "display_panel": (
        "display", "display panel", "panel", "lcd", "lcd panel", "oled", "oled panel", "screen",
        "skärm", "skärmar", "bildskärm", "bildskärmar", "bildskärmspanel", "paneler",
        "display manufacturing", "panel manufacturing", "display module", "lcd module", "lcm",
    ),
    "battery": (
        "battery", "batteries", "battery cell", "battery pack", "batteri", "batterier",
        "battericell", "battericeller", "battery manufacturing", "battery assembly",
        "cell manufacturing",
    ),
    "power_supply": (
        "power supply", "power supplies", "psu", "power adapter", "ac adapter", "adapter",
        "charger", "nätaggregat", "strömförsörjning", "nätadapter", "laddare",
        "power supply manufacturing", "power supply assembly",
    ),
    "chassis": (
        "chassis", "enclosure", "housing", "casing", "chassi", "chassin", "hölje", "höljen",
        "metal stamping", "die casting", "plastic injection molding", "injection molding",
        "cnc machining",
    ),
    "memory": (
        "memory", "dram", "dram module", "ram", "memory module", "minne", "minnen",
        "minnesmodul", "minnesmoduler",
    ),
    "storage": (
        "storage", "ssd", "hdd", "hard drive", "hard disk", "solid state drive", "flash storage",
        "lagring", "hårddisk", "hårddiskar",
    ),
    "processor_semiconductors": (
        "processor", "processor semiconductors", "processors", "cpu", "gpu", "semiconductor",
        "chip", "chipset", "integrated circuit", "halvledare", "processorer",
        "semiconductor manufacturing", "wafer fabrication", "semiconductor packaging",
        "chip packaging",
    ),
    "cables": (
        "cable", "cabling", "wire", "wiring", "wire harness", "cables and connectors",
        "cables connectors", "kabel", "kablar", "kablage", "sladd", "sladdar",
        "cable assembly", "wire harness assembly",
    ),
    "keyboard_peripherals": (
        "keyboard", "keyboard peripherals", "peripheral", "mouse", "mice", "keyboards and mice",
        "tangentbord", "kringutrustning", "mus", "möss",
    ),
    "other": ("other", "others", "övrigt", "övriga", "annat"),
}  # fmt: skip

_PRODUCT_WORDS = {
    "pcs": (
        "pc", "pcs", "computer", "personal computer", "desktop", "desktop computer", "laptop",
        "notebook", "notebook computer", "all in one", "dator", "datorer", "persondator",
        "persondatorer", "bärbar dator", "bärbara datorer", "stationär dator",
        "stationära datorer",
    ),
    "monitors": ("monitor", "display", "bildskärm", "bildskärmar", "skärm", "skärmar"),
    "thin_clients": ("thin client", "tunn klient", "tunna klienter"),
    "medical_panel_pcs": (
        "medical panel pc", "medical panel pcs", "medical pc", "medical pcs",
        "medicinsk panel pc", "medicinska panel pc", "medicinsk dator", "medicinska datorer",
    ),
    "network_security": (
        "network security", "network equipment", "networking", "network", "firewall",
        "router", "switch", "switches", "nätverk", "nätverksutrustning", "nätverkssäkerhet",
        "brandvägg", "brandväggar",
    ),
    "servers_storage": (
        "server", "servers storage", "storage", "storage system", "data storage", "servrar",
        "servrar och lagring", "lagring",
    ),
    "desktop_equipment": (
        "desktop equipment", "docking station", "headset", "webcam", "skrivbordsutrustning",
        "dockningsstation", "dockningsstationer",
    ),
    "small_printers": ("printer", "small printer", "skrivare", "små skrivare"),
}  # fmt: skip

# Open Supply Hub's sectors (src/django/api/fixtures/sectors.json of opensupplyhub/
# open-supply-hub, those without a comma). Its list template writes them in one column with
# the product types, and keeps an item as a sector when it is one: so does the importer,
# without a warning, as the register has no sector.
_OSH_SECTOR_NAMES = frozenset({
    "accessories", "accommodation", "aerospace", "agriculture", "air transportation",
    "allied products", "ambulatory care facility", "animal production", "apparel",
    "apparel accessories", "appliances", "aquaculture", "archives", "arts", "audio recording",
    "automotive", "automotive parts", "banking", "beverages", "books", "building construction",
    "building material", "chemical industry", "chemical substances", "civics",
    "civil engineering construction", "coal", "commodity contracts", "components", "computer",
    "computing infrastructure", "construction", "consumer products", "crop production",
    "durable goods", "educational services", "electrical devices", "electricity",
    "electronic product manufacturing", "electronics", "energy", "entertainment", "equipment",
    "farming", "finance", "financial services", "fishing", "food", "food industry",
    "food manufacturing", "footwear", "forestry", "furniture", "garden tools", "gas",
    "general merchandise", "ground passenger transportation", "health", "healthcare", "hobby",
    "home furnishings", "hospitals", "hunting", "information", "international affairs",
    "jewelry", "leather", "logging", "machinery manufacturing", "maintenance",
    "manufacture of fabricated metal products", "manufacturing", "merchant wholesalers",
    "metal manufacturing", "mining", "multi-category", "musical instruments",
    "nondurable goods", "nonmetallic mineral product manufacturing", "nursing", "oil", "paper",
    "parts dealers", "personal care products", "pharmaceutical product",
    "pipeline transportation", "plastics", "printing", "professional", "quarrying",
    "rail transportation", "recreation", "renewable energy", "renting", "repair",
    "rubber products", "scientific", "solar energy", "space research",
    "specialty trade contractors", "sports equipment", "storage", "supplies dealers",
    "technical services", "technology", "telecommunications", "textile mills",
    "tobacco products", "transportation equipment", "trucking", "unspecified", "utilities",
    "warehousing", "wholesale trade", "wood products",
})  # fmt: skip

# Common names that neither pycountry nor CLDR (through babel) list for English or Swedish.
_EXTRA_COUNTRIES = {
    "uk": "GB", "great britain": "GB", "england": "GB", "usa": "US", "turkey": "TR",
    "turkiet": "TR", "holland": "NL", "czech republic": "CZ", "korea": "KR",
    "republic of korea": "KR", "burma": "MM", "ivory coast": "CI", "swaziland": "SZ",
    "macedonia": "MK", "hong kong sar": "HK", "hongkong": "HK", "taiwan roc": "TW",
    # As Open Supply Hub also accepts them (src/django/countries/lib/countries.py).
    "hong kong china": "HK", "china hong kong sar": "HK", "macao china": "MO",
    "china macao sar": "MO", "taiwan china": "TW", "china taiwan province of china": "TW",
    "czech": "CZ", "britain": "GB",
}  # fmt: skip

_TEXT_FIELDS = (
    "name",
    "name_local",
    "address",
    "city",
    "postal_code",
    "product_models",
    "supplies",
    "parent_company",
)
#: A whole percentage, with or without its sign: "45", "45 %", "45%".
_PERCENT = re.compile(r"^(\d{1,3})\s*%?$")
_LIST_SPLIT = re.compile(r"[,;/|\n]+")
_BRAND_SPLIT = re.compile(r"[,;\n]+")
# How Open Supply Hub splits a cell of several values (its split pattern is ", |,|\|"), and
# the semicolons of suppliers' own lists.
_VALUES_SPLIT = re.compile(r"[,;|]+")
#: Open Supply Hub's download joins the contributors' values of a field with "|".
_CONTRIBUTIONS_SPLIT = re.compile(r"\s*\|\s*")
#: A coordinate in degrees: a decimal point or a decimal comma, an optional sign.
_DEGREES = re.compile(r"^[+-]?\d{1,3}(?:[.,]\d{1,15})?$")
#: What a yes/no cell such as is_closed holds for yes (as _term leaves it).
_TRUE = frozenset({"true", "yes", "1", "y", "ja", "sant"})
# A "?" inside a word, or starting one: what a spreadsheet writes for a letter the encoding lacks.
_LOST_LETTER = re.compile(r"[^\W\d_]\?[^\W\d_]|(?:^|\s)\?[^\W\d_]")
_NUMBER = r"\d{1,3}(?:[ \u00a0\u202f\u2009,.']\d{3})+|\d+"
_WORKERS_ONE = re.compile(rf"^({_NUMBER})$")
_WORKERS_RANGE = re.compile(rf"^({_NUMBER})\s*[-\u2013\u2014]\s*({_NUMBER})$")
_WORKERS_OPEN = re.compile(rf"^({_NUMBER})\s*\+$")


# --- Normalising --------------------------------------------------------------------------------


class _CharacterTable(dict):
    """A str.translate table that decides each character once, by its Unicode category.

    Looking up the category of every character of every cell is what made 20,000 rows slow;
    a file uses few distinct characters, so the table fills quickly and then only translates.
    """

    def __init__(self, categories: tuple[str, ...], replacement: str | None, keep: str = ""):
        super().__init__({ord(c): ord(c) for c in keep})
        self.categories = categories
        self.replacement = None if replacement is None else ord(replacement)

    def __missing__(self, code: int) -> int | None:
        category = unicodedata.category(chr(code))
        found = self.replacement if category.startswith(self.categories) else code
        self[code] = found
        return found


# Punctuation, symbols, separators and control characters become spaces in keys and terms.
_PUNCTUATION_TO_SPACE = _CharacterTable(("P", "S", "Z", "C"), " ")
# Control characters (line breaks are split off before) are dropped from cell text; tabs
# become spaces when whitespace is collapsed.
_DROP_CONTROL = _CharacterTable(("Cc",), None, keep="\t")


def _term(text: str) -> str:
    """`text` as vocabularies are keyed: NFKC, case-folded, punctuation as single spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.translate(_PUNCTUATION_TO_SPACE).split())


def _fold(text: str) -> str:
    """Letters and digits only, without accents: "Viet Nam" and "vietnam" meet here."""
    text = unicodedata.normalize("NFKD", text).casefold()
    return "".join(c for c in text if c.isalnum())


def normalise_key(name: str, address: str | None, country: str | None) -> str:
    """The key two rows share when they are the same factory written differently.

    Each part is NFKC-normalised, case-folded, stripped of punctuation and has its whitespace
    collapsed, so "Kunshan  Mainboard " and "kunshan mainboard" meet; the parts are joined
    with "|".
    """
    return "|".join(_term(part or "") for part in (name, address, country))


def _vocabulary(words: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_term(word): key for key, synonyms in words.items() for word in synonyms}


_HEADER_FIELDS = _vocabulary(_HEADERS)
_SQUEEZED_HEADER_FIELDS = {term.replace(" ", ""): key for term, key in _HEADER_FIELDS.items()}
_ROLES = _vocabulary(_ROLE_WORDS)
_COMPONENTS = _vocabulary(_COMPONENT_WORDS)
_PRODUCTS = _vocabulary(_PRODUCT_WORDS)
_SECTORS = frozenset(_term(name) for name in _OSH_SECTOR_NAMES)


def _lookup(vocabulary: dict[str, str], text: str) -> str | None:
    """The vocabulary's key for `text`, also for a plain English plural ("LCD panels")."""
    term = _term(text)
    found = vocabulary.get(term)
    if found is None and term.endswith("s"):
        found = vocabulary.get(term[:-1])
    return found


@cache
def _country_names() -> dict[str, str]:
    """Folded country name (English, Swedish, ISO) -> alpha-2; names two countries share are
    left out rather than guessed."""
    known = {c.alpha_2 for c in pycountry.countries}
    candidates: dict[str, set[str]] = {}

    def add(name: str | None, code: str) -> None:
        if name and code in known:
            candidates.setdefault(_fold(name), set()).add(code)

    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            add(getattr(country, attribute, None), country.alpha_2)
    for locale in ("en", "sv"):
        for code, name in Locale.parse(locale).territories.items():
            add(name, code)
    for name, code in _EXTRA_COUNTRIES.items():
        add(name, code)
    return {name: codes.pop() for name, codes in candidates.items() if len(codes) == 1}


@cache
def _country_codes() -> dict[str, str]:
    """Upper-case alpha-2 and alpha-3 code -> alpha-2."""
    codes = {c.alpha_2: c.alpha_2 for c in pycountry.countries}
    codes.update({c.alpha_3: c.alpha_2 for c in pycountry.countries})
    return codes


def _country(text: str) -> str | None:
    """The alpha-2 code for an ISO code (any case) or an English or Swedish name, or None."""
    code = _country_codes().get(text.strip().upper())
    return code or _country_names().get(_fold(text))


# --- Reading the file ---------------------------------------------------------------------------


def read_upload(data: bytes, filename: str) -> ParseResult:
    """Every non-empty row of an uploaded factory list, checked, its columns matched by their
    headings alone; nothing is stored.

    Raises ImportFileError as read_table does, and when no heading names the factories' names.
    """
    table = read_table(data, filename)
    return parse_table(table, recognised_matching(table))


def read_table(data: bytes, filename: str) -> Table:
    """The headings and cells of an uploaded factory list, unchecked; nothing is stored.

    The file is read as portal.spreadsheets reads uploads (the content decides its kind, the
    filename's extension must agree; a CSV file's encoding is detected). Of a workbook's
    sheets, the first whose headings name the factories' names is read, else the first where
    guess_matching finds them, else the first that is not empty. Raises ImportFileError, with
    a message for the user, for a file that cannot be read as a whole: an unsupported or
    mislabelled type, text in no encoding, an unreadable workbook or one that would unpack too
    large, more than spreadsheets.MAX_ROWS data rows or spreadsheets.MAX_COLUMNS headings,
    nothing in it.
    """
    try:
        if spreadsheets.file_kind(data, filename) == "xlsx":
            return _read_xlsx(data)
        return _read_csv(data)
    except spreadsheets.SpreadsheetError as error:
        raise _file_error(error) from error


#: What the user reads for the reasons portal.spreadsheets gives for not reading a file
#: that name this kind of table (the others are worded there).
_FILE_ERRORS: dict[str, Callable[..., Any]] = {
    "unsupported": lambda: _l(
        "Only Excel workbooks (.xlsx) and CSV files (.csv) can be imported; "
        "save the list in one of these formats."
    ),
    "not_text": lambda: _l(
        "The file could not be read as text. Save the list as CSV (UTF-8) or as .xlsx."
    ),
    "too_many_parts": lambda count, max: _l(
        "The workbook holds %(count)s parts, more than a factory list needs (at most %(max)s).",
        count=count,
        max=max,
    ),
    "too_large": lambda max_mb: _l(
        "The workbook would take more than %(size)s MB when unpacked, too much for a factory list.",
        size=max_mb,
    ),
    "part_too_large": lambda max_mb: _l(
        "A part of the workbook would take more than %(size)s MB when unpacked, "
        "too much for a factory list.",
        size=max_mb,
    ),
    "too_many_cells": lambda max: _l(
        "The sheet holds more than %(max)s cells, more than a factory list "
        "needs. Leave out the rows and columns that are not about the "
        "factories.",
        max=max,
    ),
    "too_many_rows": lambda max: _l(
        "The file has more than %(max)s factories. Split it into files of at most %(max)s rows.",
        max=max,
    ),
    "too_many_columns": lambda count, max: _l(
        "The file has %(count)s columns, more than a factory list needs (at most "
        "%(max)s). Leave out the columns that are not about the factories.",
        count=count,
        max=max,
    ),
}


def _file_error(error: spreadsheets.SpreadsheetError) -> ImportFileError:
    return ImportFileError(spreadsheets.error_message(error, _FILE_ERRORS))


def _no_name_column() -> ImportFileError:
    return ImportFileError(
        str(
            _l(
                "No column with the factories' names was found. The first row must hold "
                "headings such as Name, Address, Country and Role."
            )
        )
    )


def _read_csv(data: bytes) -> Table:
    encoding, delimiter, records = spreadsheets.read_csv(data)
    table = _table(records)
    if table is None:
        raise _no_name_column()
    table.encoding, table.delimiter = encoding, delimiter
    return table


def _read_xlsx(data: bytes) -> Table:
    with spreadsheets.open_workbook(data) as sheets:
        # A workbook may open on an instructions sheet: choose by the first rows.
        chosen, best = None, -1
        for sheet in sheets:
            head = _table(sheet(), limit=GUESS_ROWS)
            if head is None:
                continue
            rank = 2 if "name" in recognised_matching(head) else 0
            rank = rank or (1 if "name" in guess_matching(head) else 0)
            if rank > best:
                chosen, best = sheet, rank
            if rank == 2:
                break
        if chosen is None:
            raise _no_name_column()
        return _table(chosen())


def _table(records: Iterable[tuple[int, list[Any]]], *, limit: int | None = None) -> Table | None:
    """The table of spreadsheets.headed (its first `limit` data rows); None if every row is
    empty."""
    found = spreadsheets.headed(records, limit=limit)
    return None if found is None else Table(*found)


def _shown(value: Any) -> str:
    """The cell's text to repeat in a message, cut after _SHOWN characters: a row's problems
    stay about as large as the row."""
    text = as_text(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


# --- Reading rows -------------------------------------------------------------------------------


@dataclass
class _Column:
    index: int
    header: str
    field: str | None  # None: understood but not stored, or not understood
    #: The field this column is read for when the row's own column for it is empty
    #: (_FALLBACKS); only for a column not read as a field of its own.
    fallback: str | None = None


def recognised_matching(table: Table) -> list[str | None]:
    """The field of MATCHABLE each heading names exactly (in English, Swedish or as Open Supply
    Hub writes it; case, punctuation and spacing aside, so "NumberOfWorkers" is
    number_of_workers), None for the others; where two headings name one field, the first
    counts."""
    matching: list[str | None] = []
    for heading in table.headings:
        term = _term(heading)
        # "NumberOfWorkers" and "number_of_workers" name the same column.
        found = _HEADER_FIELDS.get(term) or _SQUEEZED_HEADER_FIELDS.get(term.replace(" ", ""))
        matching.append(None if found in matching else found)
    return matching


def headings_key(headings: list[str]) -> str:
    """What two files share when their headings read alike, in the same order (case, spacing
    and punctuation aside): a matching is remembered under it."""
    return hashlib.sha256("\x1f".join(_term(h) for h in headings).encode()).hexdigest()


def _layout(
    table: Table, matching: list[str | None]
) -> tuple[list[_Column], dict[str, str], list[str]]:
    """Each column's heading and field; the field -> heading map; the headings not imported."""
    columns: list[_Column] = []
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    for position, heading, found in zip(table.positions, table.headings, matching, strict=True):
        field_ = found
        if found == "workers":
            if "workers_min" in mapping:
                field_ = None
            else:
                mapping["workers_min"] = mapping["workers_max"] = heading
        elif found is not None:
            if found in mapping:
                field_ = None  # a second column for the same field: the first one counts
            else:
                mapping[found] = heading
        if field_ is None and not _not_stored(heading):
            ignored.append(heading)
        fallback = _FALLBACKS.get(_term(heading)) if field_ is None else None
        columns.append(_Column(position, heading, field_, fallback))
    return columns, mapping, ignored


def parse_table(table: Table, matching: list[str | None]) -> ParseResult:
    """Every row of the table checked, each column read as the field of MATCHABLE that
    `matching` gives it at the same index (None: not imported). Raises ImportFileError when no
    column holds the factories' names."""
    if len(matching) != len(table.headings) or any(
        found is not None and found not in MATCHABLE for found in matching
    ):
        raise ValueError("the matching does not fit the table")
    columns, mapping, ignored = _layout(table, matching)
    if "name" not in mapping:
        raise _no_name_column()
    rows = [
        _parse_row(number, cells, columns, mapping, lost_letters=table.lost_letters)
        for number, cells in table.records
    ]
    return ParseResult(rows, mapping, ignored, table.encoding, table.delimiter)


class _RowChecker:
    """Collects one row's values and issues while its cells are read."""

    def __init__(self, number: int, raw: dict[str, str]):
        self.row = ParsedRow(number, dict.fromkeys(FIELDS), raw)
        for name in ("component_categories", "product_categories", "brands"):
            self.row.values[name] = []

    def error(self, column: str | None, message: Any) -> None:
        self.row.errors.append(Issue(column, str(message)))

    def warn(self, column: str | None, message: Any) -> None:
        self.row.warnings.append(Issue(column, str(message)))


def _parse_row(
    number: int,
    cells: list[Any],
    columns: list[_Column],
    mapping: dict[str, str],
    *,
    lost_letters: bool,
) -> ParsedRow:
    raw = {c.header: as_text(cells[c.index]) if c.index < len(cells) else "" for c in columns}
    check = _RowChecker(number, raw)
    # The heading each field's value was read from: a fallback column's, where one was used.
    mapping = dict(mapping)
    cell_by_field = _cells_by_field(check, cells, columns, mapping, lost_letters=lost_letters)

    for name in _TEXT_FIELDS:
        _text_field(check, name, cell_by_field.get(name), mapping.get(name))
    name_header = mapping["name"]
    if check.row.values["name"] is None and all(
        issue.column != name_header for issue in check.row.errors
    ):
        check.error(name_header, _l("The factory's name is missing."))
    _country_field(check, cell_by_field.get("country"), mapping.get("country"))
    _role_field(check, cell_by_field, mapping)
    _categories(check, cell_by_field, mapping)
    _brands_field(check, cell_by_field.get("brands"), mapping.get("brands"))
    _workers_field(check, cell_by_field.get("workers"), mapping.get("workers_min"))
    _coordinates(check, cell_by_field, mapping)
    _id_fields(check, cell_by_field, mapping)
    _date_fields(check, cell_by_field, mapping)
    _percent_fields(check, cell_by_field, mapping)
    _supplies_field(check, mapping.get("supplies"))
    _closed_field(check, cell_by_field.get("is_closed"), mapping.get("is_closed"))
    return check.row


def _cells_by_field(
    check: _RowChecker,
    cells: list[Any],
    columns: list[_Column],
    mapping: dict[str, str],
    *,
    lost_letters: bool,
) -> dict[str, Any]:
    """The row's non-blank cells by the field they are read as; a fallback column's cell where
    the field's own is blank (its heading then goes into `mapping`)."""
    cell_by_field: dict[str, Any] = {}
    fallbacks: dict[str, tuple[str, Any]] = {}
    for column in columns:
        name = column.field or column.fallback
        if name is None or column.index >= len(cells):
            continue
        value = cells[column.index]
        if isinstance(value, str) and not isinstance(value, Formula):
            value = value.strip()
        if is_blank(value):
            continue
        if column.field is None:
            fallbacks.setdefault(name, (column.header, value))
        else:
            cell_by_field[name] = value
        text = as_text(value)
        if "\ufffd" in text or (lost_letters and _LOST_LETTER.search(text)):
            check.warn(
                column.header,
                _l(
                    "'%(value)s' has a '?' where a letter should probably be: the spreadsheet "
                    "could not save that letter in this file's encoding. Check the spelling, or "
                    "save the list as CSV (UTF-8) or .xlsx.",
                    value=_shown(text),
                ),
            )
    headed = {column.index for column in columns}
    if any(not is_blank(cell) for index, cell in enumerate(cells) if index not in headed):
        check.warn(None, _l("Cells in columns without a heading were not imported."))
    for name, (header, value) in fallbacks.items():
        if name not in cell_by_field:
            cell_by_field[name], mapping[name] = value, header
    if "parent_company" in cell_by_field:
        cell_by_field["parent_company"] = _contributions(cell_by_field["parent_company"])
    return cell_by_field


def _contributions(value: Any) -> Any:
    """A text cell of several contributors' values joined with "|" (an Open Supply Hub
    download) as its different values separated by commas; any other cell as it is."""
    if not isinstance(value, str) or isinstance(value, Formula) or "|" not in value:
        return value
    distinct: dict[str, str] = {}
    for part in _CONTRIBUTIONS_SPLIT.split(value):
        if part.strip():
            distinct.setdefault(part.strip().casefold(), part.strip())
    return ", ".join(distinct.values())


def _looks_like_formula(value: Any) -> bool:
    return isinstance(value, Formula) or (isinstance(value, str) and value.startswith("="))


def _formula_error(check: _RowChecker, header: str | None, value: Any) -> None:
    check.error(
        header,
        _l(
            "This cell holds a formula (%(value)s). Formulas are not evaluated on import: "
            "enter the value itself.",
            value=_shown(value),
        ),
    )


def _clean_text(value: Any, *, multiline: bool) -> str:
    """The cell's text with runs of spaces collapsed, control characters dropped, NFC-normalised;
    an address keeps its line breaks."""
    text = unicodedata.normalize("NFC", as_text(value))
    lines = (" ".join(line.translate(_DROP_CONTROL).split()) for line in text.splitlines())
    return ("\n" if multiline else " ").join(line for line in lines if line)


def _too_long(name: str) -> Any:
    return _l("The text is longer than %(max)s characters.", max=TEXT_LIMITS[name])


def _text_field(check: _RowChecker, name: str, value: Any, header: str | None) -> None:
    if value is None:
        return
    text = _clean_text(value, multiline=name == "address")
    if len(text) > TEXT_LIMITS[name]:
        check.error(header, _too_long(name))
        return
    if _looks_like_formula(value):
        check.warn(
            header,
            _l(
                "'%(value)s' looks like a spreadsheet formula. It is kept as plain text and "
                "never calculated.",
                value=_shown(text),
            ),
        )
    check.row.values[name] = text or None


def _country_field(check: _RowChecker, value: Any, header: str | None) -> None:
    if value is None:
        if header is None:
            check.error(None, _l("The country is missing: the file has no country column."))
        else:
            check.error(header, _l("The country is missing."))
        return
    if _looks_like_formula(value):
        _formula_error(check, header, value)
        return
    text = _clean_text(value, multiline=False)
    code = _country(text)
    if code is None:
        check.error(
            header,
            _l(
                "'%(value)s' is not a country we recognise. Write the country's name in English "
                "or Swedish, or its ISO code such as CN or VNM.",
                value=_shown(text),
            ),
        )
        return
    check.row.values["country"] = code


def _role_field(check: _RowChecker, cells: dict[str, Any], mapping: dict[str, str]) -> None:
    """The role from the role column (Open Supply Hub's facility_type), else from the
    processing types; the components either names (a PCB assembly makes mainboards) are kept
    as the factory's components. Of the values of one cell, final assembly wins: a factory
    that assembles the products is their final-assembly factory, whatever else it makes."""
    sources = [name for name in ("role", "processing_type") if cells.get(name) is not None]
    if not sources:
        header = mapping.get("role") or mapping.get("processing_type")
        if header is None:
            check.error(None, _l("The role is missing: the file has no role column."))
        else:
            check.error(header, _l("The role is missing."))
        return
    role, unknown = None, None
    for name in sources:
        value, header = cells[name], mapping[name]
        if _looks_like_formula(value):
            _formula_error(check, header, value)
            return
        text = _clean_text(value, multiline=False)
        roles, components = _roles_named(text)
        for component in components:
            _append_new(check.row.values["component_categories"], component)
        if role is None and roles:
            role = "final_assembly" if "final_assembly" in roles else "main_component"
        if not roles and unknown is None:
            unknown = (header, text)
    if role is not None:
        check.row.values["role"] = role
        return
    header, text = unknown
    check.error(
        header,
        _l(
            "'%(value)s' is not a role. Write final assembly or main component.",
            value=_shown(text),
        ),
    )


def _roles_named(text: str) -> tuple[set[str], list[str]]:
    """The roles and the components a cell names: the whole cell if it is one, else each of
    its values (as Open Supply Hub splits them: at commas and "|"). A component names the
    main-component role."""
    if _lookup(_ROLES, text) is not None or _lookup(_COMPONENTS, text) is not None:
        items = [text]
    else:
        items = [item.strip() for item in _VALUES_SPLIT.split(text) if item.strip()]
    roles: set[str] = set()
    components: list[str] = []
    for item in items:
        if (role := _lookup(_ROLES, item)) is not None:
            roles.add(role)
        elif (component := _lookup(_COMPONENTS, item)) not in (None, "other"):
            roles.add("main_component")
            _append_new(components, component)
    return roles, components


def _list_items(value: Any, vocabulary: dict[str, str]) -> list[tuple[str, str | None]]:
    """(item as written, key or None) for a cell listing categories.

    The whole cell is tried first, so "Mainboard/PCB" is one category; otherwise it is split
    on commas, semicolons and slashes.
    """
    text = _clean_text(value, multiline=False)
    whole = _lookup(vocabulary, text)
    if whole is not None:
        return [(text, whole)]
    items = [item.strip() for item in _LIST_SPLIT.split(text) if item.strip()]
    return [(item, _lookup(vocabulary, item)) for item in items]


def _append_new(target: list[str], key: str) -> None:
    if key not in target:
        target.append(key)


def _categories(check: _RowChecker, cells: dict[str, Any], mapping: dict[str, str]) -> None:
    values = check.row.values
    products = cells.get("product_categories")
    components = cells.get("component_categories")
    if products is not None:
        unknown = []
        for item, key in _list_items(products, _PRODUCTS):
            if key is not None:
                _append_new(values["product_categories"], key)
            # Open Supply Hub's product_type names what the factory makes, which for a
            # component factory is a component ("LCD panels"): keep it as one.
            elif (component := _lookup(_COMPONENTS, item)) is not None:
                _append_new(values["component_categories"], component)
            elif _term(item) not in _SECTORS:
                unknown.append(item)
        _warn_unknown(
            check,
            mapping["product_categories"],
            unknown,
            lambda item: _l(
                "'%(value)s' is not a product category this portal knows, so it was not imported.",
                value=item,
            ),
        )
    if components is not None:
        unknown = []
        for item, key in _list_items(components, _COMPONENTS):
            if key is not None:
                _append_new(values["component_categories"], key)
            else:
                unknown.append(item)
        _warn_unknown(
            check,
            mapping["component_categories"],
            unknown,
            lambda item: _l(
                "'%(value)s' is not a component category this portal knows, so it was not "
                "imported.",
                value=item,
            ),
        )


def _warn_unknown(
    check: _RowChecker, header: str, items: list[str], message: Callable[[str], Any]
) -> None:
    """A warning for each different unknown item of a cell, up to _UNKNOWN_SHOWN of them, and
    one that counts the rest: a cell of thousands of unknown items is not thousands of
    warnings."""
    seen: set[str] = set()
    different = []
    for item in items:
        if item.casefold() not in seen:
            seen.add(item.casefold())
            different.append(item)
    for item in different[:_UNKNOWN_SHOWN]:
        check.warn(header, message(_shown(item)))
    if len(different) > _UNKNOWN_SHOWN:
        check.warn(
            header,
            ngettext(
                "%(num)d more value was not imported either.",
                "%(num)d more values were not imported either.",
                len(different) - _UNKNOWN_SHOWN,
            ),
        )


def _brands_field(check: _RowChecker, value: Any, header: str | None) -> None:
    if value is None:
        return
    if _looks_like_formula(value):
        check.warn(
            header,
            _l(
                "'%(value)s' looks like a spreadsheet formula. It is kept as plain text and "
                "never calculated.",
                value=_shown(value),
            ),
        )
    brands: list[str] = []
    folded: set[str] = set()
    for item in _BRAND_SPLIT.split(as_text(value)):
        brand = _clean_text(item, multiline=False)
        if brand and brand.casefold() not in folded:
            folded.add(brand.casefold())
            brands.append(brand)
    if any(len(brand) > TEXT_LIMITS["brands"] for brand in brands):
        check.error(header, _too_long("brands"))
        return
    check.row.values["brands"] = brands


def _whole_number(text: str) -> int:
    """The digits of `text` as a number; any number with more digits than MAX_WORKERS comes
    as MAX_WORKERS + 1 (Python refuses to read thousands of digits, and a sheet can hold
    them)."""
    digits = re.sub(r"\D", "", text).lstrip("0")
    if len(digits) > len(str(MAX_WORKERS)):
        return MAX_WORKERS + 1
    return int(digits or "0")


def _workers(value: Any) -> tuple[int, int | None] | None:
    """(min, max) workers from a number, "2 400", "51-100" or "10000+", or from several of
    these joined with "|" (the contributors' figures of an Open Supply Hub download: from the
    least to the most any of them gives); None if not a number."""
    if not isinstance(value, str) or "|" not in value:
        return _one_workers_figure(value)
    found = [_one_workers_figure(part) for part in value.split("|")]
    if any(figure is None for figure in found):
        return None
    low = min(figure[0] for figure in found)
    highs = [figure[1] for figure in found]
    if None in highs:
        return low, None
    return low, max(high for high in highs)


def _one_workers_figure(value: Any) -> tuple[int, int | None] | None:  # noqa: PLR0911
    """_workers for one figure or range (one return per form it takes)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value, value
    if isinstance(value, float):
        return (int(value), int(value)) if value.is_integer() else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if match := _WORKERS_ONE.match(text):
        number = _whole_number(match.group(1))
        return number, number
    if match := _WORKERS_RANGE.match(text):
        return _whole_number(match.group(1)), _whole_number(match.group(2))
    if match := _WORKERS_OPEN.match(text):
        return _whole_number(match.group(1)), None
    return None


def _workers_field(check: _RowChecker, value: Any, header: str | None) -> None:
    if value is None:
        return
    if _looks_like_formula(value):
        _formula_error(check, header, value)
        return
    found = _workers(value)
    if found is None:
        check.error(
            header,
            _l(
                "'%(value)s' is not a number or a range such as 51-100.",
                value=_shown(value),
            ),
        )
        return
    low, high = found
    if low < 0 or (high is not None and high < low):
        check.error(
            header,
            _l(
                "'%(value)s' is not a number of workers or a range from low to high such as "
                "51-100.",
                value=_shown(value),
            ),
        )
        return
    if max(low, high or 0) > MAX_WORKERS:
        check.error(
            header,
            _l("More than %(max)s workers cannot be right; check the number.", max=MAX_WORKERS),
        )
        return
    check.row.values["workers_min"], check.row.values["workers_max"] = low, high


def _degrees(value: Any) -> float | None:
    """A number of degrees from a number cell or from text such as "22.5431" or "-1,25"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and _DEGREES.match(value.strip()):
        number = float(value.strip().replace(",", "."))
    else:
        return None
    return number if math.isfinite(number) else None


def _degrees_within(limit: float, value: Any) -> float | None:
    """Degrees (see _degrees) no further than `limit` from zero, else None."""
    number = _degrees(value)
    return number if number is not None and abs(number) <= limit else None


def _coordinates(check: _RowChecker, cells: dict[str, Any], mapping: dict[str, str]) -> None:
    """Latitude and longitude in degrees, within their ranges; one without the other is not
    a position, so it is left out with a warning."""
    found: dict[str, float] = {}
    _parsed_fields(
        check,
        cells,
        mapping,
        ("latitude",),
        partial(_degrees_within, 90),
        lambda value: _l(
            "'%(value)s' is not a latitude: degrees from -90 to 90.", value=_shown(value)
        ),
        into=found,
    )
    _parsed_fields(
        check,
        cells,
        mapping,
        ("longitude",),
        partial(_degrees_within, 180),
        lambda value: _l(
            "'%(value)s' is not a longitude: degrees from -180 to 180.", value=_shown(value)
        ),
        into=found,
    )
    if len(found) == 1:
        [name] = found
        other = "longitude" if name == "latitude" else "latitude"
        if other not in cells:  # (a wrong one is an error of its own)
            check.warn(
                mapping[name],
                _l(
                    "A position needs both latitude and longitude, so '%(value)s' was not "
                    "imported.",
                    value=_shown(cells[name]),
                ),
            )
        return
    check.row.values.update(found)


def _closed_field(check: _RowChecker, value: Any, header: str | None) -> None:
    """Open Supply Hub's is_closed: a closed factory is imported, with a warning to check it."""
    if value is True or (isinstance(value, str) and _term(value) in _TRUE):
        check.warn(
            header,
            _l(
                "Open Supply Hub lists this factory as closed; check that it still makes "
                "products for you."
            ),
        )


def _os_hub_id_error(value: str) -> Any:
    return _l(
        "'%(value)s' is not an Open Supply Hub ID; they look like CN2019123ABC4DE.",
        value=_shown(value),
    )


def _rba_id_error(value: str) -> Any:
    return _l(
        "'%(value)s' is not an RBA ID: 4 to 30 letters, digits or hyphens.", value=_shown(value)
    )


def _id_fields(check: _RowChecker, cells: dict[str, Any], mapping: dict[str, str]) -> None:
    for name, pattern, message in (
        ("os_hub_id", OS_HUB_ID, _os_hub_id_error),
        ("rba_id", RBA_ID, _rba_id_error),
    ):
        value = cells.get(name)
        if value is None:
            continue
        header = mapping[name]
        if _looks_like_formula(value):
            _formula_error(check, header, value)
            continue
        text = _clean_text(value, multiline=False)
        if name == "os_hub_id":
            # Open Supply Hub shows its IDs in capitals; a lower-case copy is the same ID.
            text = text.upper()
        if not pattern.match(text):
            check.error(header, message(text))
            continue
        check.row.values[name] = text


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        # ISO date and time, as some exports write dates ("2023-01-15 00:00:00").
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def _parsed_fields(
    check: _RowChecker,
    cells: dict[str, Any],
    mapping: dict[str, str],
    names: tuple[str, ...],
    parse: Callable[[Any], Any],
    problem: Callable[[Any], Any],
    *,
    into: dict[str, Any] | None = None,
) -> None:
    """Each named cell read with `parse` into the row's values (or `into`); a formula, or a
    value `parse` gives None for, is an error at its column (`problem(value)` says what is
    wrong)."""
    for name in names:
        value = cells.get(name)
        if value is None:
            continue
        header = mapping[name]
        if _looks_like_formula(value):
            _formula_error(check, header, value)
            continue
        found = parse(value)
        if found is None:
            check.error(header, problem(value))
            continue
        (check.row.values if into is None else into)[name] = found


def _date_fields(check: _RowChecker, cells: dict[str, Any], mapping: dict[str, str]) -> None:
    values = check.row.values
    _parsed_fields(
        check,
        cells,
        mapping,
        ("entered_on", "left_on"),
        _date,
        lambda value: _l(
            "'%(value)s' is not a date. Write dates as year-month-day, such as 2024-03-31.",
            value=_shown(value),
        ),
    )
    if values["entered_on"] and values["left_on"] and values["left_on"] < values["entered_on"]:
        check.error(
            mapping["left_on"],
            _l(
                "The factory cannot leave the supply chain (%(left)s) before it entered it "
                "(%(entered)s).",
                left=values["left_on"].isoformat(),
                entered=values["entered_on"].isoformat(),
            ),
        )
        values["left_on"] = None


def _percent(value: Any) -> int | None:
    """A whole percentage from 0 to 100 from 45, "45", "45 %" or a spreadsheet's percent cell
    (0.45); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value):
        # A cell formatted as a percentage holds the fraction.
        found = value * 100 if 0 < value < 1 else value
        found = round(found, 6)
        value = int(found) if found.is_integer() else None
    elif isinstance(value, str):
        match = _PERCENT.match(value.strip())
        value = int(match.group(1)) if match else None
    if not isinstance(value, int):
        return None
    return value if 0 <= value <= 100 else None


def _percent_fields(check: _RowChecker, cells: dict[str, Any], mapping: dict[str, str]) -> None:
    _parsed_fields(
        check,
        cells,
        mapping,
        PERCENT_FIELDS,
        _percent,
        lambda value: _l(
            "'%(value)s' is not a whole percentage from 0 to 100.", value=_shown(value)
        ),
    )


def _supplies_field(check: _RowChecker, header: str | None) -> None:
    """Only a main-component factory supplies another factory or a brand."""
    values = check.row.values
    if values["supplies"] and values["role"] == "final_assembly":
        check.warn(
            header,
            _l(
                "A final-assembly factory does not supply another factory, so '%(value)s' "
                "was not imported.",
                value=_shown(values["supplies"]),
            ),
        )
        values["supplies"] = None


# --- Guessing a matching ------------------------------------------------------------------------

# Headings shorter than this are compared only exactly: "ort" is 0.86 like "sort".
_FUZZY_MIN = 5
# How alike (difflib's ratio) a heading must be to a known one to count as a misspelling of it.
_FUZZY_CUTOFF = 0.8
# The least score, from 0 to 1, at which a column is guessed to hold a field.
_GUESS_CUTOFF = 0.5
# Words of company names and factory names, in the languages suppliers write them in.
_NAME_WORDS = frozenset({
    "ltd", "limited", "co", "corp", "corporation", "company", "inc", "incorporated", "llc",
    "plc", "gmbh", "ag", "kg", "se", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "oyj",
    "ab", "as", "aps", "sro", "zrt", "kft", "sp", "zoo", "pvt", "pte", "sdn", "bhd", "tbk",
    "jsc", "kk", "tnhh", "cv", "factory", "factories", "works", "manufacturing",
    "manufacturer", "electronics", "electronic", "technology", "technologies", "industrial",
    "industries", "industry", "precision", "plant", "fabrik", "werk", "werke", "usine",
    "fabriek", "fabbrica", "tecnologia", "elettronica", "elektronik", "teknik", "verk",
})  # fmt: skip
# Words of street addresses.
_ADDRESS_WORDS = frozenset({
    "road", "rd", "street", "st", "avenue", "ave", "av", "lane", "blvd", "boulevard", "highway",
    "way", "lot", "plot", "block", "zone", "park", "district", "building", "floor", "no", "str",
    "straße", "strasse", "weg", "platz", "gatan", "gata", "vägen", "väg", "calle", "rua", "via",
    "estate", "ward", "village", "county", "province",
})  # fmt: skip


def guess_matching(table: Table) -> list[str | None]:
    """The importer's best guess of the field each column holds, for the user to confirm.

    Each column is scored for each field from its heading (a known heading scores 1; one like a
    known heading, misspelt, abbreviated or inside a longer heading, less) and from its first
    GUESS_ROWS values (a column of ISO codes or country names is probably the country, one of
    "Final assembly" and "Component" the role, company names the name). Then, best score
    first, each field goes to one column and each column gets one field, above a cutoff. If no
    column is the name, the first column of distinct texts left over is. Headings known not to
    be stored (Open Supply Hub's sector, say) are left out, as by recognised_matching.
    """
    candidates: list[tuple[float, int, str]] = []
    for column, heading in enumerate(table.headings):
        if _never_guessed(heading):
            continue
        by_heading = _heading_scores(heading)
        by_values = _value_scores(table.values(column, GUESS_ROWS))
        for name in by_heading.keys() | by_values.keys():
            # Either kind of evidence alone can carry a guess; both together make it surer.
            score = 1 - (1 - by_heading.get(name, 0)) * (1 - by_values.get(name, 0))
            candidates.append((score, column, name))
    matching: list[str | None] = [None] * len(table.headings)
    for score, column, name in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if score >= _GUESS_CUTOFF and matching[column] is None and name not in matching:
            matching[column] = name
    if "name" not in matching:
        for column, heading in enumerate(table.headings):
            if (
                matching[column] is None
                and not _never_guessed(heading)
                and _looks_like_names(table.values(column, GUESS_ROWS))
            ):
                matching[column] = "name"
                break
    return matching


def _heading_scores(heading: str) -> dict[str, float]:
    """Field -> how surely the heading names it."""
    term = _term(heading)
    exact = _HEADER_FIELDS.get(term)
    if exact is None and term.endswith("s"):
        exact = _HEADER_FIELDS.get(term[:-1])
    if exact is not None:
        return {exact: 1.0}
    scores: dict[str, float] = {}

    def note(name: str, score: float) -> None:
        scores[name] = max(score, scores.get(name, 0))

    words = term.split()
    squeezed = term.replace(" ", "")
    for known, name in _HEADER_FIELDS.items():
        known_words = known.split()
        if squeezed == known.replace(" ", ""):
            note(name, 0.95)  # "Postnr." and "post nr", "ZipCode" and "zip code"
        elif len(words) == len(known_words) and all(
            len(word) >= 2 and known_word.startswith(word)
            for word, known_word in zip(words, known_words, strict=True)
        ):
            note(name, 0.9)  # "Fac. name" for "facility name", "Fact. addr." for an address
        elif len(term) >= _FUZZY_MIN and len(known) >= _FUZZY_MIN:
            # The quick upper bounds first, as difflib.get_close_matches does.
            matcher = difflib.SequenceMatcher(None, term, known)
            if (
                matcher.real_quick_ratio() >= _FUZZY_CUTOFF
                and matcher.quick_ratio() >= _FUZZY_CUTOFF
                and (ratio := matcher.ratio()) >= _FUZZY_CUTOFF
            ):
                note(name, ratio * 0.9)  # "Adresse", "Factroy name", "No. of employees"
        if len(known_words) == 1 and len(known) >= 4 and len(words) > 1 and known in words:
            note(name, 0.6)  # "Supplier country", "Factory address"
    return scores


def _share(values: list[Any], test: Callable[[str], bool]) -> float:
    return sum(1 for value in values if test(as_text(value).strip())) / len(values)


def _value_scores(values: list[Any]) -> dict[str, float]:
    """Field -> how surely a column with these (non-blank) values holds it."""
    if not values:
        return {}
    scores: dict[str, float] = {}
    for name, share, weight in (
        ("country", _share(values, lambda text: _country(text) is not None), 0.95),
        ("role", _share(values, lambda text: _lookup(_ROLES, text) is not None), 0.95),
        ("os_hub_id", _share(values, lambda text: bool(OS_HUB_ID.match(text.upper()))), 0.95),
        ("component_categories", _share(values, _known_components), 0.8),
        ("product_categories", _share(values, _known_products), 0.8),
        ("address", _share(values, _looks_like_address), 0.85),
        ("name", _share(values, _looks_like_company), 0.85),
    ):
        if share >= 0.6:
            scores[name] = weight * share
    if _share(values, lambda text: _date(text) is not None) >= 0.8 or all(
        isinstance(value, date) for value in values
    ):
        # The first column of dates is when factories entered, a second when they left.
        scores["entered_on"], scores["left_on"] = 0.6, 0.55
    if all(_workers(value) is not None for value in values):
        # Numbers alone could be postal codes or a system's own IDs: too weak on their own.
        ranges = any(isinstance(v, str) and _WORKERS_RANGE.match(v.strip()) for v in values)
        scores["workers"] = 0.7 if ranges else 0.4
    return scores


def _known_components(text: str) -> bool:
    return all(key is not None for _item, key in _list_items(text, _COMPONENTS))


def _known_products(text: str) -> bool:
    return all(key is not None for _item, key in _list_items(text, _PRODUCTS))


def _looks_like_address(text: str) -> bool:
    words = set(_term(text).split())
    has_digit = any(c.isdigit() for c in text)
    return has_digit and len(text) >= 8 and ("," in text or bool(words & _ADDRESS_WORDS))


def _looks_like_company(text: str) -> bool:
    return bool(set(_term(text).split()) & _NAME_WORDS) and not _looks_like_address(text)


def _looks_like_names(values: list[Any]) -> bool:
    """Mostly texts with letters, and mostly different: names, not codes or categories."""
    texts = [as_text(value).strip() for value in values]
    if not texts:
        return False
    wordy = sum(1 for text in texts if sum(c.isalpha() for c in text) >= 3) / len(texts)
    distinct = len({text.casefold() for text in texts}) / len(texts)
    return wordy >= 0.8 and distinct >= 0.8


# --- After reading ------------------------------------------------------------------------------


def find_duplicates(
    rows: list[ParsedRow], existing: dict[str, str], by_os_id: dict[str, str] | None = None
) -> None:
    """Mark each row that repeats a factory, with a warning the user sees.

    A row whose Open Supply Hub ID is in `by_os_id` (ID -> a description such as the register
    factory's name), or else whose key is in `existing` (key -> such a description), gets that
    description in `duplicate_of`: an Open Supply Hub download of the supplier's own factories
    matches them by ID however their names and addresses are written there. Otherwise a row
    repeating an earlier row of the file (by ID or by key) gets "row N", N being the first
    occurrence's number. Rows without a name are not compared. Running it again (after rows
    were dropped or fixed) replaces the earlier marks.
    """
    by_os_id = by_os_id or {}
    first_seen: dict[str, int] = {}
    for row in rows:
        row.warnings = [issue for issue in row.warnings if not isinstance(issue, _DuplicateIssue)]
        row.duplicate_of = None
        if not row.values.get("name"):
            continue
        os_id = row.values.get("os_hub_id")
        # IDs and keys never meet: a key holds two "|", an ID none.
        keys = [row.key] if os_id is None else [os_id, row.key]
        found = by_os_id.get(os_id) if os_id is not None else None
        found = found or existing.get(row.key)
        earlier = next((first_seen[key] for key in keys if key in first_seen), None)
        if found is not None:
            row.duplicate_of = found
            message = _l("This factory is already in the register as %(existing)s.", existing=found)
        elif earlier is not None:
            row.duplicate_of = f"row {earlier}"
            message = _l("This is the same factory as row %(row)s.", row=earlier)
        else:
            for key in keys:
                first_seen[key] = row.number
            continue
        row.warnings.append(_DuplicateIssue(None, str(message)))

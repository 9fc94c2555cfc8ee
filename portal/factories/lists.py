"""The factory lists a page at a time: the supplier's register, the buyer's table of every
supplier's factories and the rows of an uploaded file, filtered and sorted as the query string
asks. Each page takes a fixed number of queries however many factories there are; downloads
take every row that matches the same filters."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, case, cast, func, or_, select
from sqlalchemy.orm import aliased

from portal import read_requests
from portal.extensions import db
from portal.factories.exporting import TooLong, osh_too_long
from portal.factories.models import (
    Factory,
    FactoryDetailsVersion,
    FactoryImport,
    FactoryRisk,
    workers_label,
)
from portal.orgs.services import Organisation, country_name, suppliers_select
from portal.paging import Page, clamp, page_of_list
from portal.timeutil import utcnow

#: Rows on a page of the supplier's register and of the buyer's table.
PER_PAGE = 25
#: Rows of an uploaded file on a page of its preview.
PREVIEW_PER_PAGE = 100
#: Factories on a page of a list frozen into a submitted response.
FROZEN_PER_PAGE = 100
#: Values too long for Open Supply Hub listed on the register page; the rest are counted.
TOO_LONG_SHOWN = 20


@dataclass(frozen=True)
class Filters:
    """What a list shows and in which order, as its filter form (forms.ListForm) read it from
    the query string (None: not filtered). A component that is not one of the register's
    codes matches no factory."""

    search: str | None = None
    country: str | None = None
    role: str | None = None
    component: str | None = None
    organisation_id: int | None = None
    #: The register sorts by "role", "name", "country", "workers" or "updated"; the buyer's
    #: table by those and "supplier".
    sort: str = "role"
    descending: bool = False
    page: int = 1


class FactoryOnDay:
    """A factory as the register showed it on a day: its details as they were then (from the
    version valid on that day, else the factory's own), the rest from the factory."""

    def __init__(self, factory: Factory, details: dict | None):
        self.factory = factory
        self.details = details or {}

    def __getattr__(self, name: str) -> Any:
        if name in self.details:
            return self.details[name]
        return getattr(self.factory, name)

    @property
    def workers_label(self) -> str:
        return workers_label(self.workers_min, self.workers_max)

    @property
    def supplies_label(self) -> str:
        if not self.details:
            return self.factory.supplies_label
        return self.details.get("supplies_factory_name") or self.details.get("supplies_brand") or ""


def _ordering(columns: dict[str, tuple], sort: str, descending: bool) -> list:
    """ORDER BY for `sort`: its columns, the first one reversed when `descending`, unknown
    values (workers not given) last either way, and the id last so that pages never overlap."""
    first, *rest = columns[sort]
    first = first.desc() if descending else first.asc()
    if sort == "workers":
        first = first.nulls_last()
    return [first, *rest, Factory.id]


def _shape(filters: Filters) -> tuple:
    """Which filters are set and the order: what a list's statement depends on. The values
    are bound at execution (_params), so one statement serves every value."""
    return (
        bool(filters.search),
        bool(filters.country),
        bool(filters.role),
        bool(filters.component),
        bool(filters.organisation_id),
        filters.sort,
        filters.descending,
    )


def _contains(text: str) -> str:
    """A LIKE pattern (ESCAPE '/') for `text` anywhere in a value: its own "%" and "_" match
    only themselves."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _params(filters: Filters) -> dict:
    """The values of the filters for the statements _matching made."""
    return {
        "search": _contains(filters.search or ""),
        "country": filters.country,
        "role": filters.role,
        # A code as the JSON text holds it, quotes and all: exact.
        "component": _contains(f'"{filters.component}"'),
        "organisation_id": filters.organisation_id,
    }


def _matching(shape: tuple, name, city, country, role) -> list:
    """The conditions of the filters set in `shape` on these columns (a past day's details or
    today's), their values left to bind."""
    search, by_country, by_role, by_component, by_supplier, _sort, _descending = shape
    conditions = []
    if search:
        pattern = func.lower(bindparam("search"))
        conditions.append(
            or_(
                *(func.lower(c).like(pattern, escape="/") for c in (name, Factory.name_local, city))
            )
        )
    if by_country:
        conditions.append(country == bindparam("country"))
    if by_role:
        conditions.append(role == bindparam("role"))
    if by_supplier:
        conditions.append(Factory.organisation_id == bindparam("organisation_id"))
    if by_component:
        # JSON containment differs by database; a quoted code inside the JSON text is exact.
        conditions.append(
            cast(Factory.component_categories, String).like(bindparam("component"), escape="/")
        )
    return conditions


# The supplier's register ------------------------------------------------------------------------
def in_chain(organisation_id: int, day: date) -> tuple:
    """The conditions of a factory in the organisation's supply chain on `day`."""
    return (
        Factory.organisation_id == organisation_id,
        Factory.entered_on <= day,
        (Factory.left_on.is_(None)) | (Factory.left_on > day),
    )


@dataclass(frozen=True)
class _Register:
    """The parts of a query of the register as of a day: the join of the details valid that
    day, the conditions of the filters on those details, and the order."""

    valid: Any
    conditions: tuple
    ordering: list
    #: Whether the filters and the order read the details valid that day (a past day).
    past: bool

    def ids(self):
        chosen = select(Factory.id)
        if self.past:
            chosen = chosen.outerjoin(FactoryDetailsVersion, self.valid)
        return chosen.where(*self.conditions).order_by(*self.ordering)

    def rows(self):
        return (
            select(Factory, FactoryDetailsVersion.details)
            .outerjoin(FactoryDetailsVersion, self.valid)
            .order_by(*self.ordering)
        )


def _register(organisation_id: int, day: date, filters: Filters, *, left: bool) -> _Register:
    """The organisation's factories in the supply chain on `day` (or those that had left by
    then), each with the details valid on that day, filtered and sorted on those details.

    From today on those are the factories' own: an edit keeps the details it replaces until
    the day it is made, so no kept version is valid today, and today's list filters and sorts
    on the factories' columns alone (and so can use their indexes)."""
    version = FactoryDetailsVersion
    valid = and_(
        version.factory_id == Factory.id, version.valid_from <= day, version.valid_to > day
    )
    kept = version.id.is_not(None)
    past = day < utcnow().date()

    def then(name: str, column):
        if not past:
            return column
        value = version.details[name]
        value = value.as_integer() if isinstance(column.type, Integer) else value.as_string()
        return case((kept, value), else_=column)

    name, city = then("name", Factory.name), then("city", Factory.city)
    country, role = then("country", Factory.country), then("role", Factory.role)
    workers = then("workers_min", Factory.workers_min)
    where = (
        (Factory.organisation_id == organisation_id, Factory.left_on <= day)
        if left
        else in_chain(organisation_id, day)
    )
    columns = {
        "role": (role, country, func.lower(name)),
        "name": (func.lower(name),),
        "country": (country, func.lower(name)),
        "workers": (workers, func.lower(name)),
        "updated": (Factory.updated_at,),
    }
    return _Register(
        valid,
        (*where, *_matching(_shape(filters), name, city, country, role)),
        _ordering(columns, filters.sort, filters.descending),
        past,
    )


def register_page(organisation_id: int, day: date, filters: Filters, *, left: bool = False) -> Page:
    """A page of the register as of `day` (FactoryOnDay items), in two queries: the count, and
    the page's factories, chosen from the factories alone before they are loaded."""
    register = _register(organisation_id, day, filters, left=left)
    ids, params = register.ids(), _params(filters)
    counted = select(func.count()).select_from(ids.order_by(None).subquery())
    total = db.session.scalar(counted, params)
    number, per_page = clamp(filters.page, PER_PAGE, total)
    if not total:
        return Page([], 0, number, per_page)
    chosen = ids.limit(per_page).offset((number - 1) * per_page).subquery()
    rows = db.session.execute(register.rows().join(chosen, chosen.c.id == Factory.id), params)
    return Page([FactoryOnDay(f, details) for f, details in rows], total, number, per_page)


def register_rows(
    organisation_id: int, day: date, filters: Filters, *, left: bool = False
) -> list[FactoryOnDay]:
    """Every factory of the register as of `day` that the filters match, in their order: what a
    download of the list holds."""
    register = _register(organisation_id, day, filters, left=left)
    rows = db.session.execute(register.rows().where(*register.conditions), _params(filters))
    return [FactoryOnDay(factory, details) for factory, details in rows]


def left_count(organisation_id: int, day: date) -> int:
    """How many factories had left the supply chain by `day`."""
    return db.session.scalar(
        select(func.count()).where(
            Factory.organisation_id == organisation_id, Factory.left_on <= day
        )
    )


def _countries_by_name(codes) -> list[tuple[str, str]]:
    """(code, name) of the countries, by name in the page's language."""
    return sorted(((code, country_name(code)) for code in codes), key=lambda c: c[1].casefold())


def register_countries(organisation_id: int) -> list[tuple[str, str]]:
    """(code, name) of the countries of the organisation's factories, by name in the page's
    language: what its register can be filtered by."""
    codes = db.session.scalars(
        select(Factory.country).where(Factory.organisation_id == organisation_id).distinct()
    )
    return _countries_by_name(codes)


def frozen_countries(factories: list[dict]) -> list[tuple[str, str]]:
    """(code, name) of the countries of a frozen list, by name in the page's language."""
    codes = {str(f.get("country") or "") for f in factories} - {""}
    return _countries_by_name(codes)


def _text(factory: dict, key: str) -> str:
    return str(factory.get(key) or "").casefold()


def _frozen_matches(factory: dict, filters: Filters) -> bool:
    if filters.country and factory.get("country") != filters.country:
        return False
    if filters.role and factory.get("role") != filters.role:
        return False
    wanted = (filters.search or "").casefold()
    return not wanted or wanted in _text(factory, "name") or wanted in _text(factory, "city")


def _frozen_order(rows: list[dict], sort: str):
    """The sort key of a frozen factory for `sort` (None: as listed)."""
    if sort == "name":
        return lambda f: _text(f, "name")
    if sort == "role":
        return lambda f: (_text(f, "role"), _text(f, "name"))
    if sort == "country":
        codes = {str(f.get("country") or "") for f in rows}
        names = {code: country_name(code).casefold() for code in codes}
        return lambda f: (names[str(f.get("country") or "")], _text(f, "name"))
    return None


def frozen_page(factories: list[dict], filters: Filters) -> Page:
    """A page of a factory list frozen into a submitted response (held in memory, as the
    answer is), filtered and sorted as `filters` say."""
    rows = [f for f in factories if _frozen_matches(f, filters)]
    order = _frozen_order(rows, filters.sort)
    if order is not None:
        rows.sort(key=order, reverse=filters.descending)
    elif filters.descending:
        rows.reverse()
    return page_of_list(rows, filters.page, FROZEN_PER_PAGE)


def risk_counts(factory_ids: Iterable[int]) -> dict[int, int]:
    """Risks recorded per factory, for the factories of one page (one query)."""
    ids = list(factory_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(FactoryRisk.factory_id, func.count(FactoryRisk.id))
            .where(FactoryRisk.factory_id.in_(ids))
            .group_by(FactoryRisk.factory_id)
        ).all()
    )


def too_long_for_osh(organisation_id: int, day: date) -> tuple[list[TooLong], int]:
    """The first TOO_LONG_SHOWN values of the current register that Open Supply Hub would
    refuse as too long (exporting.osh_too_long), and how many there are in all.

    Only factories whose name, or address with postal code and city, could be that long are
    read: a value written on one line is never longer than its text, and a line break becomes
    ", ", so a name under 101 characters, or an address, postal code and city under 99
    together, is never too long."""
    candidates = db.session.execute(
        select(
            Factory.id,
            Factory.name,
            Factory.address,
            Factory.postal_code,
            Factory.city,
            Factory.role,
            Factory.country,
        ).where(
            *in_chain(organisation_id, day),
            or_(
                func.length(Factory.name) > 100,
                func.coalesce(func.length(Factory.address), 0)
                + func.coalesce(func.length(Factory.postal_code), 0)
                + func.coalesce(func.length(Factory.city), 0)
                > 98,
            ),
        )
    ).all()
    # In the register's order; sorted here, as the few found are fewer than the factories
    # an ORDER BY would have the database visit in its index's order.
    candidates.sort(key=lambda f: (f.role, f.country, f.name.lower(), f.id))
    found = osh_too_long(candidates)
    return found[:TOO_LONG_SHOWN], len(found)


def register_brands(organisation_id: int, day: date) -> list[str]:
    """The brands the organisation's current factories name, as first written, sorted; each
    different list of brands is read once."""
    found: dict[str, str] = {}
    lists = db.session.scalars(
        select(cast(Factory.brands, String)).where(*in_chain(organisation_id, day)).distinct()
    )
    for text in sorted(lists, key=str):
        for brand in json.loads(text or "null") or []:
            if str(brand).strip():
                found.setdefault(brand_key(brand), str(brand).strip())
    return sorted(found.values(), key=str.casefold)


def brand_key(name: str) -> str:
    """How brand names are compared: spacing and case do not matter."""
    return " ".join(str(name).split()).casefold()


# The buyer's table -------------------------------------------------------------------------------
#: The factory a main-component factory supplies (made once: an alias copies every column).
_SUPPLIED = aliased(Factory, name="supplied")


# The statements of the buyer's table are made once per shape of the filters (_shape), their
# values bound at execution: making a statement costs more than running it.
@cache
def _suppliers_statement():
    # The suppliers with a current factory are found by stepping from one supplier's id to
    # the next through the index on factories.organisation_id, one look-up each, rather
    # than by looking up the factories of every organisation (hundreds, most with none).
    current = Factory.left_on.is_(None)
    owners = (
        select(func.min(Factory.organisation_id).label("id")).where(current).cte(recursive=True)
    )
    following = (
        select(func.min(Factory.organisation_id))
        .where(current, Factory.organisation_id > owners.c.id)
        .scalar_subquery()
    )
    owners = owners.union_all(select(following).where(owners.c.id.is_not(None)))
    return (
        suppliers_select()
        .with_only_columns(Organisation.id, Organisation.name)
        .join(owners, owners.c.id == Organisation.id)
    )


def supplier_choices() -> list[tuple[int, str]]:
    """(id, name) of every supplier with a factory in the table, by name, to filter the
    table by (one query): a supplier without one would only ever show an empty table, and a
    portal with hundreds of suppliers, few of them with a register yet, would make every
    page of the table carry them all."""
    return [(id_, name) for id_, name in read_requests.rows(_suppliers_statement())]


_NAME = func.lower(Factory.name)
#: What the buyer's table may be sorted by (each followed by the id, see _ordering).
_TABLE_ORDERS = {
    "country": (Factory.country, _NAME),
    "name": (_NAME,),
    "supplier": (func.lower(Organisation.name), _NAME),
    "role": (Factory.role, Factory.country, _NAME),
    "workers": (Factory.workers_min, _NAME),
    "updated": (Factory.updated_at,),
}
#: The columns the buyer's table shows.
_TABLE_COLUMNS = (
    Factory.id,
    Factory.name,
    Factory.city,
    Factory.country,
    Factory.role,
    Factory.component_categories,
    Factory.product_categories,
    Factory.product_models,
    Factory.workers_min,
    Factory.workers_max,
    Factory.women_percent,
    Factory.migrant_percent,
    Factory.agency_percent,
    Factory.updated_at,
    Organisation.name.label("supplier_name"),
    func.coalesce(_SUPPLIED.name, Factory.supplies_brand).label("supplies_label"),
)


@cache
def _table_statements(shape: tuple):
    """(counts per country, one page of rows) of the buyer's table for filters of `shape`; the
    page's bounds are bound as "limit" and "offset"."""
    conditions = [
        Factory.left_on.is_(None),
        *_matching(shape, Factory.name, Factory.city, Factory.country, Factory.role),
    ]
    counts = (
        # count(*), not count(id): PostgreSQL then counts rows without reading each id.
        select(Factory.country, func.count())
        .where(*conditions)
        .group_by(Factory.country)
        .order_by(func.count().desc(), Factory.country)
    )
    sort, descending = shape[-2:]
    ordering = _ordering(_TABLE_ORDERS, sort, descending)
    chosen = select(Factory.id).where(*conditions)
    if sort == "supplier":
        chosen = chosen.join(Organisation, Organisation.id == Factory.organisation_id)
    chosen = (
        chosen.order_by(*ordering)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery()
    )
    rows = (
        select(*_TABLE_COLUMNS)
        .join(chosen, chosen.c.id == Factory.id)
        .join(Organisation, Organisation.id == Factory.organisation_id)
        .outerjoin(_SUPPLIED, _SUPPLIED.id == Factory.supplies_factory_id)
        .order_by(*ordering)
    )
    return counts, rows


def factory_table(filters: Filters) -> tuple[Page, list[tuple[str, int]]]:
    """A page of every supplier's current factories that the filters match, as rows of the
    columns the table shows, and the number per country of all of them: two queries, the
    numbers per country adding up to the pager's total. The page's factories are chosen
    from the factories alone and only they are joined to their supplier and the factory
    they supply, not all ten thousand."""
    counted, page_rows = _table_statements(_shape(filters))
    params = _params(filters)
    counts = read_requests.rows(counted, params)
    total = sum(count for _country, count in counts)
    number, per_page = clamp(filters.page, PER_PAGE, total)
    if not total:
        return Page([], 0, number, per_page), counts
    bounds = {"limit": per_page, "offset": (number - 1) * per_page}
    found = read_requests.rows(page_rows, {**params, **bounds})
    return Page(found, total, number, per_page), counts


# An import's rows -------------------------------------------------------------------------------
def _problem_rank(row: dict) -> int:
    if row["errors"]:
        return 0
    if row["duplicate_of"]:
        return 1
    return 2 if row["warnings"] else 3


def import_rows_page(staged: FactoryImport, view: str, page: int) -> Page:
    """A page of the staged rows: of every row, those with problems first (errors, then
    possible duplicates, then warnings; each in the file's order), for the view "all"; of the
    rows with problems only, for "problems"; of those without, for "clean"."""
    if view == "problems":
        rows = sorted((r for r in staged.rows if _problem_rank(r) < 3), key=_problem_rank)
    elif view == "clean":
        rows = [r for r in staged.rows if _problem_rank(r) == 3]
    else:
        rows = sorted(staged.rows, key=_problem_rank)
    return page_of_list(rows, page, PREVIEW_PER_PAGE)

"""The factory register: listing as of a date, editing, risks, imports and snapshots."""

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from functools import cache

from flask import abort, current_app
from sqlalchemy import String, and_, bindparam, case, cast, delete, func, insert, update

from portal import read_requests
from portal.arguments import MAX_INTEGER
from portal.audit.services import record
from portal.auth.services import User
from portal.extensions import db
from portal.factories import lists
from portal.factories.exporting import osh_address
from portal.factories.importing import (
    FIELDS,
    MATCHABLE,
    ParsedRow,
    Table,
    find_duplicates,
    guess_matching,
    headings_key,
    normalise_key,
    parse_table,
    read_table,
    recognised_matching,
)
from portal.factories.lists import FactoryOnDay, brand_key, in_chain
from portal.factories.models import (
    BrandConfirmation,
    ColumnMatching,
    Factory,
    FactoryDetailsVersion,
    FactoryImport,
    FactoryRisk,
    RiskScale,
)
from portal.filenames import clean_filename
from portal.orgs.services import Organisation
from portal.timeutil import utcnow

# isort: split
# What other features may name besides the functions below.
from portal.factories.forms import FrozenListForm  # noqa: F401
from portal.factories.labels import RISK_LABELS, ROLE_LABELS  # noqa: F401
from portal.factories.lists import frozen_countries, frozen_page  # noqa: F401
from portal.factories.models import Factory  # noqa: F811 (also used above)

#: Every column the importer reads is editable on the form too; what a main-component factory
#: supplies is a factory of the register or a brand, which the importer reads as one text.
EDITABLE = (
    *(name for name in FIELDS if name != "supplies"),
    "supplies_factory_id",
    "supplies_brand",
)
#: The details whose earlier values are kept (FactoryDetailsVersion): all but when the factory
#: entered and left the supply chain, which decide whether it is listed on a day at all.
VERSIONED_FIELDS = tuple(name for name in EDITABLE if name not in ("entered_on", "left_on"))


def today() -> date:
    return utcnow().date()


def _in_chain(organisation_id: int, day: date | None):
    """The conditions of a factory in the organisation's supply chain on `day` (today)."""
    return in_chain(organisation_id, day or today())


def _sort_key(factory) -> tuple:
    return (factory.role, factory.country, factory.name.lower())


def register_as_of(organisation_id: int, day: date | None = None) -> list[FactoryOnDay]:
    """The organisation's factories in the supply chain on `day` (today by default), each with
    its details as they were on that day; one query, however many factories."""
    day = day or today()
    version = FactoryDetailsVersion
    rows = db.session.execute(
        db.select(Factory, version.details)
        .outerjoin(
            version,
            and_(
                version.factory_id == Factory.id,
                version.valid_from <= day,
                version.valid_to > day,
            ),
        )
        .where(*_in_chain(organisation_id, day))
    ).all()
    return sorted((FactoryOnDay(f, details) for f, details in rows), key=_sort_key)


def counts_by_country(organisation_id: int, day: date | None = None) -> dict[str, dict[str, int]]:
    """Country code -> role -> how many of the organisation's factories are in its supply
    chain on `day` (today): one GROUP BY, however many factories."""
    counts: dict[str, dict[str, int]] = {}
    for country, role, number in db.session.execute(
        db.select(Factory.country, Factory.role, func.count(Factory.id))
        .where(*_in_chain(organisation_id, day))
        .group_by(Factory.country, Factory.role)
    ):
        counts.setdefault(country, {})[role] = number
    return counts


def register_on(organisation_id: int, day: date | None = None) -> list[Factory]:
    """The organisation's factories in the supply chain on `day` (today by default)."""
    return list(
        db.session.scalars(
            db.select(Factory)
            .where(*_in_chain(organisation_id, day))
            .order_by(Factory.role, Factory.country, func.lower(Factory.name))
        )
    )


#: A form that asks which factories something concerns lists every factory of a register of
#: up to this many; a larger one is searched, so that the page stays small however many.
ALL_CHOICES_UP_TO = 50


@dataclass(frozen=True)
class FactoryChoices:
    """The factories a form offers to tick, in the order shown."""

    factories: list[Factory]
    #: Whether the register is too large to list whole: then `factories` are those already
    #: ticked followed by the first page of those the search matches.
    searched: bool = False
    #: The search, how many factories it matches, and how many of those are shown.
    search: str = ""
    matching: int = 0
    shown: int = 0


def factory_choices(organisation_id: int, ticked: list[int], search: str = "") -> FactoryChoices:
    """The organisation's current factories to tick: all of them when there are at most
    ALL_CHOICES_UP_TO; otherwise the ticked ones (of its own register only) and a page of
    those whose name or city contains `search` (the first by name when there is none)."""
    current = _in_chain(organisation_id, None)
    total = db.session.scalar(db.select(func.count()).where(*current))
    if total <= ALL_CHOICES_UP_TO:
        return FactoryChoices(register_on(organisation_id))
    ids = [i for i in ticked if isinstance(i, int) and 0 < i <= MAX_INTEGER]
    chosen = list(
        db.session.scalars(
            db.select(Factory)
            .where(*current, Factory.id.in_(ids))
            .order_by(func.lower(Factory.name), Factory.id)
        )
    )
    found = lists.register_page(
        organisation_id, today(), lists.Filters(search=search or None, sort="name")
    )
    held = {f.id for f in chosen}
    more = [f.factory for f in found.items if f.id not in held]
    return FactoryChoices(chosen + more, True, search, found.total, len(found.items))


def factory_or_404(user: User, factory_id: int) -> Factory:
    """A factory of the user's own organisation; 404 for anyone else's."""
    factory = db.session.get(Factory, factory_id)
    if factory is None or factory.organisation_id != user.organisation_id:
        abort(404)
    return factory


def supplies_offered(
    organisation_id: int, factory: Factory | None = None, only: list[int] | None = None
) -> list:
    """(id, name) rows of the organisation's final-assembly factories that a main-component
    factory (`factory`, or a new one) can name as the one it supplies, by name: those in the
    supply chain today, and the one `factory` names now, whatever has become of it. Only
    those of `only` when it is given."""
    offered = and_(*_in_chain(organisation_id, None), Factory.role == "final_assembly")
    named = factory.supplies_factory_id if factory is not None else None
    if named is not None:
        offered = offered | (Factory.id == named)
    if only is not None:
        offered = offered & Factory.id.in_([i for i in only if 0 < i <= MAX_INTEGER])
    rows = db.session.execute(
        db.select(Factory.id, Factory.name)
        .where(Factory.organisation_id == organisation_id, offered)
        .order_by(func.lower(Factory.name), Factory.id)
    )
    return [row for row in rows if factory is None or row.id != factory.id]


def supplies_choices(
    organisation_id: int, factory: Factory | None = None, chosen: int | None = None, search=""
) -> FactoryChoices:
    """What the factory form offers as the factory it supplies (see `supplies_offered`): all
    of it when the register holds at most ALL_CHOICES_UP_TO current final-assembly factories;
    otherwise the one `chosen` (or named now) and a page of those whose name or city
    contains `search`."""
    current = _in_chain(organisation_id, None)
    total = db.session.scalar(
        db.select(func.count()).where(*current, Factory.role == "final_assembly")
    )
    if total <= ALL_CHOICES_UP_TO:
        return FactoryChoices(supplies_offered(organisation_id, factory))
    named = factory.supplies_factory_id if factory is not None else None
    held = supplies_offered(organisation_id, factory, [i for i in {chosen, named} if i])
    found = lists.register_page(
        organisation_id,
        today(),
        lists.Filters(search=search or None, role="final_assembly", sort="name"),
    )
    ids = {row.id for row in held} | {factory.id if factory is not None else None}
    more = [f for f in found.items if f.id not in ids]
    return FactoryChoices(held + more, True, search, found.total, len(found.items))


def _details(factory: Factory) -> dict:
    """The factory's versioned details as JSON-ready data, with the name of the factory it
    supplies as it was (the version is shown without looking that factory up)."""
    details = {name: getattr(factory, name) for name in VERSIONED_FIELDS}
    details["component_categories"] = list(details["component_categories"] or [])
    details["product_categories"] = list(details["product_categories"] or [])
    details["brands"] = list(details["brands"] or [])
    supplied = factory.supplies_factory
    details["supplies_factory_name"] = supplied.name if supplied is not None else None
    return details


def _keep_version(factory: Factory, details: dict, on: date, user: User) -> None:
    """Keep `details` (the factory's before the edit made on `on`) as current from where the
    previous version ended, or from when the factory entered or was added, until `on`."""
    previous_end = db.session.scalar(
        db.select(func.max(FactoryDetailsVersion.valid_to)).where(
            FactoryDetailsVersion.factory_id == factory.id
        )
    )
    valid_from = previous_end or min(factory.entered_on, factory.created_at.date())
    db.session.add(
        FactoryDetailsVersion(
            factory_id=factory.id,
            valid_from=valid_from,
            # An edit dated before the last one cannot rewrite what was kept: it ends here.
            valid_to=max(on, valid_from),
            details=details,
            created_by_id=user.id,
        )
    )


def save_factory(
    organisation_id: int,
    values: dict,
    *,
    user: User,
    factory: Factory | None = None,
    on: date | None = None,
) -> Factory:
    """Create a factory or apply an edit (the form's values, already checked). An edit that
    changes the factory's details keeps the details as they were until `on` (today), in the
    same transaction, so the register as of an earlier day shows them. A supplied factory
    must be one of supplies_offered (404 otherwise); a final-assembly factory supplies none."""
    creating = factory is None
    supplied = values.get("supplies_factory_id")
    if supplied is not None and not supplies_offered(organisation_id, factory, [supplied]):
        abort(404)
    if creating:
        # Added to the session once complete: a query on the way (the supplied factory's)
        # would otherwise write it half made.
        factory = Factory(organisation_id=organisation_id)
    before = None if creating else _details(factory)
    for name in EDITABLE:
        if name in values:
            setattr(factory, name, values[name])
    if factory.role != "main_component":
        factory.supplies_factory_id = factory.supplies_brand = None
    if factory.supplies_factory_id != getattr(factory.supplies_factory, "id", None):
        factory.supplies_factory = (
            db.session.get(Factory, factory.supplies_factory_id)
            if factory.supplies_factory_id
            else None
        )
    if before is not None and _details(factory) != before:
        _keep_version(factory, before, on or today(), user)
    factory.match_key = normalise_key(factory.name, factory.address, factory.country)
    factory.updated_at = utcnow()
    db.session.add(factory)
    db.session.flush()
    record(
        "factory.added" if creating else "factory.changed",
        actor=user,
        organisation_id=organisation_id,
        target=factory,
        details={"name": factory.name},
    )
    return factory


def end_factory(factory: Factory, left_on: date, *, user: User) -> None:
    factory.left_on = left_on
    factory.updated_at = utcnow()
    record(
        "factory.left",
        actor=user,
        organisation_id=factory.organisation_id,
        target=factory,
        details={"name": factory.name, "left_on": left_on.isoformat()},
    )


# Risks ------------------------------------------------------------------------------------------
def risk_scale(organisation_id: int) -> RiskScale:
    scale = db.session.scalar(
        db.select(RiskScale).where(RiskScale.organisation_id == organisation_id)
    )
    return scale or RiskScale(
        organisation_id=organisation_id, severity_max=5, likelihood_max=5, method=""
    )


def save_risk_scale(
    organisation_id: int, *, severity_max: int, likelihood_max: int, method: str, user: User
) -> RiskScale:
    scale = risk_scale(organisation_id)
    if scale.id is None:
        db.session.add(scale)
    scale.severity_max, scale.likelihood_max, scale.method = severity_max, likelihood_max, method
    record(
        "factory.risk_scale",
        actor=user,
        organisation_id=organisation_id,
        details={"severity_max": severity_max, "likelihood_max": likelihood_max},
    )
    return scale


def risks_of(factory: Factory) -> list[FactoryRisk]:
    return list(
        db.session.scalars(
            db.select(FactoryRisk)
            .where(FactoryRisk.factory_id == factory.id)
            .order_by((FactoryRisk.severity * FactoryRisk.likelihood).desc(), FactoryRisk.id)
        )
    )


def add_risk(factory: Factory, *, user: User, **values) -> FactoryRisk:
    risk = FactoryRisk(factory_id=factory.id, updated_by_id=user.id, **values)
    db.session.add(risk)
    db.session.flush()
    record(
        "factory.risk_added",
        actor=user,
        organisation_id=factory.organisation_id,
        target=risk,
        details={"factory": factory.name, "category": risk.category},
    )
    return risk


def delete_risk(factory: Factory, risk_id: int, *, user: User) -> None:
    risk = db.session.get(FactoryRisk, risk_id)
    if risk is None or risk.factory_id != factory.id:
        abort(404)
    record(
        "factory.risk_removed",
        actor=user,
        organisation_id=factory.organisation_id,
        target=risk,
        details={"factory": factory.name, "category": risk.category},
    )
    db.session.delete(risk)


# Importing --------------------------------------------------------------------------------------
def existing_keys(organisation_id: int) -> dict[str, str]:
    """Match keys of the factories now in the register (key -> name), for duplicate checks:
    each factory under its own key, and under the key of its address as the Open Supply Hub
    layout exports it (with postal code and city), so that the supplier's own export read
    back finds its factories, those without an OS ID too."""
    rows = db.session.execute(
        db.select(
            Factory.match_key,
            Factory.name,
            Factory.address,
            Factory.postal_code,
            Factory.city,
            Factory.country,
        ).where(Factory.organisation_id == organisation_id, Factory.left_on.is_(None))
    )
    keys: dict[str, str] = {}
    for row in rows:
        keys[row.match_key] = row.name
        keys.setdefault(normalise_key(row.name, osh_address(row), row.country), row.name)
    return keys


def existing_os_ids(organisation_id: int) -> dict[str, str]:
    """Open Supply Hub IDs of the factories now in the register (ID -> name): a download of
    the supplier's own factories from Open Supply Hub matches them by ID."""
    rows = db.session.execute(
        db.select(Factory.os_hub_id, Factory.name).where(
            Factory.organisation_id == organisation_id,
            Factory.left_on.is_(None),
            Factory.os_hub_id.is_not(None),
        )
    )
    return {os_id: name for os_id, name in rows}  # noqa: C416 - rows are Row objects, not pairs


def _plain(row: ParsedRow) -> dict:
    """The row as stored in the staged import: its values (the empty ones left out), problems
    and duplicate mark. The cells as read are stored once, in the import's `cells`, not again
    per row, and the match key is made again from the values when they are written."""
    data = asdict(row)
    del data["raw"]
    data["values"] = {
        k: (v.isoformat() if isinstance(v, date) else v)
        for k, v in row.values.items()
        if v is not None and v != []
    }
    return data


def stage_import(
    organisation: Organisation, data: bytes, filename: str, *, user: User
) -> FactoryImport:
    """Stage an uploaded file; nothing reaches the register. Raises ImportFileError for a file
    that cannot be read.

    The rows are read into a preview at once when the organisation matched the columns of a
    file with the same headings before (that matching again), or when the headings name every
    column the importer would guess a field for. Otherwise the import awaits match_columns.
    The file's name is kept cleaned (portal.filenames.clean_filename), and read by that name.
    """
    filename = clean_filename(filename)
    table = read_table(data, filename)
    staged = FactoryImport(
        organisation_id=organisation.id,
        uploaded_by_id=user.id,
        filename=filename,
        rows=[],
        cells=table.to_json(),
        summary={"encoding": table.encoding, "delimiter": table.delimiter},
    )
    db.session.add(staged)
    remembered = remembered_matching(organisation.id, table.headings)
    recognised = recognised_matching(table)
    if remembered is not None:
        _read_rows(staged, table, remembered, matched_by="remembered")
    elif "name" in recognised and guess_matching(table) == recognised:
        _read_rows(staged, table, recognised, matched_by="headings")
    db.session.flush()
    _keep_newest_pending(organisation.id)
    return staged


def _pending(organisation_id: int | None = None) -> list:
    conditions = [FactoryImport.confirmed_at.is_(None)]
    if organisation_id is not None:
        conditions.append(FactoryImport.organisation_id == organisation_id)
    return conditions


def _expired_before() -> datetime:
    """Unconfirmed imports uploaded before this moment have expired."""
    return utcnow() - timedelta(hours=current_app.config["FACTORY_IMPORT_EXPIRY_HOURS"])


def _keep_newest_pending(organisation_id: int) -> None:
    """Delete the organisation's expired unconfirmed imports, and those beyond the newest
    FACTORY_IMPORT_PENDING_MAX: a new upload replaces the oldest waiting one."""
    keep = max(1, current_app.config["FACTORY_IMPORT_PENDING_MAX"])
    newest_first = db.session.scalars(
        db.select(FactoryImport.id)
        .where(*_pending(organisation_id))
        .order_by(FactoryImport.created_at.desc(), FactoryImport.id.desc())
    ).all()
    older = newest_first[keep:]
    db.session.execute(
        delete(FactoryImport).where(
            *_pending(organisation_id),
            FactoryImport.id.in_(older) | (FactoryImport.created_at < _expired_before()),
        )
    )


def purge_expired_imports() -> int:
    """Delete every organisation's unconfirmed imports older than FACTORY_IMPORT_EXPIRY_HOURS;
    returns how many. Confirmed imports stay (they are what the audit log points at)."""
    result = db.session.execute(
        delete(FactoryImport).where(*_pending(), FactoryImport.created_at < _expired_before())
    )
    return result.rowcount


def _read_rows(
    staged: FactoryImport, table: Table, matching: list[str | None], *, matched_by: str
) -> None:
    result = parse_table(table, matching)
    find_duplicates(
        result.rows,
        existing_keys(staged.organisation_id),
        existing_os_ids(staged.organisation_id),
    )
    staged.matching = list(matching)
    staged.rows = [_plain(r) for r in result.rows]
    staged.summary = {
        "columns": result.columns,
        "ignored": result.ignored_columns,
        "encoding": result.encoding,
        "delimiter": result.delimiter,
        # "headings", "remembered" (an earlier file's matching) or "user".
        "matched_by": matched_by,
    }


def matching_to_offer(staged: FactoryImport) -> tuple[Table, list[str | None]]:
    """The staged file's table and the matching to show for it: the one its rows were read
    with, else the importer's best guess."""
    table = Table.from_json(staged.cells)
    return table, staged.matching or guess_matching(table)


def match_columns(staged: FactoryImport, matching: list[str | None], *, user: User) -> None:
    """Read the staged file's rows with the user's matching (a field of MATCHABLE or None per
    heading, one of them "name"), and remember it for the organisation's next file with the
    same headings."""
    if staged.confirmed_at is not None:
        raise ImportBlockedError
    table = Table.from_json(staged.cells)
    _read_rows(staged, table, matching, matched_by="user")
    key = headings_key(table.headings)
    remembered = db.session.scalar(
        db.select(ColumnMatching).where(
            ColumnMatching.organisation_id == staged.organisation_id,
            ColumnMatching.headings_key == key,
        )
    )
    if remembered is None:
        remembered = ColumnMatching(organisation_id=staged.organisation_id, headings_key=key)
        db.session.add(remembered)
    remembered.headings = table.headings
    remembered.fields = list(matching)
    remembered.updated_at = utcnow()
    remembered.updated_by_id = user.id
    record(
        "factory.columns_matched",
        actor=user,
        organisation_id=staged.organisation_id,
        target=staged,
        details={
            "file": staged.filename,
            "columns": {h: f for h, f in zip(table.headings, matching, strict=True) if f},
        },
    )


def remembered_matching(organisation_id: int, headings: list[str]) -> list[str | None] | None:
    """The matching the organisation last chose for a file with these headings, if any (and
    if it still fits: one known field or None per heading, with a name)."""
    fields = db.session.scalar(
        db.select(ColumnMatching.fields).where(
            ColumnMatching.organisation_id == organisation_id,
            ColumnMatching.headings_key == headings_key(headings),
        )
    )
    if (
        fields is None
        or len(fields) != len(headings)
        or "name" not in fields
        or any(f is not None and f not in MATCHABLE for f in fields)
    ):
        return None
    return fields


def staged_import(user: User, import_id: int) -> FactoryImport | None:
    """An import of the user's organisation: a confirmed one, or an unconfirmed one that has
    not expired. None for anything else (expired, replaced by newer uploads, another
    organisation's, never there), alike."""
    staged = db.session.get(FactoryImport, import_id)
    if staged is None or staged.organisation_id != user.organisation_id:
        return None
    if staged.confirmed_at is None and staged.created_at < _expired_before():
        return None
    return staged


@dataclass(frozen=True)
class ImportSummary:
    """A staged import's rows by what the user must decide about them (row numbers)."""

    erroneous: list[int]
    duplicates: list[int]
    warnings: int
    #: Rows without errors, warnings or a duplicate mark.
    clean: int

    @property
    def droppable(self) -> list[int]:
        """Rows with errors that the user may leave out (a duplicate is left out anyway)."""
        return [n for n in self.erroneous if n not in self.duplicates]


def import_summary(staged: FactoryImport) -> ImportSummary:
    """The staged rows with errors, the possible duplicates and the number with warnings."""
    return ImportSummary(
        erroneous=[r["number"] for r in staged.rows if r["errors"]],
        duplicates=[r["number"] for r in staged.rows if r["duplicate_of"]],
        warnings=sum(1 for r in staged.rows if r["warnings"]),
        clean=sum(
            1 for r in staged.rows if not (r["errors"] or r["warnings"] or r["duplicate_of"])
        ),
    )


class ImportBlockedError(Exception):
    """Rows with errors are neither fixed nor dropped (or the import was confirmed already, or
    its columns are not matched yet); nothing was written."""


def confirm_import(
    staged: FactoryImport, *, dropped: set[int], kept: set[int] = frozenset(), user: User
) -> int:
    """Write, in one statement, every row except those `dropped` and the possible duplicates
    (of an earlier row or of the register) not in `kept`; or nothing, when a row to write has
    errors. Returns the number written."""
    if staged.confirmed_at is not None or staged.awaits_matching:
        raise ImportBlockedError
    duplicates = {r["number"] for r in staged.rows if r["duplicate_of"]} - kept
    written = [r for r in staged.rows if r["number"] not in dropped | duplicates]
    if any(r["errors"] for r in written):
        raise ImportBlockedError
    now = utcnow()
    start = today()
    records = []
    for row in written:
        values = row["values"]
        records.append(
            {
                "organisation_id": staged.organisation_id,
                "name": values["name"],
                "name_local": values.get("name_local"),
                "address": values.get("address"),
                "city": values.get("city"),
                "postal_code": values.get("postal_code"),
                "country": values["country"],
                "role": values["role"],
                "component_categories": values.get("component_categories") or [],
                "product_categories": values.get("product_categories") or [],
                "brands": values.get("brands") or [],
                "workers_min": values.get("workers_min"),
                "workers_max": values.get("workers_max"),
                "os_hub_id": values.get("os_hub_id"),
                "rba_id": values.get("rba_id"),
                "product_models": values.get("product_models"),
                # Linked to a final-assembly factory of that name below, else a brand.
                "supplies_brand": values.get("supplies")
                if values["role"] == "main_component"
                else None,
                "women_percent": values.get("women_percent"),
                "migrant_percent": values.get("migrant_percent"),
                "agency_percent": values.get("agency_percent"),
                "parent_company": values.get("parent_company"),
                "latitude": values.get("latitude"),
                "longitude": values.get("longitude"),
                "entered_on": date.fromisoformat(values["entered_on"])
                if values.get("entered_on")
                else start,
                "left_on": date.fromisoformat(values["left_on"]) if values.get("left_on") else None,
                "match_key": normalise_key(
                    values["name"], values.get("address"), values.get("country")
                ),
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    if records:
        db.session.execute(insert(Factory), records)
        _link_supplied_factories(staged.organisation_id, now)
    staged.confirmed_at = now
    # The factories are in the register now; the file's cells and rows would only take room.
    staged.rows, staged.cells = [], None
    record(
        "factory.imported",
        actor=user,
        organisation_id=staged.organisation_id,
        target=staged,
        details={
            "file": staged.filename,
            "rows": len(records),
            "dropped": sorted(dropped),
            "duplicates_left_out": sorted(duplicates - dropped),
        },
    )
    return len(records)


def _link_supplied_factories(organisation_id: int, added_at: datetime) -> None:
    """Where a main-component factory added at `added_at` names what it supplies by the name
    of one of the organisation's current final-assembly factories (this file's or earlier),
    link it to that factory instead of keeping the name as a brand; a name two such factories
    share stays a brand."""
    by_name: dict[str, int | None] = {}
    for id_, name in supplies_offered(organisation_id):
        key = brand_key(name)
        by_name[key] = None if key in by_name else id_
    added = db.session.execute(
        db.select(Factory.id, Factory.supplies_brand).where(
            Factory.organisation_id == organisation_id,
            Factory.created_at == added_at,
            Factory.supplies_brand.is_not(None),
        )
    ).all()
    links = [
        {"row_id": id_, "supplied_id": by_name[brand_key(text)]}
        for id_, text in added
        if by_name.get(brand_key(text))
    ]
    if links:
        table = Factory.__table__
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(supplies_factory_id=bindparam("supplied_id"), supplies_brand=None),
            links,
        )


# Brand confirmations ------------------------------------------------------------------------------
def register_brands(organisation_id: int) -> list[str]:
    """The brands the organisation's current factories name, as first written, sorted."""
    return lists.register_brands(organisation_id, today())


def brand_confirmations(organisation_id: int) -> dict[str, BrandConfirmation]:
    """The organisation's confirmations by brand_key of the brand."""
    return {
        brand_key(c.brand): c
        for c in db.session.scalars(
            db.select(BrandConfirmation).where(BrandConfirmation.organisation_id == organisation_id)
        )
    }


def confirm_with_brand(
    organisation_id: int, brand: str, confirmed_on: date, *, user: User
) -> BrandConfirmation:
    """Record that the organisation confirmed its factory list with `brand` on `confirmed_on`,
    replacing the brand's earlier date (brands compare as brand_key does). The row itself says
    who recorded it and when."""
    confirmation = brand_confirmations(organisation_id).get(brand_key(brand))
    if confirmation is None:
        confirmation = BrandConfirmation(organisation_id=organisation_id)
        db.session.add(confirmation)
    confirmation.brand = brand.strip()
    confirmation.confirmed_on = confirmed_on
    confirmation.recorded_at = utcnow()
    confirmation.recorded_by_id = user.id
    record(
        "factory.brand_confirmed",
        actor=user,
        organisation_id=organisation_id,
        details={"brand": confirmation.brand, "confirmed_on": confirmed_on.isoformat()},
    )
    return confirmation


#: Confirmations shown on the buyer's table of factories; the rest are counted.
CONFIRMATIONS_SHOWN = 30


@cache
def _confirmations_statement(one_supplier: bool):
    # Made once: making it costs more than running it, on every view of the buyer's table.
    query = (
        db.select(
            Organisation.name,
            BrandConfirmation.brand,
            BrandConfirmation.confirmed_on,
            func.count().over().label("total"),
        )
        .join(Organisation, Organisation.id == BrandConfirmation.organisation_id)
        .order_by(
            BrandConfirmation.confirmed_on.desc(),
            func.lower(Organisation.name),
            func.lower(BrandConfirmation.brand),
            BrandConfirmation.id,
        )
        .limit(CONFIRMATIONS_SHOWN)
    )
    if one_supplier:
        query = query.where(BrandConfirmation.organisation_id == bindparam("organisation_id"))
    return query


def all_brand_confirmations(
    organisation_id: int | None = None,
) -> tuple[list[tuple[str, str, date]], int]:
    """(supplier's name, brand, day) of the CONFIRMATIONS_SHOWN latest confirmations of every
    supplier, or of one supplier, latest first, and how many there are in all; one query."""
    query = _confirmations_statement(bool(organisation_id))
    found = read_requests.rows(query, {"organisation_id": organisation_id})
    return [(name, brand, day) for name, brand, day, _total in found], (
        found[0].total if found else 0
    )


# Snapshots and the buyer's view -------------------------------------------------------------------
@dataclass(frozen=True)
class Coverage:
    """What an organisation's current register holds, for the questions it answers."""

    #: Current factories per role.
    counts: dict[str, int]
    #: Brand names (trimmed, case-folded) with at least one current final-assembly factory.
    assembled_brands: frozenset[str]

    def count(self, roles: list[str] | None = None) -> int:
        return sum(n for role, n in self.counts.items() if not roles or role in roles)

    def unassembled(self, brands: list[str]) -> list[str]:
        """The brands, as written, that no current final-assembly factory names."""
        return [b for b in brands if brand_key(b) not in self.assembled_brands]


@cache
def _coverage_statement():
    # Made once, its values bound at execution: a draft's every page with a factory-list
    # question reads the coverage, and making the statement costs more than running it.
    # Summed up by the database: a register of ten thousand factories comes back as a row
    # per role, and per different list of brands among its final-assembly factories.
    assembly_brands = case(
        (Factory.role == "final_assembly", cast(Factory.brands, String)), else_=None
    ).label("assembly_brands")
    return (
        db.select(Factory.role, assembly_brands, func.count())
        .where(*in_chain(bindparam("organisation_id"), bindparam("day")))
        .group_by(Factory.role, "assembly_brands")
    )


def coverage(organisation_id: int, day: date | None = None) -> Coverage:
    """The register's current factories summed up by role and assembled brand (one query)."""
    found = read_requests.rows(
        _coverage_statement(), {"organisation_id": organisation_id, "day": day or today()}
    )
    counts: dict[str, int] = {}
    assembled: set[str] = set()
    for role, brands, count in found:
        counts[role] = counts.get(role, 0) + count
        if brands is not None:
            names = json.loads(brands) or []  # the JSON the portal stored, as text
            assembled.update(brand_key(b) for b in names if str(b).strip())
    return Coverage(counts, frozenset(assembled))


def snapshot(organisation_id: int, roles: list[str] | None = None) -> list[dict]:
    """The register as it stands now, as plain data to freeze into a submitted response."""
    factories = register_on(organisation_id)
    return [
        {
            "id": f.id,
            "name": f.name,
            "name_local": f.name_local,
            "address": f.address,
            "city": f.city,
            "country": f.country,
            "role": f.role,
            "component_categories": f.component_categories,
            "product_categories": f.product_categories,
            "brands": f.brands,
            "workers": f.workers_label,
            "os_hub_id": f.os_hub_id,
            "rba_id": f.rba_id,
            "product_models": f.product_models,
            "supplies": f.supplies_label,
            "women_percent": f.women_percent,
            "migrant_percent": f.migrant_percent,
            "agency_percent": f.agency_percent,
            "entered_on": f.entered_on.isoformat(),
        }
        for f in factories
        if not roles or f.role in roles
    ]

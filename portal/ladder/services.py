"""Publishing the ladder, marking milestones, and reading where suppliers stand.

Services add and flush; the request boundary commits. Every read that serves a list of
suppliers is one query for all of them, whatever their number.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import abort
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from portal.audit.services import record
from portal.auth.services import User
from portal.definitions import (
    Kind,
    file_for,
    folder_or_default,
)
from portal.definitions import publish as publish_definition
from portal.evidence import services as evidence_services
from portal.evidence.services import EvidenceDocument
from portal.extensions import db
from portal.factories.services import brand_key
from portal.ladder.brands import brands_of, brands_of_suppliers, listed_as
from portal.ladder.definition import KIND, Ladder, load_ladder
from portal.ladder.models import STATUSES, LadderVersion, MilestoneMark
from portal.orgs import services as orgs
from portal.orgs.services import Organisation
from portal.spreadsheets import neutralise
from portal.texts import text_in

# isort: split
# What other features may name besides the functions below.
from portal.definitions import PublishError  # noqa: F401
from portal.ladder.chart import climb_chart  # noqa: F401
from portal.ladder.labels import STATUS_LABELS  # noqa: F401

#: The ladder the portal ships (questionnaires/worker-empowerment-ladder/v<N>.yaml).
LADDER_KEY = "worker-empowerment-ladder"


class MarkError(ValueError):
    """A mark that names an unknown milestone, status or brand, or another organisation's
    document."""


# Publishing -------------------------------------------------------------------------------------
def ladder_file(number: int, *, key: str = LADDER_KEY, root: Path | None = None) -> Path:
    """Where ladder version `number` lives (root: QUESTIONNAIRES_FOLDER)."""
    return file_for(key, number, folder_or_default(root))


def has_marks(version: LadderVersion) -> bool:
    return (
        db.session.scalar(
            db.select(MilestoneMark.id)
            .where(MilestoneMark.ladder_version_id == version.id)
            .limit(1)
        )
        is not None
    )


def _forget_reading(version: LadderVersion, content: dict) -> None:
    version.__dict__.pop("_ladder", None)  # read again from the corrected content


#: Ladders as versioned definitions: a version that reviewers have marked against never changes.
LADDERS = Kind(
    tag=KIND,
    load=load_ladder,
    model=LadderVersion,
    in_use=has_marks,
    used_by="marks",
    fill=_forget_reading,
)


def publish(
    number: int, *, key: str = LADDER_KEY, root: Path | None = None
) -> tuple[LadderVersion, str]:
    """Load questionnaires/<key>/v<number>.yaml into the database (see
    `portal.definitions.publish`).

    Returns the version and what happened ("published", "unchanged" or "updated"). A version
    that reviewers have marked against never changes: a different file is refused with a
    PublishError.
    """
    return publish_definition(LADDERS, key, number, root=root)


def current_version(key: str = LADDER_KEY) -> LadderVersion | None:
    """The published version with the highest number, or None before the first publish."""
    return db.session.scalar(
        db.select(LadderVersion)
        .where(LadderVersion.key == key)
        .order_by(LadderVersion.number.desc())
        .limit(1)
    )


# Reading where suppliers stand ------------------------------------------------------------------
def suppliers() -> list[Organisation]:
    """Every supplier organisation, by name."""
    return orgs.suppliers()


def supplier_or_404(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not organisation.is_supplier:
        abort(404)
    return organisation


def _newest_first():
    return (MilestoneMark.marked_on.desc(), MilestoneMark.marked_at.desc(), MilestoneMark.id.desc())


def _current_rows(ids: list[int]) -> list[MilestoneMark]:
    """The current mark of every milestone and brand (or none) of the organisations, oldest
    first, so that applying them in turn leaves the newest in force (one query)."""
    ranked = (
        db.select(
            MilestoneMark.id,
            func.row_number()
            .over(
                partition_by=(
                    MilestoneMark.organisation_id,
                    MilestoneMark.milestone_key,
                    MilestoneMark.brand,
                ),
                order_by=_newest_first(),
            )
            .label("rank"),
        )
        .where(MilestoneMark.organisation_id.in_(ids))
        .subquery()
    )
    return list(
        db.session.scalars(
            db.select(MilestoneMark)
            .join(ranked, ranked.c.id == MilestoneMark.id)
            .where(ranked.c.rank == 1)
            .order_by(MilestoneMark.marked_on, MilestoneMark.marked_at, MilestoneMark.id)
            .options(
                joinedload(MilestoneMark.evidence_document), joinedload(MilestoneMark.marked_by)
            )
        )
    )


def latest_marks(organisation_ids: Iterable[int]) -> dict[int, dict[str, MilestoneMark]]:
    """The current whole-organisation mark of every milestone, per organisation:
    {org id: {milestone key: mark}}; marks for one brand are left out (see standings()).

    The current mark is the one with the latest `marked_on` (then the latest recorded). One
    query for any number of organisations.
    """
    ids = list(organisation_ids)
    if not ids:
        return {}
    found: dict[int, dict[str, MilestoneMark]] = defaultdict(dict)
    for mark_ in _current_rows(ids):
        if mark_.brand is None:
            found[mark_.organisation_id][mark_.milestone_key] = mark_
    return dict(found)


def current_marks(organisation_id: int) -> dict[str, MilestoneMark]:
    """The organisation's current whole-organisation mark per milestone key (one query)."""
    return latest_marks([organisation_id]).get(organisation_id, {})


def position(marks: Mapping[str, MilestoneMark], ladder: Ladder) -> int:
    """The step the supplier stands on: the highest step that is achieved together with
    every step below it (step 0, where everyone starts, needs no mark)."""
    reached = 0
    for milestone in ladder.markable:
        mark_ = marks.get(milestone["key"])
        if mark_ is None or mark_.status != "achieved":
            break
        reached = milestone["step"]
    return reached


def next_milestone(marks: Mapping[str, MilestoneMark], ladder: Ladder) -> dict | None:
    """The milestone the supplier works towards now, or None at the top of the ladder."""
    return ladder.at(position(marks, ladder) + 1)


class _Climb:
    """One supplier's marks applied in the order they took effect: a mark for the whole
    organisation holds for every brand until a newer one replaces it, a mark for one brand
    only for that brand. Marks of brands the supplier no longer names count for none."""

    def __init__(self, brands: list[str]):
        self.organisation: dict[str, MilestoneMark] = {}
        self.brands = {brand_key(b): (b, {}) for b in brands}

    def apply(self, mark_) -> None:
        if mark_.brand is None:
            self.organisation[mark_.milestone_key] = mark_
            for _, marks in self.brands.values():
                marks[mark_.milestone_key] = mark_
        elif (found := self.brands.get(brand_key(mark_.brand))) is not None:
            found[1][mark_.milestone_key] = mark_

    def step(self, ladder: Ladder) -> int:
        """The supplier's step: the one all its brands have reached (without brands, the
        organisation's)."""
        if not self.brands:
            return position(self.organisation, ladder)
        return min(position(marks, ladder) for _, marks in self.brands.values())


@dataclass(frozen=True)
class BrandStep:
    """Where one brand of a supplier stands."""

    brand: str
    step: int
    #: The mark in force per milestone key: the brand's own or the organisation's, the newer.
    marks: dict[str, MilestoneMark]


@dataclass(frozen=True)
class Standing:
    """Where one supplier stands on the ladder, as a whole and brand by brand."""

    #: The step all its brands have reached (without brands, the organisation's step).
    step: int
    #: The whole organisation's current mark per milestone key.
    marks: dict[str, MilestoneMark]
    #: One per brand the supplier names, in its order; empty for a supplier naming none.
    brands: list[BrandStep] = field(default_factory=list)


def standings(
    organisation_ids: Iterable[int],
    ladder: Ladder,
    brands: Mapping[int, list[str]] | None = None,
) -> dict[int, Standing]:
    """Where each supplier stands now, by organisation id. `brands` (see brands_of_suppliers)
    is read when not given. A fixed number of queries for any number of suppliers."""
    ids = list(organisation_ids)
    if not ids:
        return {}
    brands = brands if brands is not None else brands_of_suppliers(ids)
    climbs = {i: _Climb(brands.get(i, [])) for i in ids}
    for mark_ in _current_rows(ids):
        climbs[mark_.organisation_id].apply(mark_)
    return {
        i: Standing(
            step=climb.step(ladder),
            marks=climb.organisation,
            brands=[
                BrandStep(name, position(marks, ladder), marks)
                for name, marks in climb.brands.values()
            ],
        )
        for i, climb in climbs.items()
    }


def standing(organisation_id: int, ladder: Ladder, brands: list[str] | None = None) -> Standing:
    """Where one supplier stands now (see standings); `brands` its brands when known."""
    known = {organisation_id: brands} if brands is not None else None
    return standings([organisation_id], ladder, known)[organisation_id]


def supplier_brands(organisation_id: int) -> list[str]:
    """The brands a mark for the supplier may name: those of its latest submitted response's
    brand table or else of its factory register; none for a brand owner naming none."""
    return brands_of(organisation_id)


def history_positions(
    organisation_ids: Iterable[int],
    ladder: Ladder | None = None,
    brands: Mapping[int, list[str]] | None = None,
) -> dict[int, list[tuple[date, int]]]:
    """Each organisation's climb: [(date, step), …] with one point per day on which marks
    took effect, in date order, the step (the one all the brands it names now had reached)
    as it stood at the end of that day.

    Computed from every mark in one query (and the brands, when not given, in a few more);
    organisations without marks get an empty list.
    """
    ids = list(organisation_ids)
    history: dict[int, list[tuple[date, int]]] = {i: [] for i in ids}
    if not ids:
        return history
    if ladder is None:
        version = current_version()
        if version is None:
            return history
        ladder = version.ladder
    brands = brands if brands is not None else brands_of_suppliers(ids)
    climbs = {i: _Climb(brands.get(i, [])) for i in ids}
    rows = db.session.execute(
        db.select(
            MilestoneMark.organisation_id,
            MilestoneMark.milestone_key,
            MilestoneMark.brand,
            MilestoneMark.status,
            MilestoneMark.marked_on,
        )
        .where(MilestoneMark.organisation_id.in_(ids))
        .order_by(
            MilestoneMark.organisation_id,
            MilestoneMark.marked_on,
            MilestoneMark.marked_at,
            MilestoneMark.id,
        )
    )
    for row in rows:
        climbs[row.organisation_id].apply(row)
        step = climbs[row.organisation_id].step(ladder)
        points = history[row.organisation_id]
        if points and points[-1][0] == row.marked_on:
            points[-1] = (row.marked_on, step)
        else:
            points.append((row.marked_on, step))
    return history


def overview_rows(
    organisations: list[Organisation], ladder: Ladder
) -> tuple[list[tuple[Organisation, Standing, date | None]], dict[int, list[tuple[date, int]]]]:
    """For the buyer's overview: (organisation, where it stands, day of its last mark) per
    supplier, and each one's climb (see history_positions). The same number of queries for
    any number of suppliers."""
    ids = [o.id for o in organisations]
    brands = brands_of_suppliers(ids)
    standing_of = standings(ids, ladder, brands)
    history = history_positions(ids, ladder, brands)
    rows = [
        (o, standing_of[o.id], history[o.id][-1][0] if history[o.id] else None)
        for o in organisations
    ]
    return rows, history


def mark_history(organisation_id: int) -> list[MilestoneMark]:
    """Every mark of the organisation, newest first, with its document and reviewer."""
    return list(
        db.session.scalars(
            db.select(MilestoneMark)
            .where(MilestoneMark.organisation_id == organisation_id)
            .order_by(*_newest_first())
            .options(
                joinedload(MilestoneMark.evidence_document), joinedload(MilestoneMark.marked_by)
            )
        )
    )


def evidence_documents(organisation_id: int, viewer: User) -> list[EvidenceDocument]:
    """The organisation's documents a mark can point to, newest first: those `viewer` may
    see (a draft response's documents are not among them until it is submitted)."""
    return evidence_services.newest_documents(organisation_id, viewer)


# Marking ----------------------------------------------------------------------------------------
def mark(
    organisation: Organisation,
    milestone_key: str,
    status: str,
    marked_on: date,
    evidence_document_id: int | None,
    evidence_note: str,
    note: str,
    user: User,
    brand: str | None = None,
) -> MilestoneMark:
    """Record a reviewer's verdict on one milestone, for the whole organisation or for one of
    its brands (see supplier_brands), as a new row of the history, and log it.

    Raises MarkError for a milestone the current ladder does not mark, an unknown status, a
    brand the supplier does not name, or a document of another organisation, one `user` may
    not see, or of a kind the milestone does not accept.
    """
    version = current_version()
    milestone = version.ladder.milestone(milestone_key) if version else None
    if milestone is None or milestone["step"] == 0:
        raise MarkError(f"{milestone_key!r} is not a milestone to mark.")
    if status not in STATUSES:
        raise MarkError(f"{status!r} is not a status.")
    if brand is not None:
        listed = listed_as(brands_of(organisation.id), brand)
        if listed is None:
            raise MarkError(f"{brand!r} is not one of the supplier's brands.")
        brand = listed
    if evidence_document_id is not None:
        document = evidence_services.readable(user, evidence_document_id)
        if document is None or document.organisation_id != organisation.id:
            raise MarkError("The document is not the organisation's.")
        if document.kind not in milestone["evidence"]:
            raise MarkError(f"A {document.kind} document does not prove {milestone_key!r}.")
    new = MilestoneMark(
        organisation_id=organisation.id,
        ladder_version_id=version.id,
        milestone_key=milestone_key,
        brand=brand,
        status=status,
        marked_on=marked_on,
        evidence_document_id=evidence_document_id,
        evidence_note=evidence_note or "",
        note=note or "",
        marked_by_id=user.id,
    )
    db.session.add(new)
    db.session.flush()
    record(
        "ladder.marked",
        actor=user,
        organisation_id=organisation.id,
        target=new,
        details={
            "ladder": version.label,
            "milestone": milestone_key,
            "brand": brand,
            "step": milestone["step"],
            "status": status,
            "marked_on": marked_on.isoformat(),
            "evidence_document_id": evidence_document_id,
        },
    )
    return new


def mark_all(
    organisation: Organisation, marks: list[dict], *, user: User, brand: str | None = None
) -> int:
    """Record each of the marks (a dict of mark()'s arguments) in order, all for `brand` or
    for the whole organisation; returns how many. Raises MarkError for the first that cannot
    be recorded."""
    for values in marks:
        mark(organisation, user=user, brand=brand, **values)
    return len(marks)


# Exporting --------------------------------------------------------------------------------------
EXPORT_HEADER = [
    "Supplier",
    "Organisation number",
    "Country",
    "Ladder step",
    "Brand",
    "Brand step",
    "Milestone step",
    "Milestone",
    "Status",
    "Marked on",
    "Evidence document",
    "Evidence note",
    "Note",
    "Marked by",
]


def _mark_cells(mark_: MilestoneMark | None) -> list:
    document = mark_.evidence_document if mark_ else None
    marker = mark_.marked_by if mark_ else None
    return [
        neutralise(mark_.status if mark_ else ""),
        neutralise(mark_.marked_on if mark_ else None),
        neutralise(document.filename if document else None),
        neutralise(mark_.evidence_note if mark_ else None),
        neutralise(mark_.note if mark_ else None),
        neutralise(marker.full_name if marker else None),
    ]


def export_rows(lang: str) -> tuple[list[str], list[list]]:
    """Every supplier's ladder step and the current mark of each milestone: one row per
    supplier and milestone, or, for a supplier naming brands, per brand and milestone with
    the brand's step and the mark in force for it. Text cells neutralised so that no
    spreadsheet runs them."""
    version = current_version()
    if version is None:
        return EXPORT_HEADER, []
    ladder = version.ladder
    organisations = suppliers()
    standing_of = standings([o.id for o in organisations], ladder)
    body = []
    for organisation in organisations:
        standing_ = standing_of[organisation.id]
        columns = [(None, None, standing_.marks)] + [
            (b.brand, b.step, b.marks) for b in standing_.brands
        ]
        for brand, brand_step, marks in columns[1:] or columns:
            for milestone in ladder.markable:
                body.append(
                    [
                        neutralise(organisation.name),
                        neutralise(organisation.org_number),
                        neutralise(organisation.country),
                        standing_.step,
                        neutralise(brand),
                        brand_step,
                        milestone["step"],
                        neutralise(text_in(milestone["title"], lang)),
                        *_mark_cells(marks.get(milestone["key"])),
                    ]
                )
    return EXPORT_HEADER, body

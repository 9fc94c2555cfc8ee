"""One supplier organisation at a glance for the buyer: its contracts and their reports, its
rounds and responses with their review and score, its step on the ladder and its climb, its
factories by country, its findings with their clocks and its place in the audit selection.

Each part is read through the feature that keeps it, on one day of the Swedish calendar, in a
fixed number of queries however many contracts, responses, factories or findings the
supplier has.
"""

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from flask import abort

from portal.contracts import services as contracts
from portal.contracts.services import Contract, ReportState
from portal.extensions import db
from portal.factories import services as factories
from portal.factories.services import Factory
from portal.findings import services as findings
from portal.findings.services import Clock, Finding
from portal.ladder import services as ladder_services
from portal.orgs.services import Organisation, country_name
from portal.questionnaires.services import STAFF_VISIBLE, Response, ResponseStatus
from portal.review import services as review
from portal.selection import services as selection

if TYPE_CHECKING:  # only named in annotations
    from portal.ladder.chart import Chart
    from portal.ladder.definition import Ladder
    from portal.review.scoring import Scores


@dataclass(frozen=True)
class ResponseLine:
    """One round the supplier was asked to answer, with where its response stands."""

    response: Response
    #: not_started, draft, to_review, in_review, clarification or accepted (see
    #: labels.RESPONSE_STATE_LABELS).
    state: str
    #: Its scores as the review page shows them, once the buyer's staff can see the
    #: response; None before.
    scores: "Scores | None" = None

    @property
    def reviewable(self) -> bool:
        return self.response.status in STAFF_VISIBLE


#: The roles of factories in the supply chain, in the order the page lists them.
ROLES = tuple(factories.ROLE_LABELS)


@dataclass(frozen=True)
class CountryFactories:
    """How many of the supplier's current factories are in one country, by role."""

    country: str
    by_role: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_role.values())


@dataclass(frozen=True)
class LadderGlance:
    """Where the supplier stands on the current ladder and how it got there."""

    ladder: "Ladder"
    standing: ladder_services.Standing
    #: [(day, step), …]: the step after the marks of each day, oldest first.
    climb: list[tuple[date, int]]
    #: The climb drawn, None before the first mark.
    chart: "Chart | None"
    #: Whether a mark names one brand, so that brands may stand on different steps.
    marked_per_brand: bool

    @property
    def reached(self) -> dict:
        return self.ladder.at(self.standing.step)


@dataclass(frozen=True)
class FindingLine:
    """A finding with its corrective action's clock and what it concerns."""

    finding: Finding
    clock: Clock
    contract: Contract | None
    factory: Factory | None


@dataclass
class Glance:
    """Everything the supplier's page shows, as it stood on `day`."""

    organisation: Organisation
    day: date
    contracts: list[Contract]
    reports: dict[int, ReportState]
    responses: list[ResponseLine]
    ladder: LadderGlance | None
    factories: list[CountryFactories]
    findings: list[FindingLine]
    #: Its row in the audit selection; None without a contract running on `day`.
    selection: selection.RankedSupplier | None
    #: How many suppliers the selection ranks.
    ranked: int

    @property
    def current_contracts(self) -> list[Contract]:
        return [c for c in self.contracts if c.starts_on <= self.day <= c.ends_on]

    @property
    def current_value(self) -> int:
        return sum(c.value_sek for c in self.current_contracts)

    @property
    def factory_total(self) -> int:
        return sum(row.total for row in self.factories)

    def factory_role_total(self, role: str) -> int:
        return sum(row.by_role.get(role, 0) for row in self.factories)

    @property
    def open_findings(self) -> list[FindingLine]:
        return [line for line in self.findings if line.clock.stage is not None]

    @property
    def overdue_findings(self) -> list[FindingLine]:
        return [line for line in self.findings if line.clock.overdue]


def supplier_or_404(organisation_id: int) -> Organisation:
    """The supplier organisation; 404 for the buyer's own organisation or an unknown id."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not organisation.is_supplier:
        abort(404)
    return organisation


def glance(organisation_id: int, lang: str) -> Glance:
    """The supplier's page as it stands today (404 when the id names no supplier)."""
    organisation = supplier_or_404(organisation_id)
    day = findings.today()
    held = contracts.contracts_of(organisation.id)
    ranking = selection.ranking(day=day)
    return Glance(
        organisation=organisation,
        day=day,
        contracts=held,
        reports=contracts.report_states(held, day),
        responses=response_lines(organisation.id, lang),
        ladder=ladder_glance(organisation, day),
        factories=factories_by_country(organisation.id, day),
        findings=finding_lines(organisation.id, held, day),
        selection=next((r for r in ranking.rows if r.organisation.id == organisation.id), None),
        ranked=len(ranking.rows),
    )


def response_lines(organisation_id: int, lang: str) -> list[ResponseLine]:
    """Every response the supplier was asked for, the latest round first, each with its
    review's state and, once staff can see it, its scores (four queries)."""
    responses = list(
        db.session.scalars(
            db.select(Response)
            .where(Response.organisation_id == organisation_id)
            .order_by(Response.id.desc())
        )
    )
    seen = [r for r in responses if r.status in STAFF_VISIBLE]
    reviews = review.reviews_of([r.id for r in seen])
    scores = review.scores_of_responses(seen, lang)
    return [ResponseLine(r, _state(r, reviews.get(r.id)), scores.get(r.id)) for r in responses]


def _state(response: Response, found) -> str:
    if response.status not in STAFF_VISIBLE:
        return response.status
    if response.status == ResponseStatus.CLARIFICATION:
        return "clarification"
    if found is None:
        return "to_review"
    return "accepted" if found.status == "accepted" else "in_review"


def ladder_glance(organisation: Organisation, day: date) -> LadderGlance | None:
    """Where the supplier stands on the current ladder, brand by brand, and its climb; None
    before a ladder is published (a fixed number of queries)."""
    version = ladder_services.current_version()
    if version is None:
        return None
    ladder = version.ladder
    rows, history = ladder_services.overview_rows([organisation], ladder)
    _org, standing, _last = rows[0]
    climb = history[organisation.id]
    return LadderGlance(
        ladder=ladder,
        standing=standing,
        climb=climb,
        chart=ladder_services.climb_chart(
            [(organisation.name, climb)], top_step=ladder.top, today=day
        ),
        marked_per_brand=any(
            mark.brand for brand in standing.brands for mark in brand.marks.values()
        ),
    )


def factories_by_country(organisation_id: int, day: date) -> list[CountryFactories]:
    """The supplier's factories in its supply chain on `day`, counted per country and role;
    the countries with the most first, then by name (one query)."""
    counts = factories.counts_by_country(organisation_id, day)
    rows = [CountryFactories(country, by_role) for country, by_role in counts.items()]
    return sorted(rows, key=lambda row: (-row.total, country_name(row.country).casefold()))


def finding_lines(organisation_id: int, held: list[Contract], day: date) -> list[FindingLine]:
    """The supplier's findings, open ones and the soonest deadline first, each with its clock
    on `day`, its contract (one of `held`) and its factory (two queries)."""
    found = findings.findings_of(organisation_id)
    by_contract = {c.id: c for c in held}
    factory_ids = {f.factory_id for f in found if f.factory_id is not None}
    by_factory = (
        {f.id: f for f in db.session.scalars(db.select(Factory).where(Factory.id.in_(factory_ids)))}
        if factory_ids
        else {}
    )
    return [
        FindingLine(
            finding,
            findings.clock(finding.action, day),
            by_contract.get(finding.contract_id),
            by_factory.get(finding.factory_id),
        )
        for finding in found
    ]

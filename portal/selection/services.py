"""Choosing whom to follow up: the country-risk table, each contracted supplier's risk score
with its parts, the ranking, this year's proposal and the desktop audits planned from it."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.audit.services import record
from portal.auth.services import User
from portal.contracts import services as contracts
from portal.contracts.services import Contract, ContractPeriod
from portal.extensions import db
from portal.factories.services import Factory
from portal.findings import services as findings
from portal.findings.services import CorrectiveAction, Finding
from portal.orgs.services import Organisation, StaleEditError, country_name
from portal.questionnaires.services import Response, Round
from portal.review.services import Review
from portal.selection import importing, scoring
from portal.selection.models import FIGURES, CountryRisk, DesktopAudit
from portal.timeutil import utcnow

# isort: split
# What other features may name besides the functions below.
from portal.selection.importing import FIGURE_LABELS  # noqa: F401
from portal.selection.models import CountryRisk, DesktopAudit  # noqa: F811 (also used above)


def today() -> date:
    """Today on the portal's calendar (Swedish time)."""
    return contracts.today()


# --- The country-risk table ---------------------------------------------------------------------


def country_risks() -> list[CountryRisk]:
    """Every row of the table, by the country's name in the current language (one query)."""
    rows = db.session.scalars(db.select(CountryRisk))
    return sorted(rows, key=lambda row: country_name(row.country).casefold())


def country_risk_of(code: str) -> CountryRisk | None:
    return db.session.scalar(db.select(CountryRisk).where(CountryRisk.country == code))


def risk_table() -> dict[str, float]:
    """Country code -> its risk (scoring.country_risk), for the whole table (one query)."""
    columns = [getattr(CountryRisk, name) for name in FIGURES]
    rows = db.session.execute(db.select(CountryRisk.country, *columns))
    return {
        code: scoring.country_risk(dict(zip(FIGURES, rest, strict=True))) for code, *rest in rows
    }


@dataclass(frozen=True)
class ImportResult:
    added: int
    changed: int
    unchanged: int


def import_table(table: importing.ReadTable, filename: str, *, actor: User) -> ImportResult:
    """Store every row of a table read without problems: a country already in the table gets
    the file's figures, a new one is added, those not in the file stay as they are."""
    if table.problems:
        raise ValueError("a table with problems is never stored")
    existing = {
        row.country: row
        for row in db.session.scalars(
            db.select(CountryRisk).where(
                CountryRisk.country.in_([r["country"] for r in table.rows])
            )
        )
    }
    counts = Counter()
    now = utcnow()
    for values in table.rows:
        row = existing.get(values["country"])
        if row is None:
            db.session.add(CountryRisk(**values, updated_at=now, updated_by_id=actor.id))
            counts["added"] += 1
        elif _apply(row, values, actor, now):
            counts["changed"] += 1
        else:
            counts["unchanged"] += 1
    db.session.flush()
    result = ImportResult(counts["added"], counts["changed"], counts["unchanged"])
    record(
        "country_risks.imported",
        actor=actor,
        details={"file": filename, "added": result.added, "changed": result.changed},
    )
    return result


def _apply(row: CountryRisk, values: dict, actor: User, now) -> dict:
    """Give the row the values; returns what changed (column -> [before, after])."""
    changes = {}
    for column in importing.COLUMNS:
        if column != "country" and getattr(row, column) != values[column]:
            changes[column] = [getattr(row, column), values[column]]
            setattr(row, column, values[column])
    if changes:
        row.updated_at, row.updated_by_id = now, actor.id
    return changes


def save_country(code: str, values: dict, *, expected_version: int, actor: User) -> CountryRisk:
    """Store one country's figures from a form opened on `expected_version` of its row (0: it
    had none); StaleEditError when the row has changed, or was added, since."""
    row = country_risk_of(code)
    if (row.version if row is not None else 0) != expected_version:
        raise StaleEditError
    if row is None:
        row = CountryRisk(country=code, **values, updated_at=utcnow(), updated_by_id=actor.id)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError as error:
            raise StaleEditError from error
        changes = {name: [None, value] for name, value in values.items()}
    else:
        changes = _apply(row, {"country": code, **values}, actor, utcnow())
        if not changes:
            return row
        try:
            db.session.flush()
        except StaleDataError as error:
            raise StaleEditError from error
    record("country_risk.changed", actor=actor, target=row, details={"country": code, **changes})
    return row


def table_rows() -> tuple[list[str], list[list]]:
    """The table for CSV/XLSX: headings in the current language, as the import reads them."""
    header = [importing.heading(column) for column in importing.COLUMNS]
    body = [
        [_cell(getattr(row, column)) for column in importing.COLUMNS] for row in country_risks()
    ]
    return header, body


def _cell(value):
    """A figure as a whole number when it is one (90, not 90.0)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# --- The ranking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerSource:
    """The accepted response a supplier's answers part comes from."""

    round_title: str
    share: float
    decided_at: object


@dataclass
class RankedSupplier:
    """One line of the ranking: the supplier's score and parts, what they come from, and its
    place in this year's proposal."""

    scored: scoring.Scored
    organisation: Organisation
    #: Its contracts running today.
    contracts: list[Contract]
    #: The contract period running today, which a desktop audit covers.
    period: ContractPeriod | None
    answer: AnswerSource | None
    #: The desktop audit already planned in this contract period, if any.
    audit: DesktopAudit | None
    #: "proposed", "capacity" (if capacity allows) or None.
    proposal: str | None = None

    @property
    def rank(self) -> int:
        return self.scored.rank

    @property
    def score(self) -> float:
        return self.scored.score

    @property
    def value_sek(self) -> int:
        return self.scored.facts.value_sek

    @property
    def open_findings(self) -> dict[str, int]:
        return dict(self.scored.facts.open_findings)


@dataclass
class Ranking:
    """Every contracted supplier ranked by risk, and this year's proposal."""

    day: date
    rows: list[RankedSupplier]
    lower: int
    upper: int
    #: How many suppliers the lower and the upper share make (rounded up).
    lower_count: int
    upper_count: int
    #: Desktop audits already planned for this year among the ranked suppliers.
    planned_this_year: int
    #: Countries of the suppliers' factories that the table lacks (they count as the highest).
    unknown_countries: list[str] = field(default_factory=list)

    @property
    def year(self) -> int:
        return self.day.year

    @property
    def proposed(self) -> list[RankedSupplier]:
        return [row for row in self.rows if row.proposal == "proposed"]

    @property
    def capacity(self) -> list[RankedSupplier]:
        return [row for row in self.rows if row.proposal == "capacity"]

    @property
    def plannable(self) -> list[RankedSupplier]:
        """The suppliers a desktop audit can be planned for: none yet in their period."""
        return [row for row in self.rows if row.audit is None and row.period is not None]


def ranking(
    lower: int = scoring.DEFAULT_SHARES[0],
    upper: int = scoring.DEFAULT_SHARES[1],
    day: date | None = None,
) -> Ranking:
    """Every supplier with a contract running on `day` (today) scored, ranked and proposed
    for follow-up: the first `lower` percent of them (rounded up) that have no desktop audit
    in their contract period yet, then up to `upper` percent if capacity allows; audits
    already planned this year count towards both. Seven queries, however many suppliers."""
    day = day or today()
    running = contracts.current_contracts(day)
    by_org: dict[int, list[Contract]] = {}
    for contract in running:
        by_org.setdefault(contract.organisation_id, []).append(contract)
    ids = list(by_org)
    countries = _factory_countries(ids, day)
    answers = _answer_sources(ids)
    open_findings = _open_findings(ids)
    facts = [
        scoring.Facts(
            organisation_id=org_id,
            name=held[0].organisation.name,
            countries=tuple(countries.get(org_id, ())),
            answer_share=answers[org_id].share if org_id in answers else None,
            open_findings=open_findings.get(org_id, {}),
            value_sek=sum(c.value_sek for c in held),
        )
        for org_id, held in by_org.items()
    ]
    table = risk_table()
    periods = {
        org_id: next((p for p in found if p.includes(day)), None)
        for org_id, found in (contracts.contract_periods(ids) if ids else {}).items()
    }
    audits = _audits_in_periods(ids, periods)
    rows = [
        RankedSupplier(
            scored=item,
            organisation=by_org[item.facts.organisation_id][0].organisation,
            contracts=by_org[item.facts.organisation_id],
            period=periods.get(item.facts.organisation_id),
            answer=answers.get(item.facts.organisation_id),
            audit=audits.get(item.facts.organisation_id),
        )
        for item in scoring.rank(facts, table)
    ]
    return _propose(rows, lower, upper, day, table)


def _propose(rows: list[RankedSupplier], lower: int, upper: int, day: date, table) -> Ranking:
    lower_count = scoring.share_count(len(rows), lower)
    upper_count = max(scoring.share_count(len(rows), upper), lower_count)
    planned = sum(1 for row in rows if row.audit is not None and row.audit.year == day.year)
    proposed_left = max(lower_count - planned, 0)
    capacity_left = max(upper_count - max(planned, lower_count), 0)
    for row in rows:
        if row.audit is not None or row.period is None:
            continue
        if proposed_left:
            row.proposal, proposed_left = "proposed", proposed_left - 1
        elif capacity_left:
            row.proposal, capacity_left = "capacity", capacity_left - 1
    unknown = sorted(
        {code for row in rows for code in row.scored.unknown_countries if code not in table}
    )
    return Ranking(day, rows, lower, upper, lower_count, upper_count, planned, unknown)


def _factory_countries(organisation_ids: list[int], day: date) -> dict[int, set[str]]:
    """Organisation id -> the countries of its factories in the supply chain on `day` (final
    assembly and main components alike; one query)."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        db.select(Factory.organisation_id, Factory.country)
        .distinct()
        .where(
            Factory.organisation_id.in_(organisation_ids),
            Factory.entered_on <= day,
            Factory.left_on.is_(None) | (Factory.left_on > day),
        )
    )
    found: dict[int, set[str]] = {}
    for org_id, country in rows:
        found.setdefault(org_id, set()).add(country)
    return found


def _open_findings(organisation_ids: list[int]) -> dict[int, dict[str, int]]:
    """Organisation id -> severity -> how many of its findings have a corrective action that
    is not closed (one GROUP BY)."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        db.select(Finding.organisation_id, Finding.severity, func.count())
        .join(CorrectiveAction, CorrectiveAction.finding_id == Finding.id)
        .where(
            Finding.organisation_id.in_(organisation_ids),
            CorrectiveAction.state != findings.State.CLOSED.value,
        )
        .group_by(Finding.organisation_id, Finding.severity)
    )
    found: dict[int, dict[str, int]] = {}
    for org_id, severity, count in rows:
        found.setdefault(org_id, {})[severity] = count
    return found


def _answer_sources(organisation_ids: list[int]) -> dict[int, AnswerSource]:
    """Organisation id -> its latest accepted response that has a score to share (one query)."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        db.select(Response.organisation_id, Review.scores, Review.decided_at, Round.title)
        .join(Review, Review.response_id == Response.id)
        .join(Round, Round.id == Response.round_id)
        .where(Review.status == "accepted", Response.organisation_id.in_(organisation_ids))
        .order_by(Review.decided_at.desc(), Review.id.desc())
    )
    found: dict[int, AnswerSource] = {}
    for org_id, scores, decided_at, title in rows:
        if org_id in found or not scores:
            continue
        weight_sum = scores.get("weight_sum") or 0
        if weight_sum > 0:
            found[org_id] = AnswerSource(title, scores.get("total", 0) / weight_sum, decided_at)
    return found


def _audits_in_periods(
    organisation_ids: list[int], periods: dict[int, ContractPeriod | None]
) -> dict[int, DesktopAudit]:
    """Organisation id -> the desktop audit planned within its running contract period."""
    if not organisation_ids:
        return {}
    found = {}
    for audit in db.session.scalars(
        db.select(DesktopAudit).where(DesktopAudit.organisation_id.in_(organisation_ids))
    ):
        period = periods.get(audit.organisation_id)
        if (
            period is not None
            and audit.period_starts_on <= period.ends_on
            and audit.period_ends_on >= period.starts_on
        ):
            found[audit.organisation_id] = audit
    return found


# --- The year's desktop audits ------------------------------------------------------------------


def plan_audits(chosen: Iterable[int], shown: Ranking, *, actor: User) -> list[DesktopAudit]:
    """Plan a desktop audit for this year for each chosen supplier that has none in its
    contract period yet; one per supplier per period, whoever else plans at the same time."""
    by_id = {row.organisation.id: row for row in shown.plannable}
    planned = []
    for org_id in dict.fromkeys(chosen):
        row = by_id.get(org_id)
        if row is None:
            continue
        audit = DesktopAudit(
            organisation_id=org_id,
            year=shown.year,
            period_starts_on=row.period.starts_on,
            period_ends_on=row.period.ends_on,
            contract_ids=list(row.period.contract_ids),
            score=round(row.score, 2),
            rank=row.rank,
            planned_by_id=actor.id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(audit)
        except IntegrityError:
            continue  # planned by someone else a moment ago
        record(
            "selection.audit_planned",
            actor=actor,
            organisation_id=org_id,
            target=audit,
            details={"year": audit.year, "score": audit.score, "rank": audit.rank},
        )
        planned.append(audit)
    return planned


@dataclass(frozen=True)
class PlannedAudit:
    audit: DesktopAudit
    organisation: Organisation
    contracts: list[Contract]


def audits_of_year(year: int) -> list[PlannedAudit]:
    """The desktop audits planned for `year`, by rank, with the contracts each covers (two
    queries)."""
    rows = db.session.execute(
        db.select(DesktopAudit, Organisation)
        .join(Organisation, Organisation.id == DesktopAudit.organisation_id)
        .where(DesktopAudit.year == year)
        .order_by(DesktopAudit.rank, DesktopAudit.id)
    ).all()
    ids = {cid for audit, _ in rows for cid in audit.contract_ids}
    held = {
        c.id: c
        for c in (
            db.session.scalars(db.select(Contract).where(Contract.id.in_(ids))) if ids else ()
        )
    }
    return [
        PlannedAudit(audit, org, [held[i] for i in audit.contract_ids if i in held])
        for audit, org in rows
    ]


def cancel_audit(audit_id: int, *, actor: User) -> DesktopAudit | None:
    """Remove a planned desktop audit (the supplier can be chosen again); None if none."""
    audit = db.session.get(DesktopAudit, audit_id)
    if audit is None:
        return None
    record(
        "selection.audit_cancelled",
        actor=actor,
        organisation_id=audit.organisation_id,
        details={"year": audit.year},
    )
    db.session.delete(audit)
    db.session.flush()
    return audit


# --- Exports ------------------------------------------------------------------------------------


def ranking_rows(shown: Ranking, labels: dict) -> tuple[list[str], list[list]]:
    """The ranking for CSV/XLSX: one row per supplier with its score, parts and proposal.
    `labels` names the columns and proposals in the current language."""
    header = labels["header"]
    body = []
    for row in shown.rows:
        scored = row.scored
        riskiest = scored.riskiest_country
        body.append(
            [
                row.rank,
                row.organisation.name,
                _cell(round(row.score, 1)),
                *(_cell(round(scored.parts[name], 1)) for name in scoring.PARTS),
                riskiest.country if riskiest else "",
                ", ".join(c.country for c in scored.countries),
                ", ".join(scored.unknown_countries),
                _cell(round(row.answer.share * 100, 1)) if row.answer else None,
                sum(row.open_findings.values()),
                row.value_sek,
                ", ".join(c.reference for c in row.contracts),
                row.period.starts_on if row.period else None,
                row.period.ends_on if row.period else None,
                labels["proposal"].get(row.proposal or ("planned" if row.audit else ""), ""),
            ]
        )
    return header, body

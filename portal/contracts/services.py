"""Contracts with social clauses: who holds which, what they are worth, when they run, and
the report each supplier owes on each contract, requested through a follow-up round."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, update
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.audit.services import record
from portal.auth.services import User
from portal.extensions import db
from portal.orgs.services import Organisation, OrgKind, StaleEditError
from portal.paging import Page, page_of
from portal.questionnaires import services as questionnaires
from portal.questionnaires.services import (
    STAFF_VISIBLE,
    QuestionnaireVersion,
    Response,
    RoundExtension,
    RoundKind,
)
from portal.timeutil import utcnow

# isort: split
# What other features may name besides the functions below.
from portal.contracts.labels import CATEGORY_LABELS, REPORT_STATE_LABELS  # noqa: F401
from portal.contracts.models import CATEGORIES, Contract, add_months  # noqa: F401

#: The questionnaire a contract's report answers unless the admin chooses another.
REPORT_KEY = "ict-social-report"
#: Contracts on a page of the list.
PER_PAGE = 50
#: The most brands one contract may list, and the longest brand name.
MAX_BRANDS = 50
MAX_BRAND_LENGTH = 200


class ContractError(Exception):
    """A refusal with a message that can be shown to the user as it is; `field` names the
    form field it concerns, when one does."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


def today() -> date:
    """Today on the portal's calendar (Swedish time), on which every deadline is a day."""
    return utcnow().astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def contracts_of(organisation_id: int) -> list[Contract]:
    """The organisation's contracts, the latest start first, with their report rounds (two
    queries)."""
    return list(
        db.session.scalars(
            db.select(Contract)
            .options(selectinload(Contract.report_round))
            .where(Contract.organisation_id == organisation_id)
            .order_by(Contract.starts_on.desc(), Contract.id.desc())
        )
    )


def _running_on(day: date):
    return (Contract.starts_on <= day) & (Contract.ends_on >= day)


def current_contracts(day: date | None = None) -> list[Contract]:
    """The contracts running on `day` (today), start and end days included, each with its
    organisation loaded, by supplier name then start (one query)."""
    day = day or today()
    return list(
        db.session.scalars(
            db.select(Contract)
            .join(Contract.organisation)
            .options(contains_eager(Contract.organisation))
            .where(_running_on(day))
            .order_by(func.lower(Organisation.name), Contract.starts_on, Contract.id)
        )
    )


def contract_value_by_organisation(
    day: date | None = None, *, current_only: bool = True
) -> dict[int, int]:
    """Organisation id -> the total value in SEK of its contracts running on `day` (today),
    or of all its contracts with `current_only=False`; organisations without any are left
    out (one GROUP BY)."""
    query = db.select(Contract.organisation_id, func.sum(Contract.value_sek)).group_by(
        Contract.organisation_id
    )
    if current_only:
        query = query.where(_running_on(day or today()))
    return {org_id: int(total) for org_id, total in db.session.execute(query)}


@dataclass
class ContractPeriod:
    """A stretch of days in which a supplier holds at least one contract without a gap:
    overlapping (or back-to-back) contracts make one period."""

    organisation_id: int
    starts_on: date
    ends_on: date
    contract_ids: list[int] = field(default_factory=list)

    def includes(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def contract_periods(organisation_ids: list[int] | None = None) -> dict[int, list[ContractPeriod]]:
    """Organisation id -> its contract periods, earliest first: contracts whose days overlap
    or follow on from each other are merged into one period, so that a supplier with several
    contracts at once has one period for them (one query). Only the given organisations
    (every one with a contract when None)."""
    query = db.select(
        Contract.id, Contract.organisation_id, Contract.starts_on, Contract.ends_on
    ).order_by(Contract.organisation_id, Contract.starts_on, Contract.id)
    if organisation_ids is not None:
        query = query.where(Contract.organisation_id.in_(organisation_ids))
    periods: dict[int, list[ContractPeriod]] = {}
    for contract_id, org_id, starts_on, ends_on in db.session.execute(query):
        rows = periods.setdefault(org_id, [])
        last = rows[-1] if rows else None
        if last is not None and starts_on.toordinal() <= last.ends_on.toordinal() + 1:
            last.ends_on = max(last.ends_on, ends_on)
            last.contract_ids.append(contract_id)
        else:
            rows.append(ContractPeriod(org_id, starts_on, ends_on, [contract_id]))
    return periods


# The list and one contract -------------------------------------------------------------------
def contracts_page(page: int, per_page: int | None = None) -> Page:
    """One page of every contract, by supplier name, then the latest start first; each with
    its organisation and report round (three queries whatever the page's length)."""
    statement = (
        db.select(Contract)
        .join(Contract.organisation)
        .options(contains_eager(Contract.organisation), selectinload(Contract.report_round))
        .order_by(func.lower(Organisation.name), Contract.starts_on.desc(), Contract.id)
    )
    return page_of(statement, page, per_page or PER_PAGE)


def contract_for(user: User, contract_id: int) -> Contract | None:
    """The contract if the user may see it: any contract for buyer staff, only its own
    organisation's for a supplier. None otherwise, so that ids reveal nothing."""
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        return None
    if user.is_buyer_staff or contract.organisation_id == user.organisation_id:
        return contract
    return None


def report_versions() -> list[QuestionnaireVersion]:
    """The published versions a report can answer: the report questionnaire's versions first
    (the newest first), then every other published version."""
    versions = questionnaires.published_versions()
    return sorted(versions, key=lambda v: (v.key != REPORT_KEY, v.key, -v.number))


def default_report_version() -> QuestionnaireVersion | None:
    """The newest published version of the report questionnaire, if any."""
    return next((v for v in report_versions() if v.key == REPORT_KEY), None)


def reference_taken(reference: str, *, exclude_id: int | None = None) -> bool:
    query = db.select(Contract.id).where(func.lower(Contract.reference) == reference.lower())
    if exclude_id is not None:
        query = query.where(Contract.id != exclude_id)
    return db.session.scalar(query) is not None


def clean_brands(text: str) -> list[str]:
    """Brand names from text with one per line (or separated by commas), each once, as
    first written."""
    seen, brands = set(), []
    for part in text.replace(",", "\n").splitlines():
        name = " ".join(part.split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            brands.append(name)
    return brands


#: What a contract form sets, in the order the audit log lists changes.
EDITABLE = (
    "organisation_id",
    "reference",
    "title",
    "category",
    "value_sek",
    "starts_on",
    "ends_on",
    "brands",
    "report_version_id",
    "report_months",
)
#: What cannot change once the report has been requested: the round is for this supplier
#: and this questionnaire version.
FIXED_ONCE_REQUESTED = ("organisation_id", "report_version_id")


def _check(values: dict, contract: Contract | None) -> None:
    organisation = db.session.get(Organisation, values["organisation_id"])
    if organisation is None or organisation.kind == OrgKind.BUYER:
        raise ContractError(_l("Choose a supplier organisation from the list."), "organisation_id")
    if db.session.get(QuestionnaireVersion, values["report_version_id"]) is None:
        raise ContractError(_l("Choose a published questionnaire version."), "report_version_id")
    if reference_taken(values["reference"], exclude_id=contract.id if contract else None):
        raise ContractError(_l("Another contract has this reference."), "reference")
    requested = contract is not None and contract.report_round_id is not None
    if requested and any(values[n] != getattr(contract, n) for n in FIXED_ONCE_REQUESTED):
        raise ContractError(
            _l(
                "The report has been requested: the supplier and the report questionnaire "
                "can no longer change."
            )
        )


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def create_contract(values: dict, *, actor: User) -> Contract:
    """Add a contract with the form's values (every name of EDITABLE); ContractError when
    the supplier, the questionnaire version or the reference will not do."""
    values = {name: values[name] for name in EDITABLE}
    _check(values, None)
    contract = Contract(**values)
    db.session.add(contract)
    db.session.flush()
    record(
        "contract.created",
        actor=actor,
        organisation_id=contract.organisation_id,
        target=contract,
        details={"reference": contract.reference, "title": contract.title},
    )
    return contract


def update_contract(
    contract: Contract, values: dict, *, expected_version: int, actor: User
) -> None:
    """Apply an edit made on a form opened at `expected_version`: StaleEditError if someone
    saved the contract since, ContractError when a value will not do."""
    if contract.version != expected_version:
        raise StaleEditError
    values = {name: values[name] for name in EDITABLE}
    _check(values, contract)
    changes = {
        name: [_plain(getattr(contract, name)), _plain(value)]
        for name, value in values.items()
        if getattr(contract, name) != value
    }
    if not changes:
        return
    for name, (_old, _new) in changes.items():
        setattr(contract, name, values[name])
    contract.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleEditError from error
    record(
        "contract.changed",
        actor=actor,
        organisation_id=contract.organisation_id,
        target=contract,
        details={"reference": contract.reference, "changes": changes},
    )


def discard_changes(contract: Contract) -> None:
    """Forget this request's changes and read the contract as it is saved now (after a
    StaleEditError, to show what someone else saved)."""
    db.session.rollback()
    db.session.refresh(contract)


# The report ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportState:
    """Where a contract's report stands on a day."""

    #: "not_due", "requested", "submitted" or "overdue" (see REPORT_STATE_LABELS).
    state: str
    due_on: date
    #: The supplier's response in the report round, once requested.
    response: Response | None = None
    #: When the supplier's time to answer ends (the round's closing, or its extension).
    closes_at: datetime | None = None

    @property
    def label(self) -> str:
        return str(REPORT_STATE_LABELS[self.state])


def report_states(contracts: list[Contract], day: date | None = None) -> dict[int, ReportState]:
    """Contract id -> its report's state on `day` (today): two queries for any number of
    contracts (their responses in the report rounds, and extensions of those rounds).

    Not requested: overdue after the due date, else not due. Requested: submitted once the
    supplier has submitted (also while it is back for clarification), overdue once its
    closing time has passed, else requested."""
    day = day or today()
    now = utcnow()
    pairs = {(c.report_round_id, c.organisation_id) for c in contracts if c.report_round_id}
    responses, extended = {}, {}
    if pairs:
        round_ids = {round_id for round_id, _org in pairs}
        for response in db.session.scalars(
            db.select(Response).where(Response.round_id.in_(round_ids))
        ):
            responses[(response.round_id, response.organisation_id)] = response
        extended = {
            (round_id, org_id): closes_at
            for round_id, org_id, closes_at in db.session.execute(
                db.select(
                    RoundExtension.round_id,
                    RoundExtension.organisation_id,
                    RoundExtension.closes_at,
                ).where(RoundExtension.round_id.in_(round_ids))
            )
        }
    states = {}
    for contract in contracts:
        due_on = contract.report_due_on
        if contract.report_round_id is None:
            states[contract.id] = ReportState("overdue" if day > due_on else "not_due", due_on)
            continue
        key = (contract.report_round_id, contract.organisation_id)
        response = responses.get(key)
        closes_at = extended.get(key) or contract.report_round.closes_at
        if response is not None and response.status in STAFF_VISIBLE:
            state = "submitted"
        else:
            state = "overdue" if now >= closes_at else "requested"
        states[contract.id] = ReportState(state, due_on, response, closes_at)
    return states


def report_state(contract: Contract, day: date | None = None) -> ReportState:
    return report_states([contract], day)[contract.id]


def report_closing_day(contract: Contract, day: date | None = None) -> date:
    """The day a report requested on `day` (today) closes by default: its due date, or when
    that has passed, CONTRACT_REPORT_NOTICE_DAYS from then."""
    day = day or today()
    due_on = contract.report_due_on
    if due_on >= day:
        return due_on
    return day + timedelta(days=current_app.config["CONTRACT_REPORT_NOTICE_DAYS"])


def request_report(contract: Contract, *, actor: User | None, closes_on: date | None = None):
    """Open a follow-up round on the contract's report version for its supplier, closing at
    the end of `closes_on` (by default `report_closing_day`), and tie it to the contract.

    Refused with a ContractError when the report has been requested already (also by another
    request at the same moment: the contract row is claimed, so only one round is opened) or
    the closing day has passed. Reminders follow from `flask rounds remind`."""
    day = today()
    closes_on = closes_on or report_closing_day(contract, day)
    if closes_on < day:
        raise ContractError(_l("The closing date has passed. Choose a later date."))
    if contract.report_round_id is not None:
        raise ContractError(_l("The report on this contract has been requested already."))
    with db.session.begin_nested() as savepoint:
        round_ = questionnaires.open_round(
            title=f"{contract.title} ({contract.reference})"[:200],
            kind=RoundKind.FOLLOW_UP.value,
            version=contract.report_version,
            closes_at=questionnaires.end_of_day(closes_on),
            organisation_ids=[contract.organisation_id],
            actor=actor,
        )
        claimed = db.session.execute(
            update(Contract)
            .where(Contract.id == contract.id, Contract.report_round_id.is_(None))
            .values(report_round_id=round_.id, version=Contract.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            savepoint.rollback()
    db.session.expire(contract)
    if not claimed:
        raise ContractError(_l("The report on this contract has been requested already."))
    record(
        "contract.report_requested",
        actor=actor,
        organisation_id=contract.organisation_id,
        target=contract,
        details={"reference": contract.reference, "closes_on": closes_on.isoformat()},
    )
    return round_


def reports_to_request(day: date | None = None) -> list[Contract]:
    """The contracts whose report falls due within CONTRACT_REPORT_NOTICE_DAYS of `day`
    (today), or has fallen due, and has not been requested; contracts that ended before
    `day` are left out. Their due dates vary with their report months, so the due date is
    checked here rather than in the query."""
    day = day or today()
    notice = current_app.config["CONTRACT_REPORT_NOTICE_DAYS"]
    candidates = db.session.scalars(
        db.select(Contract)
        .where(Contract.report_round_id.is_(None), Contract.ends_on >= day)
        .order_by(Contract.starts_on, Contract.id)
    )
    return [c for c in candidates if c.report_due_on <= day + timedelta(days=notice)]


def request_due_reports(day: date | None = None) -> list[Contract]:
    """Request every report `reports_to_request` finds, each committed on its own; returns
    the contracts requested. A contract another run requested first is skipped, so running
    this twice (or at the same time) requests each report once."""
    requested = []
    for contract in reports_to_request(day):
        try:
            request_report(contract, actor=None)
        except ContractError:
            db.session.rollback()
            continue
        db.session.commit()
        requested.append(contract)
    return requested

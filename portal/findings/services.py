"""Findings and their corrective actions: recording them, the supplier's plan and proof, the
reviewer's decisions and extensions, who may see what, and the lists with their clocks.

Every change to an action is made on the version of it that the person's page showed: a
decision, submission or extension made on an older page is refused (StaleAction) instead of
overwriting what happened in between, and the page says so and keeps what they wrote.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import and_, case, func
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.audit.services import record
from portal.auth.services import User
from portal.contracts.services import Contract, contracts_of
from portal.evidence import services as evidence_services
from portal.extensions import db
from portal.factories.services import FactoryChoices, factory_choices
from portal.findings import deadlines
from portal.findings.deadlines import (
    PLAN_STATES,
    REVIEWER_TURN,
    SUPPLIER_TURN,
    NotAllowed,
    Stage,
    State,
    Transition,
)
from portal.findings.models import (
    SEVERITIES,
    ActionStep,
    CorrectiveAction,
    Finding,
    FindingDocument,
)
from portal.orgs.services import Organisation
from portal.paging import Page, page_of
from portal.timeutil import utcnow

# isort: split
# What other features may name besides the functions below.
from portal.findings.labels import (  # noqa: F401
    CLAUSE_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    STAGE_LABELS,
    STATE_LABELS,
)
from portal.findings.models import ActionReminder  # noqa: F401

#: A file the evidence checks refuse; the message says why.
UploadRefused = evidence_services.UploadRefused

#: Findings on one page of the reviewers' list.
PAGE_SIZE = 50


class StaleAction(Exception):  # noqa: N818 - a refusal, explained to the user
    """Someone changed the corrective action after the page was opened; nothing was saved."""


# Who sees what ------------------------------------------------------------------------------
def finding_for(user: User, finding_id: int) -> Finding | None:
    """The finding if `user` may see it: buyer staff every one, a supplier's people their own
    organisation's only."""
    query = db.select(Finding).where(Finding.id == finding_id)
    if not user.is_buyer_staff:
        query = query.where(Finding.organisation_id == user.organisation_id)
    return db.session.scalar(query)


def finding_or_404(user: User, finding_id: int) -> Finding:
    """The finding if `user` may see it; 404 otherwise, so that ids reveal nothing."""
    finding = finding_for(user, finding_id)
    if finding is None:
        abort(404)
    return finding


def document_or_404(user: User, finding_id: int, document_id: int) -> tuple[Finding, object]:
    """A document kept with a finding `user` may see: the finding's evidence and every plan's
    and proof's documents alike (the supplier reads what the finding is based on)."""
    finding = finding_or_404(user, finding_id)
    link = db.session.get(FindingDocument, document_id)
    if link is None or link.finding_id != finding.id:
        abort(404)
    return finding, link.document


def supplier_or_404(organisation_id: int | None) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation is None or not organisation.is_supplier:
        abort(404)
    return organisation


def choices_for(
    organisation_id: int, chosen: list[int] = (), search: str = ""
) -> tuple[list[Contract], FactoryChoices]:
    """The contracts and the factories in the register today that a finding at this supplier
    may concern: all of a short register; of a long one, the `chosen` factory and those
    `search` finds (see factory_choices)."""
    return contracts_of(organisation_id), factory_choices(organisation_id, list(chosen), search)


# The clock ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Clock:
    """Where an action stands today: the deadline that runs, and whether the supplier is late."""

    state: str
    stage: str | None
    due_on: date | None
    overdue: bool
    #: Days until the deadline (0 on the day, negative once passed); None when closed.
    days_left: int | None
    supplier_turn: bool
    reviewer_turn: bool


def today() -> date:
    """Today on the Swedish calendar, the one every deadline is a day of."""
    return deadlines.today()


def clock(action: CorrectiveAction, on: date | None = None) -> Clock:
    """Where `action` stands on the day `on` (today)."""
    on = on or deadlines.today()
    due = deadlines.due_on(action.state, action.plan_due_on, action.correction_due_on)
    return Clock(
        state=action.state,
        stage=deadlines.stage_of(action.state),
        due_on=due,
        overdue=deadlines.is_overdue(
            action.state, action.plan_due_on, action.correction_due_on, on
        ),
        days_left=deadlines.days_left(due, on) if due else None,
        supplier_turn=action.state in SUPPLIER_TURN,
        reviewer_turn=action.state in REVIEWER_TURN,
    )


def _due_column():
    return case(
        (CorrectiveAction.state.in_(sorted(PLAN_STATES)), CorrectiveAction.plan_due_on),
        else_=CorrectiveAction.correction_due_on,
    )


def _overdue(on: date):
    """The SQL of deadlines.is_overdue."""
    return and_(CorrectiveAction.state.in_(sorted(SUPPLIER_TURN)), _due_column() < on)


# Recording a finding ------------------------------------------------------------------------
def record_finding(
    organisation: Organisation,
    values: dict,
    files: list,
    *,
    user: User,
    on: date | None = None,
) -> Finding:
    """Record a finding at `organisation` and open its corrective action: the plan and the
    correction fall due the configured months after `on` (today), the day the supplier is
    told. `values` are the Finding's columns; a contract or factory must be the supplier's."""
    factory_id = values.get("factory_id")
    contracts, choices = choices_for(organisation.id, [factory_id] if factory_id else [])
    if values.get("contract_id") not in {None, *(c.id for c in contracts)}:
        raise NotAllowed("the contract is not the supplier's")
    if factory_id not in {None, *(f.id for f in choices.factories)}:
        raise NotAllowed("the factory is not in the supplier's register")
    on = on or deadlines.today()
    plan_due_on, correction_due_on = deadlines.due_dates(on, *deadlines.configured_months())
    finding = Finding(organisation_id=organisation.id, recorded_by_id=user.id, **values)
    finding.action = CorrectiveAction(
        state=State.PLAN_DUE.value,
        opened_on=on,
        plan_due_on=plan_due_on,
        correction_due_on=correction_due_on,
    )
    db.session.add(finding)
    db.session.flush()
    _attach(finding, files, user=user)
    record(
        "finding.recorded",
        actor=user,
        organisation_id=organisation.id,
        target=finding,
        details={
            "title": finding.title,
            "severity": finding.severity,
            "clause": finding.clause,
            "source": finding.source,
            "plan_due_on": plan_due_on.isoformat(),
            "correction_due_on": correction_due_on.isoformat(),
            "documents": len(files),
        },
    )
    return finding


def _attach(finding: Finding, files: list, *, user: User, step: ActionStep | None = None) -> None:
    """Store the files through the evidence feature (its checks, its storage) as documents of
    the uploader's organisation, and keep them with the finding (and the step they came with).
    UploadRefused when one is refused: the caller rolls back."""
    independent = step is None and finding.source == "independent_monitoring"
    kind = "independent_monitoring_report" if independent else "other"
    for file in files:
        document = evidence_services.upload(
            user.organisation_id, file, {"kind": kind}, user=user, elsewhere=True
        )
        db.session.add(
            FindingDocument(
                document_id=document.id,
                finding_id=finding.id,
                step_id=step.id if step is not None else None,
            )
        )
    db.session.flush()


# Changing an action -------------------------------------------------------------------------
def _expect(action: CorrectiveAction, expected_version: int) -> None:
    if action.version != expected_version:
        raise StaleAction


def _save(action: CorrectiveAction, step: ActionStep) -> None:
    """Add the step and write the action, refusing if it changed underneath (another request
    saved it between this one's reading and writing)."""
    action.updated_at = utcnow()
    action.steps.append(step)
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleAction from error


def submit(
    action: CorrectiveAction, text: str, files: list, *, user: User, expected_version: int
) -> ActionStep:
    """The supplier sends its plan, or proof of the correction, with documents. NotAllowed
    when it is not the supplier's turn; StaleAction when the page was out of date."""
    _expect(action, expected_version)
    stage = deadlines.stage_of(action.state)
    action.state = deadlines.next_state(action.state, Transition.SUBMIT).value
    step = ActionStep(kind="submitted", stage=stage.value, text=text, by_id=user.id)
    _save(action, step)
    _attach(action.finding, files, user=user, step=step)
    record(
        "finding.submitted",
        actor=user,
        organisation_id=action.finding.organisation_id,
        target=action.finding,
        details={"title": action.finding.title, "stage": stage.value, "documents": len(files)},
    )
    return step


def decide(
    action: CorrectiveAction,
    *,
    accept: bool,
    reason: str,
    user: User,
    expected_version: int,
) -> ActionStep:
    """A reviewer accepts the submitted plan or proof (accepting the proof closes the finding)
    or returns it with a reason. NotAllowed when nothing awaits a decision, or a return has
    no reason; StaleAction when the page was out of date."""
    _expect(action, expected_version)
    if not accept and not reason:
        raise NotAllowed("a return needs a reason")
    stage = deadlines.stage_of(action.state)
    transition = Transition.ACCEPT if accept else Transition.RETURN
    action.state = deadlines.next_state(action.state, transition).value
    if action.state == State.CLOSED:
        action.closed_at = utcnow()
    step = ActionStep(
        kind="accepted" if accept else "returned",
        stage=stage.value,
        text=reason or None,
        by_id=user.id,
    )
    _save(action, step)
    record(
        "finding.decided",
        actor=user,
        organisation_id=action.finding.organisation_id,
        target=action.finding,
        details={
            "title": action.finding.title,
            "stage": stage.value,
            "accepted": accept,
            "reason": reason or None,
        },
    )
    return step


def extendable(action: CorrectiveAction) -> list[Stage]:
    """The deadlines a reviewer may move now."""
    return [stage for stage in Stage if deadlines.may_extend(action.state, stage)]


def extend(
    action: CorrectiveAction,
    stage: str,
    due_on: date,
    reason: str,
    *,
    user: User,
    expected_version: int,
) -> ActionStep:
    """A reviewer moves the deadline of `stage` to the later day `due_on`, with a reason; the
    old and new days stay in the history. NotAllowed when that deadline cannot move now or
    the day is not later; StaleAction when the page was out of date."""
    _expect(action, expected_version)
    stage = Stage(stage)
    if not deadlines.may_extend(action.state, stage) or not reason:
        raise NotAllowed(f"the deadline of {stage} cannot be extended now")
    column = "plan_due_on" if stage == Stage.PLAN else "correction_due_on"
    old = getattr(action, column)
    if due_on <= old:
        raise NotAllowed("an extension moves the deadline later")
    setattr(action, column, due_on)
    step = ActionStep(
        kind="extended",
        stage=stage.value,
        text=reason,
        old_due_on=old,
        new_due_on=due_on,
        by_id=user.id,
    )
    _save(action, step)
    record(
        "finding.extended",
        actor=user,
        organisation_id=action.finding.organisation_id,
        target=action.finding,
        details={
            "title": action.finding.title,
            "stage": stage.value,
            "from": old.isoformat(),
            "to": due_on.isoformat(),
            "reason": reason,
        },
    )
    return step


# Reading ------------------------------------------------------------------------------------
def history(action: CorrectiveAction) -> list[ActionStep]:
    """The action's steps, oldest first, with the people who took them (two queries)."""
    return list(
        db.session.scalars(
            db.select(ActionStep)
            .where(ActionStep.action_id == action.id)
            .options(selectinload(ActionStep.by))
            .order_by(ActionStep.id)
        )
    )


def documents_of(finding: Finding) -> dict[int | None, list]:
    """The finding's documents by the step they came with (None: the finding's evidence),
    in the order they were uploaded (one query)."""
    grouped: dict[int | None, list] = defaultdict(list)
    for link in db.session.scalars(
        db.select(FindingDocument)
        .where(FindingDocument.finding_id == finding.id)
        .order_by(FindingDocument.document_id)
    ):
        grouped[link.step_id].append(link.document)
    return grouped


def _listed():
    return (
        db.select(Finding)
        .join(Finding.action)
        .options(contains_eager(Finding.action))
        .order_by(
            case((CorrectiveAction.state == State.CLOSED.value, 1), else_=0),
            _due_column(),
            Finding.id,
        )
    )


def findings_page(
    *,
    organisation_id: int | None = None,
    state: str | None = None,
    severity: str | None = None,
    overdue: bool = False,
    page: int = 1,
) -> Page:
    """One page of every supplier's findings for the reviewers, open ones first and the
    soonest deadline first; narrowed to a supplier, a state ("open" and "waiting" for a
    decision too), a severity and the overdue, when given (two queries)."""
    query = _listed()
    if organisation_id:
        query = query.where(Finding.organisation_id == organisation_id)
    if state == "open":
        query = query.where(CorrectiveAction.state != State.CLOSED.value)
    elif state == "waiting":
        query = query.where(CorrectiveAction.state.in_(sorted(REVIEWER_TURN)))
    elif state in set(State):
        query = query.where(CorrectiveAction.state == state)
    if severity in SEVERITIES:
        query = query.where(Finding.severity == severity)
    if overdue:
        query = query.where(_overdue(deadlines.today()))
    return page_of(query, page, PAGE_SIZE)


def findings_of(organisation_id: int) -> list[Finding]:
    """The organisation's findings, open ones first and the soonest deadline first."""
    return list(db.session.scalars(_listed().where(Finding.organisation_id == organisation_id)))


@dataclass(frozen=True)
class Summary:
    """How many findings are open, wait for the supplier, wait for a reviewer, are late."""

    open: int
    supplier_turn: int
    reviewer_turn: int
    overdue: int


def summary(organisation_id: int | None = None) -> Summary:
    """The counts for one organisation, or for every supplier (one query)."""

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = db.select(
        count(CorrectiveAction.state != State.CLOSED.value),
        count(CorrectiveAction.state.in_(sorted(SUPPLIER_TURN))),
        count(CorrectiveAction.state.in_(sorted(REVIEWER_TURN))),
        count(_overdue(deadlines.today())),
    ).join(Finding, Finding.id == CorrectiveAction.finding_id)
    if organisation_id is not None:
        query = query.where(Finding.organisation_id == organisation_id)
    return Summary(*(int(n) for n in db.session.execute(query).one()))

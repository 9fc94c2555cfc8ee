"""The corrective action's clock and its states, as plain functions of dates and names.

A finding opens a corrective action. The supplier owes a plan within CAP_PLAN_MONTHS calendar
months (one by default) and the correction, with its proof, within CAP_CORRECTION_MONTHS (six
by default), both counted from the day the finding was recorded, which is when the supplier
is told. A month is a calendar month: recorded on 31 January, the plan is due on the last day
of February. Every deadline is a day on the Swedish calendar (Europe/Stockholm): the day
itself is still in time, the day after it is overdue.

    plan_due ──submit──> plan_submitted ──accept──> plan_accepted ──submit──> proof_submitted
       ^                     │                          ^                         │
       │                   return                       │                       return
    (first)                  v                          │                         v
                        plan_returned ──submit──>    (first)              proof_returned
                        (back to plan_submitted)                      (back to proof_submitted)

    proof_submitted ──accept──> closed

A reviewer may extend the plan's deadline while the plan is open, and the correction's
deadline until the action is closed, each time with a reason.
"""

from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask import current_app

from portal.contracts.services import add_months
from portal.timeutil import utcnow

#: Used when the configuration does not say (see portal/config.py).
DEFAULT_PLAN_MONTHS = 1
DEFAULT_CORRECTION_MONTHS = 6


class State(StrEnum):
    PLAN_DUE = "plan_due"
    PLAN_SUBMITTED = "plan_submitted"
    PLAN_RETURNED = "plan_returned"
    PLAN_ACCEPTED = "plan_accepted"
    PROOF_SUBMITTED = "proof_submitted"
    PROOF_RETURNED = "proof_returned"
    CLOSED = "closed"


class Stage(StrEnum):
    """What the supplier owes: the plan, then the correction (proved by the proof)."""

    PLAN = "plan"
    CORRECTION = "correction"


class Transition(StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    RETURN = "return"


class NotAllowed(Exception):  # noqa: N818 - a refusal: the state does not allow the step
    """The step is not possible in the action's present state."""


PLAN_STATES = frozenset({State.PLAN_DUE, State.PLAN_SUBMITTED, State.PLAN_RETURNED})
CORRECTION_STATES = frozenset({State.PLAN_ACCEPTED, State.PROOF_SUBMITTED, State.PROOF_RETURNED})
#: The supplier's turn: a plan or a proof to send.
SUPPLIER_TURN = frozenset(
    {State.PLAN_DUE, State.PLAN_RETURNED, State.PLAN_ACCEPTED, State.PROOF_RETURNED}
)
#: The reviewer's turn: a plan or a proof to accept or return.
REVIEWER_TURN = frozenset({State.PLAN_SUBMITTED, State.PROOF_SUBMITTED})

_NEXT = {
    (State.PLAN_DUE, Transition.SUBMIT): State.PLAN_SUBMITTED,
    (State.PLAN_RETURNED, Transition.SUBMIT): State.PLAN_SUBMITTED,
    (State.PLAN_SUBMITTED, Transition.ACCEPT): State.PLAN_ACCEPTED,
    (State.PLAN_SUBMITTED, Transition.RETURN): State.PLAN_RETURNED,
    (State.PLAN_ACCEPTED, Transition.SUBMIT): State.PROOF_SUBMITTED,
    (State.PROOF_RETURNED, Transition.SUBMIT): State.PROOF_SUBMITTED,
    (State.PROOF_SUBMITTED, Transition.ACCEPT): State.CLOSED,
    (State.PROOF_SUBMITTED, Transition.RETURN): State.PROOF_RETURNED,
}


def next_state(state: str, transition: str) -> State:
    """The state after `transition`; NotAllowed when the state does not allow it."""
    try:
        return _NEXT[(State(state), Transition(transition))]
    except (KeyError, ValueError):
        raise NotAllowed(f"{transition} is not possible in {state}") from None


def stage_of(state: str) -> Stage | None:
    """The stage the action is in; None once it is closed."""
    if state in PLAN_STATES:
        return Stage.PLAN
    if state in CORRECTION_STATES:
        return Stage.CORRECTION
    return None


def may_extend(state: str, stage: str) -> bool:
    """Whether a reviewer may move the deadline of `stage` now: the plan's while the plan is
    open, the correction's until the action is closed (a supplier may ask early)."""
    if stage == Stage.PLAN:
        return state in PLAN_STATES
    return stage == Stage.CORRECTION and state != State.CLOSED


def due_dates(opened_on: date, plan_months: int, correction_months: int) -> tuple[date, date]:
    """(plan due, correction due) for an action opened on `opened_on`."""
    return add_months(opened_on, plan_months), add_months(opened_on, correction_months)


def due_on(state: str, plan_due_on: date, correction_due_on: date) -> date | None:
    """The deadline that runs in `state`: the plan's or the correction's; None when closed."""
    stage = stage_of(state)
    if stage is None:
        return None
    return plan_due_on if stage == Stage.PLAN else correction_due_on


def is_overdue(state: str, plan_due_on: date, correction_due_on: date, today: date) -> bool:
    """Whether the supplier is late: it is the supplier's turn and the day of the stage's
    deadline has passed. A plan or proof waiting for the reviewer is not the supplier's delay."""
    if state not in SUPPLIER_TURN:
        return False
    return today > due_on(state, plan_due_on, correction_due_on)


def days_left(due: date, today: date) -> int:
    """Days until `due` (0 on the day itself, negative once it has passed)."""
    return (due - today).days


def today() -> date:
    """Today on the Swedish calendar, the one every deadline is a day of."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return utcnow().astimezone(zone).date()


def configured_months() -> tuple[int, int]:
    """(plan months, correction months) from the configuration."""
    config = current_app.config
    return (
        int(config.get("CAP_PLAN_MONTHS", DEFAULT_PLAN_MONTHS)),
        int(config.get("CAP_CORRECTION_MONTHS", DEFAULT_CORRECTION_MONTHS)),
    )

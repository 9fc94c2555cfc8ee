"""The corrective action's clock and states as plain functions: which step each state allows,
when the plan and the correction fall due, and when the supplier is late."""

from datetime import date

import pytest

from portal.findings.deadlines import (
    REVIEWER_TURN,
    SUPPLIER_TURN,
    NotAllowed,
    Stage,
    State,
    days_left,
    due_dates,
    due_on,
    is_overdue,
    may_extend,
    next_state,
    stage_of,
)

PLAN_DUE, CORRECTION_DUE = date(2026, 2, 28), date(2026, 7, 31)


# The states ---------------------------------------------------------------------------------
def test_a_finding_goes_through_plan_and_proof_to_closed():
    state = State.PLAN_DUE
    for transition, expected in [
        ("submit", State.PLAN_SUBMITTED),
        ("return", State.PLAN_RETURNED),
        ("submit", State.PLAN_SUBMITTED),
        ("accept", State.PLAN_ACCEPTED),
        ("submit", State.PROOF_SUBMITTED),
        ("return", State.PROOF_RETURNED),
        ("submit", State.PROOF_SUBMITTED),
        ("accept", State.CLOSED),
    ]:
        state = next_state(state, transition)
        assert state == expected


@pytest.mark.parametrize(
    ("state", "transition"),
    [
        # A reviewer cannot decide on what was not sent.
        ("plan_due", "accept"),
        ("plan_due", "return"),
        ("plan_returned", "accept"),
        ("plan_accepted", "accept"),
        ("proof_returned", "return"),
        # The supplier cannot send twice before the reviewer decides, or after closing.
        ("plan_submitted", "submit"),
        ("proof_submitted", "submit"),
        ("closed", "submit"),
        ("closed", "accept"),
        ("closed", "return"),
        # Nonsense from outside.
        ("closed", "reopen"),
        ("unknown", "submit"),
    ],
)
def test_steps_the_state_does_not_allow_are_refused(state, transition):
    with pytest.raises(NotAllowed):
        next_state(state, transition)


def test_whose_turn_it_is():
    assert {State.PLAN_DUE, State.PLAN_RETURNED, State.PLAN_ACCEPTED, State.PROOF_RETURNED} == (
        SUPPLIER_TURN
    )
    assert {State.PLAN_SUBMITTED, State.PROOF_SUBMITTED} == REVIEWER_TURN
    assert State.CLOSED not in SUPPLIER_TURN | REVIEWER_TURN


def test_stages_and_what_may_be_extended():
    assert [stage_of(s) for s in State] == [
        Stage.PLAN,
        Stage.PLAN,
        Stage.PLAN,
        Stage.CORRECTION,
        Stage.CORRECTION,
        Stage.CORRECTION,
        None,
    ]
    # The plan's deadline while the plan is open; the correction's until closing (it may be
    # asked for early, while the plan is still being written).
    assert may_extend("plan_submitted", "plan")
    assert not may_extend("plan_accepted", "plan")
    assert may_extend("plan_due", "correction")
    assert may_extend("proof_submitted", "correction")
    assert not may_extend("closed", "correction")
    assert not may_extend("plan_due", "something")


# The deadlines ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("opened_on", "plan", "correction"),
    [
        (date(2026, 3, 10), date(2026, 4, 10), date(2026, 9, 10)),
        # A month is a calendar month: the month's last day when it is shorter.
        (date(2026, 1, 31), date(2026, 2, 28), date(2026, 7, 31)),
        (date(2027, 8, 31), date(2027, 9, 30), date(2028, 2, 29)),  # 2028 is a leap year
        (date(2026, 12, 15), date(2027, 1, 15), date(2027, 6, 15)),
    ],
)
def test_the_plan_is_due_in_a_month_and_the_correction_in_six(opened_on, plan, correction):
    assert due_dates(opened_on, 1, 6) == (plan, correction)


def test_other_periods_can_be_configured():
    assert due_dates(date(2026, 3, 10), 2, 12) == (date(2026, 5, 10), date(2027, 3, 10))


def test_the_deadline_that_runs_follows_the_stage():
    assert due_on("plan_due", PLAN_DUE, CORRECTION_DUE) == PLAN_DUE
    assert due_on("plan_returned", PLAN_DUE, CORRECTION_DUE) == PLAN_DUE
    assert due_on("plan_accepted", PLAN_DUE, CORRECTION_DUE) == CORRECTION_DUE
    assert due_on("proof_returned", PLAN_DUE, CORRECTION_DUE) == CORRECTION_DUE
    assert due_on("closed", PLAN_DUE, CORRECTION_DUE) is None


def test_the_last_day_is_in_time_and_the_day_after_is_overdue():
    assert not is_overdue("plan_due", PLAN_DUE, CORRECTION_DUE, date(2026, 2, 27))
    assert not is_overdue("plan_due", PLAN_DUE, CORRECTION_DUE, PLAN_DUE)
    assert is_overdue("plan_due", PLAN_DUE, CORRECTION_DUE, date(2026, 3, 1))
    assert days_left(PLAN_DUE, date(2026, 2, 26)) == 2
    assert days_left(PLAN_DUE, PLAN_DUE) == 0
    assert days_left(PLAN_DUE, date(2026, 3, 1)) == -1


def test_only_the_suppliers_delay_is_overdue():
    late = date(2026, 3, 15)
    assert is_overdue("plan_returned", PLAN_DUE, CORRECTION_DUE, late)
    # Sent and waiting for the reviewer: not the supplier's delay.
    assert not is_overdue("plan_submitted", PLAN_DUE, CORRECTION_DUE, late)
    # The plan accepted: the correction's deadline runs now, and it has not passed.
    assert not is_overdue("plan_accepted", PLAN_DUE, CORRECTION_DUE, late)
    assert is_overdue("plan_accepted", PLAN_DUE, CORRECTION_DUE, date(2026, 8, 1))
    assert not is_overdue("proof_submitted", PLAN_DUE, CORRECTION_DUE, date(2026, 8, 1))
    assert not is_overdue("closed", PLAN_DUE, CORRECTION_DUE, date(2030, 1, 1))

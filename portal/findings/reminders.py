"""Overdue notices of corrective actions, e-mailed to the supplier and to the reviewer who
recorded the finding.

`flask findings remind` runs from cron, say every hour. A notice is an action, the stage it
is in (plan or correction) and that stage's deadline: it is due once the deadline's day has
passed on the Swedish calendar while it is the supplier's turn, and it is sent once. A run
claims it by inserting its row (unique on action, stage and deadline), sends it and commits,
one notice at a time, as `flask rounds remind` does; a send that fails is rolled back, so the
next run tries again. An extension gives the stage a new deadline, which is told in its turn
if it passes too.
"""

from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage

from flask import current_app
from flask_babel import LazyString, gettext

from portal import mail
from portal.auth.services import User, active_supplier_users
from portal.extensions import db
from portal.findings import deadlines
from portal.findings.deadlines import SUPPLIER_TURN
from portal.findings.models import ActionReminder, CorrectiveAction, Finding
from portal.orgs.services import Organisation
from portal.timeutil import utcnow

#: The right-hand side of the notices' Message-IDs.
MESSAGE_DOMAIN = "fair-ict-portal"


@dataclass(frozen=True)
class DueNotice:
    """An overdue stage whose notice has not been sent yet."""

    action_id: int
    finding_id: int
    organisation_id: int
    organisation: str
    title: str
    stage: str
    due_on: date
    recorded_by_id: int | None

    @property
    def message_id(self) -> str:
        return (
            f"<corrective-action.{self.action_id}.{self.stage}.{self.due_on:%Y%m%d}"
            f"@{MESSAGE_DOMAIN}>"
        )

    def message_id_for(self, user_id: int) -> str:
        """One recipient's copy: the same on every attempt (see portal.rounds.reminders)."""
        return self.message_id.replace("@", f".{user_id}@", 1)


def due_notices(today: date) -> list[DueNotice]:
    """Every overdue stage on `today` whose notice for its present deadline was not sent."""
    rows = db.session.execute(
        db.select(CorrectiveAction, Finding, Organisation.name)
        .join(Finding, Finding.id == CorrectiveAction.finding_id)
        .join(Organisation, Organisation.id == Finding.organisation_id)
        .where(CorrectiveAction.state.in_(sorted(SUPPLIER_TURN)))
        .order_by(CorrectiveAction.id)
    ).all()
    sent = set(
        db.session.execute(
            db.select(ActionReminder.action_id, ActionReminder.stage, ActionReminder.due_on).where(
                ActionReminder.action_id.in_([action.id for action, _, _ in rows])
            )
        ).all()
    )
    due = []
    for action, finding, organisation in rows:
        if not deadlines.is_overdue(
            action.state, action.plan_due_on, action.correction_due_on, today
        ):
            continue
        stage = deadlines.stage_of(action.state).value
        due_on = deadlines.due_on(action.state, action.plan_due_on, action.correction_due_on)
        if (action.id, stage, due_on) in sent:
            continue
        due.append(
            DueNotice(
                action_id=action.id,
                finding_id=finding.id,
                organisation_id=finding.organisation_id,
                organisation=organisation,
                title=finding.title,
                stage=stage,
                due_on=due_on,
                recorded_by_id=finding.recorded_by_id,
            )
        )
    return due


def _reviewer(notice: DueNotice) -> User | None:
    user = db.session.get(User, notice.recorded_by_id) if notice.recorded_by_id else None
    return user if user is not None and user.is_active and user.is_buyer_staff else None


def message_for(notice: DueNotice, user: User, *, to_reviewer: bool = False) -> EmailMessage:
    """One recipient's notice, in the user's language (both when it is not known)."""
    public_url = current_app.config["PUBLIC_URL"].rstrip("/")
    path = "review/findings" if to_reviewer else "findings"

    def subject() -> str:
        if notice.stage == deadlines.Stage.PLAN:
            return gettext(
                "Overdue: the corrective action plan for “%(title)s”", title=notice.title
            )
        return gettext("Overdue: the correction of “%(title)s”", title=notice.title)

    message = mail.compose(
        user.email,
        LazyString(subject),
        "corrective_action_overdue_reviewer" if to_reviewer else "corrective_action_overdue",
        locale=user.locale,
        user=user,
        notice=notice,
        link=f"{public_url}/{path}/{notice.finding_id}",
    )
    message.replace_header("Message-ID", notice.message_id_for(user.id))
    return message


def send_due_notices(now: datetime | None = None) -> tuple[int, int]:
    """Send every due notice, each committed on its own (see the module's docstring).

    Returns (sent, failed). A notice another run claimed first is left to it; one for an
    organisation with nobody to receive it waits until someone can.
    """
    now = now or utcnow()
    sent = failed = 0
    for notice in due_notices(deadlines.today()):
        messages = [message_for(notice, u) for u in active_supplier_users(notice.organisation_id)]
        if not messages:
            continue
        reviewer = _reviewer(notice)
        if reviewer is not None:
            messages.append(message_for(notice, reviewer, to_reviewer=True))
        claim = ActionReminder(
            action_id=notice.action_id,
            stage=notice.stage,
            due_on=notice.due_on,
            sent_at=now,
            message_id=notice.message_id,
        )
        outcome = mail.send_once(claim, messages, what=f"the notice {notice.message_id}")
        sent += outcome == mail.SENT
        failed += outcome == mail.FAILED
    return sent, failed

"""Reminders of a round's closing time, e-mailed to the organisations that have not submitted.

`flask rounds remind` runs from cron, say every hour. A reminder is a round, an organisation
and a number of days before that organisation's closing time. Each is sent once: a run claims
it by inserting its row, sends it and commits, one reminder at a time. A run that stops
half-way has recorded exactly the reminders it sent; a send that fails is rolled back, so the
next run tries it again.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import LazyString, gettext
from sqlalchemy import or_
from sqlalchemy.orm import aliased

from portal import mail
from portal.auth.services import User, active_supplier_users
from portal.extensions import db
from portal.questionnaires.services import Response, Round, RoundExtension
from portal.rounds.models import RoundReminder
from portal.timeutil import show_datetime, utcnow

#: The right-hand side of the reminders' Message-IDs.
MESSAGE_DOMAIN = "fair-ict-portal"


@dataclass(frozen=True)
class DueReminder:
    """A reminder whose moment has come and that has not been sent yet."""

    round_id: int
    organisation_id: int
    response_id: int
    days_before: int
    #: The organisation's closing time (the round's, or its extension).
    closes_at: datetime
    title: str

    @property
    def message_id(self) -> str:
        return (
            f"<round-reminder.{self.round_id}.{self.organisation_id}.{self.days_before}"
            f"@{MESSAGE_DOMAIN}>"
        )

    def message_id_for(self, user_id: int) -> str:
        """The Message-ID of one recipient's copy: the same whenever it is sent, so that a
        copy sent again after a crash between sending and recording is known as the same."""
        return self.message_id.replace("@", f".{user_id}@", 1)


def latest_due_day(reminder_days, closes_at: datetime, now: datetime) -> int | None:
    """The reminder day whose moment (closing minus that many days) came last, or None when
    none has come or the closing time has passed. Only this one is sent: the earlier ones
    it overtook (after an outage, or in a round opened late) would say less."""
    if not now < closes_at:
        return None
    due = [days for days in reminder_days or () if now >= closes_at - timedelta(days=days)]
    return min(due, default=None)


#: The organisation's own extension, apart from any other in the round (_may_still_be_open).
_OWN_EXTENSION = aliased(RoundExtension)


def due_reminders(now: datetime) -> list[DueReminder]:
    """Every reminder due at `now`: for each response not yet submitted in a round that has
    opened, the latest reminder day reached before the organisation's closing time, unless
    that reminder was already sent."""
    rows = db.session.execute(
        # Each organisation's extension, if it has one, in the same query: its closing time
        # replaces the round's.
        db.select(Response.id, Response.organisation_id, Round, _OWN_EXTENSION.closes_at)
        .join(Round, Round.id == Response.round_id)
        .outerjoin(
            _OWN_EXTENSION,
            (_OWN_EXTENSION.round_id == Response.round_id)
            & (_OWN_EXTENSION.organisation_id == Response.organisation_id),
        )
        .where(
            Response.submitted_at.is_(None),
            Round.opens_at <= now,
            _may_still_be_open(now),
        )
        .order_by(Round.id, Response.organisation_id)
    ).all()
    sent = set(
        db.session.execute(
            db.select(
                RoundReminder.round_id, RoundReminder.organisation_id, RoundReminder.days_before
            ).where(RoundReminder.round_id.in_(sorted({row.Round.id for row in rows})))
        ).all()
    )
    due = []
    for response_id, organisation_id, round_, extended_to in rows:
        closes_at = extended_to or round_.closes_at
        days = latest_due_day(round_.reminder_days, closes_at, now)
        if days is not None and (round_.id, organisation_id, days) not in sent:
            due.append(
                DueReminder(
                    round_id=round_.id,
                    organisation_id=organisation_id,
                    response_id=response_id,
                    days_before=days,
                    closes_at=closes_at,
                    title=round_.title,
                )
            )
    return due


def _may_still_be_open(now: datetime):
    # Closed rounds are left out in SQL unless an extension keeps them open for someone;
    # the organisation's own closing time decides for each (due_reminders).
    extended = db.select(RoundExtension.id).where(
        RoundExtension.round_id == Round.id, RoundExtension.closes_at > now
    )
    return or_(Round.closes_at > now, extended.exists())


def message_for(reminder: DueReminder, user: User) -> EmailMessage:
    """One recipient's reminder, in the user's language (both when it is not known)."""
    public_url = current_app.config["PUBLIC_URL"].rstrip("/")
    subject = LazyString(
        lambda: gettext(
            "Reminder: “%(round)s” closes on %(date)s",
            round=reminder.title,
            date=show_datetime(reminder.closes_at),
        )
    )
    message = mail.compose(
        user.email,
        subject,
        "round_reminder",
        locale=user.locale,
        user=user,
        reminder=reminder,
        link=f"{public_url}/responses/{reminder.response_id}",
    )
    message.replace_header("Message-ID", reminder.message_id_for(user.id))
    return message


def send_due_reminders(now: datetime | None = None) -> tuple[int, int]:
    """Send every due reminder, each committed on its own (see the module's docstring).

    Returns (sent, failed): the reminders sent now, and those whose sending failed and that
    the next run tries again. A reminder another run claimed first is left to it; one for an
    organisation with nobody to receive it waits until someone can.
    """
    now = now or utcnow()
    sent = failed = 0
    for reminder in due_reminders(now):
        messages = [
            message_for(reminder, user) for user in active_supplier_users(reminder.organisation_id)
        ]
        if not messages:
            continue
        claim = RoundReminder(
            round_id=reminder.round_id,
            organisation_id=reminder.organisation_id,
            days_before=reminder.days_before,
            sent_at=now,
            message_id=reminder.message_id,
        )
        outcome = mail.send_once(claim, messages, what=f"the reminder {reminder.message_id}")
        sent += outcome == mail.SENT
        failed += outcome == mail.FAILED
    return sent, failed

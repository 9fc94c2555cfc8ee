"""`flask rounds remind`: reminders of a round's closing time, sent by SMTP to a loopback
aiosmtpd server with the clock frozen.

Each reminder goes once however often the command runs; a run that stops half-way (a crash,
or a mail server refusing) leaves what it recorded and sends the rest next time; after an
outage only the latest reminder due goes; an extension moves an organisation's reminders;
organisations that submitted get none; every person reads theirs in their own language.
"""

import email
import email.policy
import socket
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale

from portal import mail
from portal.extensions import db
from portal.questionnaires.models import ResponseStatus, RoundExtension
from portal.roles import Role
from portal.rounds import reminders
from portal.rounds.models import RoundReminder
from portal.timeutil import show_datetime, utcnow
from tests.fixtures.builders import make_org, make_round, make_user, response_of

pytestmark = pytest.mark.slow

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class Inbox:
    """An aiosmtpd handler that keeps what it accepts and can refuse chosen messages."""

    def __init__(self):
        self.envelopes = []
        self.lock = threading.Lock()
        #: Refuse the message with this number (1 for the first) with a temporary error.
        self.refuse_number: int | None = None
        self.offered = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        with self.lock:
            self.offered += 1
            if self.offered == self.refuse_number:
                return "451 4.3.0 Try again later"
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(e.original_content, policy=email.policy.default)
            for e in self.envelopes
        ]

    def recipients(self) -> list[str]:
        return sorted(message["To"] for message in self.messages)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(app, monkeypatch):
    """A loopback SMTP server that the app sends to for this test only."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    for key, value in {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": controller.hostname,
        "MAIL_PORT": controller.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def clock(monkeypatch):
    """Freezes the reminders' clock: clock(moment) makes `now` that moment."""

    def freeze(moment):
        monkeypatch.setattr(reminders, "utcnow", lambda: moment)
        return moment

    return freeze


@pytest.fixture
def run(app_context):
    runner = app_context.test_cli_runner()
    return lambda: runner.invoke(args=["rounds", "remind"])


@pytest.fixture
def round_ab(mini_v1, supplier_a, supplier_b, owner_a, owner_b):
    """A round closing in 30 days for two suppliers, each with an owner."""
    return make_round(mini_v1, [supplier_a, supplier_b], title="Laptops 2027")


def _recorded():
    return sorted(
        db.session.execute(
            db.select(
                RoundReminder.organisation_id, RoundReminder.days_before, RoundReminder.message_id
            )
        ).all()
    )


def _submit(round_, organisation):
    response = response_of(round_, organisation)
    response.status, response.submitted_at = ResponseStatus.SUBMITTED.value, utcnow()
    db.session.commit()


# Once, and only what is due -----------------------------------------------------------------
def test_due_reminders_are_sent_once_and_running_again_sends_nothing(
    inbox, clock, run, round_ab, supplier_a, supplier_b, owner_a, owner_b
):
    clock(round_ab.closes_at - 15 * DAY)
    assert run().output == "0 reminder(s) sent.\n"  # no reminder day reached yet
    assert inbox.messages == []

    clock(round_ab.closes_at - 14 * DAY + HOUR)
    result = run()
    assert result.exit_code == 0, result.output
    assert result.output == "2 reminder(s) sent.\n"
    assert inbox.recipients() == sorted([owner_a.email, owner_b.email])
    for message in inbox.messages:
        assert "Laptops 2027" in message["Subject"]
    assert [row[:2] for row in _recorded()] == sorted([(supplier_a.id, 14), (supplier_b.id, 14)])

    assert run().output == "0 reminder(s) sent.\n"
    clock(round_ab.closes_at - 8 * DAY)
    assert run().output == "0 reminder(s) sent.\n"
    assert len(inbox.messages) == 2

    clock(round_ab.closes_at - 7 * DAY + HOUR)
    assert run().output == "2 reminder(s) sent.\n"
    assert run().output == "0 reminder(s) sent.\n"
    assert len(inbox.messages) == 4

    clock(round_ab.closes_at + HOUR)  # closed: nothing more, not even the 1-day reminder
    assert run().output == "0 reminder(s) sent.\n"
    assert len(inbox.messages) == 4


def test_message_ids_are_the_same_on_every_attempt(inbox, clock, round_ab, owner_a, supplier_a):
    clock(round_ab.closes_at - DAY + HOUR)
    reminders.send_due_reminders()
    expected = f"<round-reminder.{round_ab.id}.{supplier_a.id}.1.{owner_a.id}@fair-ict-portal>"
    ids = {message["To"]: message["Message-ID"] for message in inbox.messages}
    assert ids[owner_a.email] == expected
    stem = f"<round-reminder.{round_ab.id}.{supplier_a.id}.1@fair-ict-portal>"
    assert (supplier_a.id, 1, stem) in _recorded()


def test_after_an_outage_only_the_latest_reminder_due_is_sent(inbox, clock, run, round_ab):
    clock(round_ab.closes_at - 12 * HOUR)  # 14, 7 and 1 days before have all passed
    assert run().output == "2 reminder(s) sent.\n"
    assert {days for _, days, _ in _recorded()} == {1}
    assert run().output == "0 reminder(s) sent.\n"
    assert len(inbox.messages) == 2


def test_nothing_is_sent_before_the_round_opens(inbox, clock, run, round_ab):
    round_ab.opens_at = round_ab.closes_at - 3 * DAY
    db.session.commit()
    clock(round_ab.closes_at - 5 * DAY)
    assert run().output == "0 reminder(s) sent.\n"
    # Once it opens, the 7-day reminder it overtook is the one sent.
    clock(round_ab.closes_at - 3 * DAY + HOUR)
    assert run().output == "2 reminder(s) sent.\n"
    assert {days for _, days, _ in _recorded()} == {7}


def test_the_rounds_own_reminder_days_are_used(inbox, clock, run, round_ab):
    round_ab.reminder_days = [3]
    db.session.commit()
    clock(round_ab.closes_at - 7 * DAY + HOUR)
    assert run().output == "0 reminder(s) sent.\n"
    clock(round_ab.closes_at - 3 * DAY + HOUR)
    assert run().output == "2 reminder(s) sent.\n"


# A run that stops half-way ------------------------------------------------------------------
@pytest.fixture
def three_suppliers(mini_v1, clock):
    organisations = [make_org(name=f"Reseller {n} AB") for n in range(3)]
    owners = [make_user(org, Role.SUPPLIER_OWNER) for org in organisations]
    round_ = make_round(mini_v1, organisations)
    clock(round_.closes_at - 7 * DAY + HOUR)
    return round_, owners


def test_a_crash_after_the_first_reminder_neither_loses_nor_repeats_one(
    inbox, run, three_suppliers, monkeypatch
):
    _, owners = three_suppliers
    deliver, calls = mail.deliver, []

    def crash_on_the_second(message):
        calls.append(message["To"])
        if len(calls) == 2:
            raise MemoryError("the process dies here")
        deliver(message)

    monkeypatch.setattr(mail, "deliver", crash_on_the_second)
    with pytest.raises(MemoryError):
        reminders.send_due_reminders()
    db.session.rollback()  # what the dying process's connection does
    assert inbox.recipients() == [owners[0].email]
    assert len(_recorded()) == 1

    monkeypatch.setattr(mail, "deliver", deliver)
    result = run()
    assert result.output == "2 reminder(s) sent.\n", result.output
    assert inbox.recipients() == sorted(owner.email for owner in owners)  # each once
    assert len(_recorded()) == 3
    assert run().output == "0 reminder(s) sent.\n"
    assert len(inbox.messages) == 3


def test_a_mail_server_refusing_one_reminder_leaves_it_for_the_next_run(
    inbox, run, three_suppliers
):
    _, owners = three_suppliers
    inbox.refuse_number = 2
    result = run()
    assert result.exit_code == 1
    assert "2 reminder(s) sent." in result.output
    assert "1 reminder(s) could not be sent" in result.output
    refused = owners[1].email
    assert refused not in inbox.recipients()
    assert len(_recorded()) == 2

    result = run()
    assert result.exit_code == 0, result.output
    assert result.output == "1 reminder(s) sent.\n"
    assert inbox.recipients() == sorted(owner.email for owner in owners)
    assert len(_recorded()) == 3


def test_a_reminder_another_run_claimed_is_left_to_it(inbox, clock, round_ab, monkeypatch):
    now = clock(round_ab.closes_at - DAY + HOUR)
    found = reminders.due_reminders(now)
    first = found[0]
    assert len(found) == 2
    # Another run claims the first between this run's look-up and its claim.
    db.session.add(
        RoundReminder(
            round_id=first.round_id,
            organisation_id=first.organisation_id,
            days_before=first.days_before,
            sent_at=now,
            message_id=first.message_id,
        )
    )
    db.session.commit()
    monkeypatch.setattr(reminders, "due_reminders", lambda now: found)
    assert reminders.send_due_reminders() == (1, 0)
    assert len(inbox.messages) == 1
    assert len(_recorded()) == 2


# Whose deadline, who is reminded, in which language ----------------------------------------
def test_an_extension_moves_the_organisations_reminders(
    inbox, clock, run, round_ab, supplier_a, supplier_b, owner_a, owner_b, admin
):
    extended_to = round_ab.closes_at + 10 * DAY
    db.session.add(
        RoundExtension(
            round_id=round_ab.id,
            organisation_id=supplier_a.id,
            closes_at=extended_to,
            reason="Their sustainability lead is on leave.",
            extended_by_id=admin.id,
        )
    )
    db.session.commit()

    clock(round_ab.closes_at - DAY + HOUR)
    assert run().output == "2 reminder(s) sent.\n"
    assert sorted(row[:2] for row in _recorded()) == sorted(
        [(supplier_a.id, 14), (supplier_b.id, 1)]
    )

    clock(round_ab.closes_at + HOUR)  # closed for supplier B, open for supplier A
    assert run().output == "0 reminder(s) sent.\n"
    clock(extended_to - 7 * DAY + HOUR)
    assert run().output == "1 reminder(s) sent.\n"
    clock(extended_to - DAY + HOUR)
    assert run().output == "1 reminder(s) sent.\n"
    clock(extended_to + HOUR)
    assert run().output == "0 reminder(s) sent.\n"

    to_a = [m for m in inbox.messages if m["To"] == owner_a.email]
    assert len(to_a) == 3
    with force_locale("en"):  # the date as the mail shows it (in Stockholm time)
        shown = show_datetime(extended_to)
    assert all(shown in m.get_content() for m in to_a)


def test_organisations_that_submitted_get_none(inbox, clock, run, round_ab, supplier_a, owner_b):
    _submit(round_ab, supplier_a)
    clock(round_ab.closes_at - DAY + HOUR)
    assert run().output == "1 reminder(s) sent.\n"
    assert inbox.recipients() == [owner_b.email]


def test_owners_and_members_are_reminded_each_in_their_language(
    inbox, clock, run, mini_v1, supplier_a, buyer
):
    swede = make_user(supplier_a, Role.SUPPLIER_OWNER, locale="sv", full_name="Sara Svensson")
    briton = make_user(supplier_a, Role.SUPPLIER_MEMBER, locale="en", full_name="Ben Brown")
    unknown = make_user(supplier_a, Role.SUPPLIER_MEMBER, full_name="Kim Nobody")
    make_user(supplier_a, Role.SUPPLIER_OWNER, is_active=False)
    make_user(buyer, Role.BUYER_ADMIN)
    round_ = make_round(mini_v1, [supplier_a], title="Skärmar 2027")
    clock(round_.closes_at - DAY + HOUR)

    assert run().output == "1 reminder(s) sent.\n"
    messages = {m["To"]: m for m in inbox.messages}
    assert sorted(messages) == sorted([swede.email, briton.email, unknown.email])

    swedish = messages[swede.email]
    assert swedish["Subject"].startswith("Påminnelse: ”Skärmar 2027” stänger ")
    assert "Hej Sara Svensson!" in swedish.get_content()
    assert "Er organisation har ännu inte skickat in sitt svar" in swedish.get_content()
    assert "has not yet submitted" not in swedish.get_content()

    english = messages[briton.email]
    assert english["Subject"].startswith("Reminder: “Skärmar 2027” closes on ")
    assert "Hello Ben Brown," in english.get_content()
    assert "has not yet submitted its response in “Skärmar 2027”" in english.get_content()
    assert "Er organisation" not in english.get_content()

    both = messages[unknown.email].get_content()  # language unknown: Swedish, then English
    assert both.index("Er organisation") < both.index("Your organisation")

    response_id = response_of(round_, supplier_a).id
    for message in messages.values():
        assert f"/responses/{response_id}" in message.get_content()


def test_the_due_reminders_are_found_in_two_queries_however_many_organisations(
    app_context, mini_v1, admin, count_queries
):
    organisations = [make_org() for _ in range(6)]
    round_ = make_round(mini_v1, organisations, title="Many suppliers")
    extended = organisations[:3]
    for organisation in extended:
        db.session.add(
            RoundExtension(
                round_id=round_.id,
                organisation_id=organisation.id,
                closes_at=round_.closes_at + 10 * DAY,
                reason="More time.",
                extended_by_id=admin.id,
            )
        )
    db.session.commit()
    with count_queries() as counter:
        due = reminders.due_reminders(round_.closes_at - DAY + HOUR)
    assert counter.count == 2, counter.statements
    # A day before the round closes; eleven days before an extended organisation's closing.
    assert sorted((r.organisation_id, r.days_before) for r in due) == sorted(
        (o.id, 14 if o in extended else 1) for o in organisations
    )

"""`flask findings remind`: overdue corrective actions told to the supplier and to the
reviewer who recorded the finding, with the Swedish calendar frozen.

A plan or proof that is not late is not told; a late one is told once however often the
command runs; an extension makes a new deadline, told again only when it passes too; what
waits for the reviewer, or is closed, is not told; a failed send is tried again next run;
every person reads theirs in their own language.
"""

from datetime import UTC, date, datetime

import pytest

from portal import mail
from portal.extensions import db
from portal.findings import deadlines, reminders, services
from portal.findings.models import ActionReminder
from portal.roles import Role
from tests.fixtures.builders import make_user
from tests.fixtures.findings import make_finding

RECORDED_ON = date(2026, 3, 10)  # plan due 10 April, correction due 10 September


@pytest.fixture
def today(monkeypatch):
    def freeze(day: date) -> date:
        moment = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
        monkeypatch.setattr(deadlines, "utcnow", lambda: moment)
        return day

    freeze(RECORDED_ON)
    return freeze


@pytest.fixture
def outbox(app):
    box = app.extensions.setdefault("outbox", [])
    box.clear()
    return box


@pytest.fixture
def run(app_context):
    runner = app_context.test_cli_runner()
    return lambda: runner.invoke(args=["findings", "remind"])


@pytest.fixture
def finding(today, reviewer, supplier_a, owner_a, member_a):
    return make_finding(supplier_a, reviewer, title="Overtime above 60 hours a week")


def _recorded():
    return sorted(
        db.session.execute(
            db.select(ActionReminder.stage, ActionReminder.due_on, ActionReminder.message_id)
        ).all()
    )


def _to(outbox) -> list[str]:
    return sorted(message["To"] for message in outbox)


def test_an_overdue_plan_is_told_once_to_the_supplier_and_the_reviewer(
    run, today, outbox, finding, owner_a, member_a, reviewer
):
    today(date(2026, 4, 10))  # the last day: in time
    assert run().output == "0 overdue notice(s) sent.\n"

    today(date(2026, 4, 11))
    result = run()
    assert result.exit_code == 0, result.output
    assert result.output == "1 overdue notice(s) sent.\n"
    assert _to(outbox) == sorted([owner_a.email, member_a.email, reviewer.email])
    [(stage, due_on, message_id)] = _recorded()
    assert (stage, due_on) == ("plan", date(2026, 4, 10))
    assert message_id == f"<corrective-action.{finding.action.id}.plan.20260410@fair-ict-portal>"
    by_address = {message["To"]: message for message in outbox}
    supplier_copy = by_address[owner_a.email]
    assert supplier_copy["Subject"].endswith(
        "Overdue: the corrective action plan for “Overtime above 60 hours a week”"
    )
    assert supplier_copy["Message-ID"] == message_id.replace("@", f".{owner_a.id}@")
    assert f"/findings/{finding.id}" in supplier_copy.get_content()
    reviewer_copy = by_address[reviewer.email].get_content()
    assert "Alfa Data AB has not sent its corrective action plan" in reviewer_copy
    assert f"/review/findings/{finding.id}" in reviewer_copy

    assert run().output == "0 overdue notice(s) sent.\n"
    today(date(2026, 5, 20))
    assert run().output == "0 overdue notice(s) sent.\n"
    assert len(outbox) == 3


def test_the_swedish_calendar_decides_when_a_day_has_passed(run, outbox, finding, monkeypatch):
    # 22:00 UTC on the last day is midnight in Stockholm (summer time): the next day.
    late_evening = datetime(2026, 4, 10, 21, 59, tzinfo=UTC)
    monkeypatch.setattr(deadlines, "utcnow", lambda: late_evening)
    assert run().output == "0 overdue notice(s) sent.\n"
    after_midnight = datetime(2026, 4, 10, 22, 0, tzinfo=UTC)
    monkeypatch.setattr(deadlines, "utcnow", lambda: after_midnight)
    assert run().output == "1 overdue notice(s) sent.\n"


def test_an_extended_deadline_is_told_again_when_it_passes(
    run, today, outbox, finding, owner_a, reviewer
):
    today(date(2026, 4, 12))
    assert run().output == "1 overdue notice(s) sent.\n"
    action = finding.action
    services.extend(
        action,
        "plan",
        date(2026, 4, 30),
        "The factory changed owners.",
        user=reviewer,
        expected_version=action.version,
    )
    db.session.commit()
    today(date(2026, 4, 30))
    assert run().output == "0 overdue notice(s) sent.\n"
    today(date(2026, 5, 1))
    assert run().output == "1 overdue notice(s) sent.\n"
    assert run().output == "0 overdue notice(s) sent.\n"
    assert [row[:2] for row in _recorded()] == [
        ("plan", date(2026, 4, 10)),
        ("plan", date(2026, 4, 30)),
    ]
    latest = [m for m in outbox if m["To"] == owner_a.email][-1].get_content()
    assert "It was due on 30 Apr 2026." in latest


def test_the_proof_is_told_when_the_correction_is_late_and_not_while_waiting(
    run, today, outbox, finding, owner_a, reviewer
):
    action = finding.action
    services.submit(action, "A plan.", [], user=owner_a, expected_version=action.version)
    db.session.commit()
    today(date(2026, 4, 20))  # the plan came in time and waits for the reviewer
    assert run().output == "0 overdue notice(s) sent.\n"
    services.decide(action, accept=True, reason="", user=reviewer, expected_version=action.version)
    db.session.commit()
    assert run().output == "0 overdue notice(s) sent.\n"  # the correction runs to September

    today(date(2026, 9, 11))
    assert run().output == "1 overdue notice(s) sent.\n"
    assert _recorded()[0][:2] == ("correction", date(2026, 9, 10))
    message = next(m for m in outbox if m["To"] == owner_a.email)
    subject = message["Subject"]  # the owner's language is not known: both
    assert subject.endswith(" / Overdue: the correction of “Overtime above 60 hours a week”")
    assert "proof that the finding “Overtime above 60 hours a week” has been corrected" in (
        message.get_content()
    )

    services.submit(action, "Proof.", [], user=owner_a, expected_version=action.version)
    services.decide(action, accept=True, reason="", user=reviewer, expected_version=action.version)
    db.session.commit()
    today(date(2027, 1, 1))
    assert run().output == "0 overdue notice(s) sent.\n"  # closed


def test_a_failed_send_is_tried_again_by_the_next_run(run, today, outbox, finding, monkeypatch):
    deliver = mail.deliver

    def refuse(message):
        raise OSError("connection refused")

    today(date(2026, 4, 11))
    monkeypatch.setattr(mail, "deliver", refuse)
    result = run()
    assert result.exit_code == 1
    assert "1 notice(s) could not be sent" in result.output
    assert _recorded() == []
    monkeypatch.setattr(mail, "deliver", deliver)
    assert run().output == "1 overdue notice(s) sent.\n"
    assert len(_recorded()) == 1


def test_a_notice_another_run_claimed_is_left_to_it(today, outbox, finding, monkeypatch):
    today(date(2026, 4, 11))
    found = reminders.due_notices(deadlines.today())
    [notice] = found
    db.session.add(
        ActionReminder(
            action_id=notice.action_id,
            stage=notice.stage,
            due_on=notice.due_on,
            sent_at=datetime.now(UTC),
            message_id=notice.message_id,
        )
    )
    db.session.commit()
    monkeypatch.setattr(reminders, "due_notices", lambda today: found)
    assert reminders.send_due_notices() == (0, 0)
    assert outbox == []


def test_everyone_reads_the_notice_in_their_language(run, today, outbox, reviewer, supplier_a):
    swede = make_user(supplier_a, Role.SUPPLIER_OWNER, locale="sv", full_name="Sara Svensson")
    briton = make_user(supplier_a, Role.SUPPLIER_MEMBER, locale="en", full_name="Ben Brown")
    unknown = make_user(supplier_a, Role.SUPPLIER_MEMBER, full_name="Kim Nobody")
    make_user(supplier_a, Role.SUPPLIER_OWNER, is_active=False)
    make_finding(supplier_a, reviewer, title="Övertid")
    today(date(2026, 4, 11))
    assert run().output == "1 overdue notice(s) sent.\n"
    messages = {m["To"]: m for m in outbox}
    assert sorted(messages) == sorted([swede.email, briton.email, unknown.email, reviewer.email])
    swedish = messages[swede.email]
    assert swedish["Subject"] == "Försenad: åtgärdsplanen för ”Övertid”"
    assert "Hej Sara Svensson!" in swedish.get_content()
    assert "Sista dag var 10 apr. 2026." in swedish.get_content()
    assert "It was due" not in swedish.get_content()
    english = messages[briton.email]
    assert english["Subject"] == "Overdue: the corrective action plan for “Övertid”"
    assert "It was due on 10 Apr 2026." in english.get_content()
    both = messages[unknown.email].get_content()  # language unknown: Swedish, then English
    assert both.index("Hej Kim Nobody!") < both.index("Hello Kim Nobody,")

"""The audit log tells each event in a sentence with names, in the reader's language; every
action the code records has its sentence."""

import html as html_module
import re
from pathlib import Path

import pytest

from portal.admin.audit_log import SENTENCES
from portal.audit.models import AuditEvent
from portal.audit.services import ACTIONS, record
from portal.extensions import db
from portal.review.services import review_of
from portal.roles import Role
from tests.fixtures.builders import make_document, make_factory, make_user

PORTAL = Path(__file__).resolve().parent.parent / "portal"
#: `record("x.y", …)`, also as `record("x.y" if … else "x.z", …)`.
RECORDED = re.compile(
    r'record\(\s*"([a-z_]+\.[a-z_]+)"(?:\s+if\s+[^"]+?\s+else\s+"([a-z_]+\.[a-z_]+)")?'
)


def _recorded_in_code() -> set[str]:
    found = set()
    for path in PORTAL.rglob("*.py"):
        for match in RECORDED.finditer(path.read_text(encoding="utf-8")):
            found |= {action for action in match.groups() if action}
    return found


def test_every_action_the_code_records_is_known_and_told_in_words():
    recorded = _recorded_in_code()
    assert len(recorded) > 30  # the pattern still finds the calls
    assert recorded == set(ACTIONS), "record() names and ACTIONS differ"
    assert set(SENTENCES) == set(ACTIONS), "an action without a sentence in portal.admin.audit_log"


@pytest.fixture
def logged(response_a, supplier_a, admin, reviewer, owner_a, member_a, tmp_path, app):
    """The people and things the example events refer to."""
    app.config["EVIDENCE_STORAGE_URL"] = f"file://{tmp_path / 'evidence'}"
    factory = make_factory(supplier_a, name="Shenzhen Works")
    document = make_document(supplier_a, factory=factory, filename="foa-policy.pdf")
    review = review_of(response_a)
    response_a.round.title = "Market dialogue 2027"
    db.session.commit()
    return {
        "admin": admin,
        "reviewer": reviewer,
        "owner": owner_a,
        "member": member_a,
        "org": supplier_a,
        "response": response_a,
        "review": review,
        "document": document,
        "factory": factory,
    }


def _examples(w) -> dict[str, tuple[dict, str]]:
    """Per action: record()'s arguments as the code passes them, and the sentence shown."""
    admin, reviewer, owner, member = w["admin"], w["reviewer"], w["owner"], w["member"]
    org, response, document = w["org"], w["response"], w["document"]
    at_org = {"organisation_id": org.id}
    on_response = {"organisation_id": org.id, "target": response}
    return {
        "auth.login": (
            {"actor": owner, **at_org, "details": {"method": "password"}},
            "Anna Owner signed in.",
        ),
        "auth.login_failed": (
            {"actor": owner, **at_org, "details": {"email": owner.email}},
            f"A sign-in as {owner.email} failed.",
        ),
        "auth.logout": ({"actor": owner, **at_org}, "Anna Owner signed out."),
        "auth.mfa_failed": (
            {"actor": reviewer},
            "Rita Reviewer entered a wrong two-factor code.",
        ),
        "auth.mfa_enabled": ({"actor": reviewer}, "Rita Reviewer set up two-factor sign-in."),
        "auth.mfa_disabled": ({"actor": owner}, "Anna Owner turned off two-factor sign-in."),
        "auth.recovery_code_used": ({"actor": reviewer}, "Rita Reviewer used a recovery code."),
        "auth.recovery_codes_renewed": (
            {"actor": reviewer},
            "Rita Reviewer made new recovery codes.",
        ),
        "auth.password_changed": ({"actor": owner}, "Anna Owner changed their password."),
        "auth.password_reset_requested": (
            {"actor": owner},
            "A link to reset the password of Anna Owner was asked for.",
        ),
        "auth.password_reset": (
            {"actor": owner},
            "Anna Owner chose a new password through a reset link.",
        ),
        "invitation.sent": (
            {
                "actor": admin,
                **at_org,
                "details": {"email": "new@alfa.example", "role": "supplier_owner"},
            },
            "Ada Admin invited new@alfa.example to Alfa Data AB as supplier owner.",
        ),
        "invitation.accepted": (
            {"actor": member, **at_org},
            "Adam Member accepted the invitation to Alfa Data AB.",
        ),
        "invitation.revoked": (
            {"actor": owner, **at_org, "details": {"email": "late@alfa.example"}},
            "Anna Owner withdrew the invitation of late@alfa.example to Alfa Data AB.",
        ),
        "user.updated": (
            {
                "actor": admin,
                **at_org,
                "target": member,
                "details": {"full_name": ["Adam Membr", "Adam Member"]},
            },
            "Ada Admin changed the name Adam Membr to Adam Member.",
        ),
        "user.role_changed": (
            {
                "actor": admin,
                **at_org,
                "target": member,
                "details": {"from": "supplier_member", "to": "supplier_owner", "email": "x"},
            },
            "Ada Admin changed the role of Adam Member from supplier member to supplier owner.",
        ),
        "user.deactivated": (
            {"actor": owner, **at_org, "target": member, "details": {"email": member.email}},
            "Anna Owner removed the access of Adam Member.",
        ),
        "user.reactivated": (
            {"actor": admin, **at_org, "target": member, "details": {"email": member.email}},
            "Ada Admin gave Adam Member access again.",
        ),
        "organisation.created": (
            {
                "actor": admin,
                **at_org,
                "target": org,
                "details": {"name": "Alfa Data AB", "kind": "reseller"},
            },
            "Ada Admin added the organisation Alfa Data AB (reseller).",
        ),
        "organisation.updated": (
            {
                "actor": admin,
                **at_org,
                "target": org,
                "details": {"name": ["Alfa AB", "Alfa Data AB"], "country": ["NO", "SE"]},
            },
            "Ada Admin changed the details of Alfa Data AB: name, country.",
        ),
        "organisation.supplier_mfa": (
            {
                "actor": admin,
                "organisation_id": admin.organisation_id,
                "details": {"required": True},
            },
            "Ada Admin required two-factor sign-in of every supplier user.",
        ),
        "accessibility.reported": (
            {"details": {"page": "/factories"}},
            "Someone reported an accessibility problem on the page /factories.",
        ),
        "round.opened": (
            {
                "actor": admin,
                "target": response.round,
                "details": {
                    "title": "Market dialogue 2027",
                    "version": "mini v1",
                    "organisations": [1, 2, 3],
                    "closes_at": "2026-11-30T22:59:59+00:00",
                },
            },
            "Ada Admin opened the round Market dialogue 2027 for 3 organisations, "
            "closing 30 Nov 2026, 23:59.",
        ),
        "round.joined": (
            {
                "actor": admin,
                "target": response.round,
                "details": {
                    "title": "Market dialogue 2027",
                    "organisations": [4, 5],
                    "invited": ["gia@gamma.example"],
                },
            },
            "Ada Admin added 2 organisations and invited 1 new organisation to the round "
            "Market dialogue 2027.",
        ),
        "round.thresholds_changed": (
            {
                "actor": admin,
                "target": response.round,
                "details": {"title": "Market dialogue 2027", "requirement": 60, "award": 25},
            },
            "Ada Admin set the market maturity thresholds of the round Market dialogue 2027: "
            "a mandatory requirement from 60 %, an award criterion from 25 %.",
        ),
        "round.extended": (
            {
                "actor": admin,
                **at_org,
                "target": response.round,
                "details": {
                    "title": "Market dialogue 2027",
                    "closes_at": "2026-12-07T22:59:59+00:00",
                    "reason": "Their sustainability lead is on leave.",
                },
            },
            "Ada Admin gave Alfa Data AB until 7 Dec 2026, 23:59 to answer in the round "
            "Market dialogue 2027, because: Their sustainability lead is on leave.",
        ),
        "review.assigned": (
            {"actor": admin, "target": w["review"], "details": {"reviewer": reviewer.email}},
            "Ada Admin assigned Alfa Data AB's response to Rita Reviewer.",
        ),
        "review.graded": (
            {"actor": reviewer, **on_response, "details": {"questions": ["has_policy"]}},
            "Rita Reviewer graded 1 answer of Alfa Data AB's response.",
        ),
        "review.evidence_verdict": (
            {
                "actor": reviewer,
                **at_org,
                "target": document,
                "details": {"accepted": False, "reason": "Not signed."},
            },
            "Rita Reviewer rejected the document foa-policy.pdf from Alfa Data AB: Not signed.",
        ),
        "review.clarification_requested": (
            {"actor": reviewer, **on_response, "details": {"questions": ["a", "b"]}},
            "Rita Reviewer asked for clarification on 2 questions of Alfa Data AB's response.",
        ),
        "review.clarification_answered": (
            {"actor": owner, **on_response},
            "Anna Owner answered the clarification and submitted Alfa Data AB's response again.",
        ),
        "review.accepted": (
            {"actor": reviewer, **on_response, "details": {"total": 72.5, "award_points": 3}},
            "Rita Reviewer accepted Alfa Data AB's response with a total score of 72.5.",
        ),
        "ladder.marked": (
            {
                "actor": reviewer,
                **at_org,
                "details": {
                    "ladder": "worker-empowerment-ladder v1",
                    "milestone": "policy_communicated",
                    "step": 1,
                    "status": "achieved",
                    "marked_on": "2025-03-01",
                    "evidence_document_id": None,
                },
            },
            "Rita Reviewer marked step 1 of the ladder as “Achieved” for Alfa Data AB, "
            "holding from 1 Mar 2025.",
        ),
        "evidence.uploaded": (
            {
                "actor": owner,
                **at_org,
                "target": document,
                "details": {"kind": "policy_document", "size": 9, "sha256": "ab12cd"},
            },
            "Anna Owner uploaded the document foa-policy.pdf for Alfa Data AB.",
        ),
        "evidence.downloaded": (
            {"actor": reviewer, **at_org, "target": document, "details": {"file": "foa.pdf"}},
            "Rita Reviewer downloaded the document foa.pdf of Alfa Data AB.",
        ),
        "evidence.removed": (
            {"actor": owner, **at_org, "target": document, "details": {"file": "old.pdf"}},
            "Anna Owner removed the document old.pdf of Alfa Data AB.",
        ),
        "factory.added": (
            {"actor": owner, **at_org, "details": {"name": "Shenzhen Works"}},
            "Anna Owner added the factory Shenzhen Works to the list of Alfa Data AB.",
        ),
        "factory.changed": (
            {"actor": owner, **at_org, "details": {"name": "Shenzhen Works"}},
            "Anna Owner changed the factory Shenzhen Works in the list of Alfa Data AB.",
        ),
        "factory.brand_confirmed": (
            {
                "actor": owner,
                **at_org,
                "details": {"brand": "Orbis", "confirmed_on": "2025-05-02"},
            },
            "Anna Owner recorded that Alfa Data AB confirmed its factory list with Orbis on "
            "2 May 2025.",
        ),
        "factory.left": (
            {
                "actor": owner,
                **at_org,
                "details": {"name": "Shenzhen Works", "left_on": "2025-06-30"},
            },
            "Anna Owner recorded that the factory Shenzhen Works left the supply chain of "
            "Alfa Data AB on 30 Jun 2025.",
        ),
        "factory.imported": (
            {
                "actor": owner,
                **at_org,
                "details": {"file": "factories.xlsx", "rows": 12, "dropped": [3]},
            },
            "Anna Owner imported 12 factories from factories.xlsx into the list of Alfa Data AB.",
        ),
        "factory.columns_matched": (
            {
                "actor": owner,
                **at_org,
                "details": {
                    "file": "suppliers.csv",
                    "columns": {"Fabrik": "name", "Land": "country"},
                },
            },
            "Anna Owner matched 2 columns of suppliers.csv to the factory list of Alfa Data AB.",
        ),
        "factory.risk_added": (
            {
                "actor": owner,
                **at_org,
                "details": {"factory": "Shenzhen Works", "category": "working_hours"},
            },
            "Anna Owner added the risk working hours to the factory Shenzhen Works.",
        ),
        "factory.risk_removed": (
            {
                "actor": owner,
                **at_org,
                "details": {"factory": "Shenzhen Works", "category": "wages"},
            },
            "Anna Owner removed the risk wages from the factory Shenzhen Works.",
        ),
        "factory.risk_scale": (
            {"actor": owner, **at_org, "details": {"severity_max": 5, "likelihood_max": 4}},
            "Anna Owner set the risk scale of Alfa Data AB to 5 levels of severity and 4 of "
            "likelihood.",
        ),
        "response.started": (
            {"actor": owner, **on_response, "details": {"carried_over": 7, "from": 99}},
            "Anna Owner started Alfa Data AB's response in Market dialogue 2027, carrying over "
            "7 answers.",
        ),
        "response.submitted": (
            {"actor": owner, **on_response, "details": {"version": "mini v1"}},
            "Anna Owner submitted Alfa Data AB's response in Market dialogue 2027.",
        ),
        "finding.recorded": (
            {
                "actor": reviewer,
                **at_org,
                "details": {
                    "title": "Overtime above 60 hours",
                    "severity": "major",
                    "clause": "working_hours",
                    "plan_due_on": "2026-04-10",
                    "correction_due_on": "2026-09-10",
                },
            },
            "Rita Reviewer recorded the finding “Overtime above 60 hours” (major) at Alfa Data "
            "AB: the plan is due on 10 Apr 2026, the correction on 10 Sep 2026.",
        ),
        "finding.submitted": (
            {"actor": owner, **at_org, "details": {"title": "Overtime", "stage": "plan"}},
            "Anna Owner sent Alfa Data AB's corrective action plan for the finding “Overtime”.",
        ),
        "finding.decided": (
            {
                "actor": reviewer,
                **at_org,
                "details": {
                    "title": "Overtime",
                    "stage": "correction",
                    "accepted": False,
                    "reason": "Show June too.",
                },
            },
            "Rita Reviewer returned Alfa Data AB's proof for the finding “Overtime”: Show June "
            "too.",
        ),
        "finding.extended": (
            {
                "actor": reviewer,
                **at_org,
                "details": {
                    "title": "Overtime",
                    "stage": "correction",
                    "from": "2026-09-10",
                    "to": "2026-12-15",
                    "reason": "A new audit in November.",
                },
            },
            "Rita Reviewer moved the last day for Alfa Data AB's correction of the finding "
            "“Overtime” from 10 Sep 2026 to 15 Dec 2026, because: A new audit in November.",
        ),
        "country_risks.imported": (
            {"actor": admin, "details": {"file": "risks.xlsx", "added": 3, "changed": 1}},
            "Ada Admin imported the country-risk table from risks.xlsx: 3 countries added, "
            "1 changed.",
        ),
        "country_risk.changed": (
            {"actor": admin, "details": {"country": "KH", "overall": [70, 75]}},
            "Ada Admin changed the country-risk figures for Cambodia.",
        ),
        "contract.created": (
            {"actor": admin, **at_org, "details": {"reference": "RN-1", "title": "Laptops"}},
            "Ada Admin added the contract RN-1 with Alfa Data AB.",
        ),
        "contract.changed": (
            {
                "actor": admin,
                **at_org,
                "details": {"reference": "RN-1", "changes": {"value_sek": [1, 2]}},
            },
            "Ada Admin changed 1 detail of the contract RN-1 with Alfa Data AB.",
        ),
        "contract.report_requested": (
            {"actor": admin, **at_org, "details": {"reference": "RN-1", "closes_on": "2026-07-15"}},
            "Ada Admin asked Alfa Data AB for the report on the contract RN-1 by 15 Jul 2026.",
        ),
        "selection.audit_planned": (
            {"actor": admin, **at_org, "details": {"year": 2026, "score": 65.0, "rank": 2}},
            "Ada Admin planned a desktop audit of Alfa Data AB for 2026.",
        ),
        "selection.audit_cancelled": (
            {"actor": admin, **at_org, "details": {"year": 2026}},
            "Ada Admin removed the desktop audit of Alfa Data AB planned for 2026.",
        ),
    }


def _text(client, url: str, **headers) -> str:
    """The page's text as a reader gets it (entities decoded)."""
    reply = client.get(url, headers=headers)
    assert reply.status_code == 200
    return html_module.unescape(reply.get_data(as_text=True))


def test_each_action_is_told_in_a_sentence_with_names(client, logged, admin):
    examples = _examples(logged)
    assert set(examples) == set(ACTIONS)  # an example for every action
    for action, (arguments, _sentence) in examples.items():
        record(action, **arguments)
    db.session.commit()
    client.login(admin)
    for action, (_arguments, sentence) in examples.items():
        page = _text(client, f"/admin/audit?action={action}")
        assert sentence in page, action
    uploaded = _text(client, "/admin/audit?action=evidence.uploaded")
    assert "sha256" not in uploaded
    assert "ab12cd" not in uploaded  # the details stay in the record, not in the sentence


def test_the_log_reads_in_swedish(client, logged, admin):
    record("round.opened", **_examples(logged)["round.opened"][0])
    record(
        "review.clarification_requested", **_examples(logged)["review.clarification_requested"][0]
    )
    db.session.commit()
    client.login(admin)
    page = _text(client, "/admin/audit", **{"Accept-Language": "sv"})
    assert (
        "Ada Admin öppnade omgången Market dialogue 2027 för 3 organisationer, "
        "med sista dag 30 nov. 2026, 23:59." in page
    )
    assert "Rita Reviewer bad om förtydligande på 2 frågor i svaret från Alfa Data AB." in page


def test_an_unknown_action_falls_back_to_its_name_and_details(client, admin):
    db.session.add(
        AuditEvent(
            action="billing.changed",
            actor_id=admin.id,
            actor_email=admin.email,
            details={"plan": "gold"},
        )
    )
    db.session.commit()
    client.login(admin)
    page = _text(client, "/admin/audit")
    assert "Ada Admin: billing.changed. (plan: gold)" in page


def test_names_are_fetched_once_per_kind_whatever_the_number_of_events(
    client, logged, admin, count_queries
):
    examples = _examples(logged)
    kinds = ["auth.login", "review.assigned", "review.graded", "evidence.uploaded", "user.updated"]

    def record_some():
        for action in kinds:
            record(action, **examples[action][0])
        db.session.commit()

    record_some()
    client.login(admin)

    def queries_for_log() -> int:
        with count_queries() as counter:
            client.get("/admin/audit")
        return counter.count

    few = queries_for_log()
    for n in range(8):  # other people, other documents, other reviews' targets
        user = make_user(logged["org"], Role.SUPPLIER_MEMBER, full_name=f"Extra {n}")
        record("auth.login", actor=user, organisation_id=logged["org"].id)
        record("user.updated", actor=admin, target=user, details={"full_name": ["a", "b"]})
        other = make_document(
            logged["org"],
            factory=logged["factory"],
            filename=f"doc{n}.pdf",
            content=f"%PDF-1.4\n{n}\n%%EOF\n".encode(),
        )
        record("evidence.uploaded", actor=user, target=other, organisation_id=logged["org"].id)
        record_some()
    assert queries_for_log() == few


def test_a_mark_for_one_brand_names_the_brand(client, logged, admin):
    arguments = _examples(logged)["ladder.marked"][0]
    record("ladder.marked", **{**arguments, "details": {**arguments["details"], "brand": "Orbis"}})
    db.session.commit()
    client.login(admin)
    page = _text(client, "/admin/audit?action=ladder.marked")
    assert (
        "Rita Reviewer marked step 1 of the ladder as “Achieved” for Alfa Data AB's brand "
        "Orbis, holding from 1 Mar 2025." in page
    )


def test_an_invitation_to_a_new_organisation_names_it(client, logged, admin):
    record(
        "invitation.sent",
        actor=admin,
        details={
            "email": "gia@gamma.example",
            "role": "supplier_owner",
            "new_organisation": "Gamma Tech AB",
        },
    )
    db.session.commit()
    client.login(admin)
    page = _text(client, "/admin/audit?action=invitation.sent")
    assert "Ada Admin invited gia@gamma.example to create the organisation Gamma Tech AB." in page

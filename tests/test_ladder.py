"""The worker-empowerment ladder: the definition, marking, where suppliers stand, the climb
chart, exports and the audit log."""

import csv
import io
import re
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml

from portal.audit.models import AuditEvent
from portal.definitions import ROOT
from portal.extensions import db
from portal.ladder import services
from portal.ladder.cli import group as ladder_commands
from portal.ladder.definition import Ladder, load_ladder
from portal.ladder.models import LadderVersion, MilestoneMark
from portal.questionnaires.schemas import EVIDENCE_KINDS
from portal.questionnaires.services import start
from tests.fixtures.builders import make_document, make_factory, make_org

SHIPPED = ROOT / services.LADDER_KEY / "v1.yaml"
KEYS = [
    "nothing_documented",
    "policy_communicated",
    "workers_trained",
    "committee_exists",
    "committee_elected",
    "regular_dialogue",
    "third_party_verified",
]


@pytest.fixture
def ladder(app_context):
    version, _ = services.publish(1)
    db.session.commit()
    return version


def make_mark(organisation, key, status="achieved", on=date(2025, 3, 1), *, user, note=""):
    """A mark recorded through the service, as a reviewer's form would."""
    mark = services.mark(organisation, key, status, on, None, "Seen during a visit.", note, user)
    db.session.commit()
    return mark


def _marks_form(*entries, on="2025-03-01") -> dict:
    """Form data marking (key, status[, evidence note]) entries."""
    data = {}
    for key, status, *evidence in entries:
        data[f"status-{key}"] = status
        data[f"marked_on-{key}"] = on
        data[f"evidence_note-{key}"] = evidence[0] if evidence else "Minutes seen on site."
    return data


def _marks_of(organisation):
    return db.session.scalars(
        db.select(MilestoneMark)
        .where(MilestoneMark.organisation_id == organisation.id)
        .order_by(MilestoneMark.id)
    ).all()


# The definition -------------------------------------------------------------------------------
def test_the_shipped_ladder_has_steps_0_to_6_in_both_languages():
    content, problems = load_ladder(SHIPPED)
    assert problems == []
    assert content["kind"] == "ladder"
    ladder = Ladder(content)
    assert [m["step"] for m in ladder.milestones] == list(range(7))
    assert [m["key"] for m in ladder.milestones] == KEYS
    for milestone in ladder.milestones:
        for text in (milestone["title"], milestone["description"]):
            assert text["sv"].strip()
            assert text["en"].strip()
            assert text["sv"] != text["en"]
        assert set(milestone["evidence"]) <= set(EVIDENCE_KINDS)
    assert all(m["evidence"] for m in ladder.markable)
    assert ladder.milestones[0]["evidence"] == []
    assert "worker_committee_minutes" in ladder.milestone("regular_dialogue")["evidence"]
    assert "election_procedure" in ladder.milestone("committee_elected")["evidence"]


def _write(tmp_path, content) -> Path:
    path = tmp_path / services.LADDER_KEY / "v1.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


def _shipped() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def test_the_loader_rejects_an_unknown_format_version(tmp_path):
    content, problems = load_ladder(_write(tmp_path, _shipped() | {"format_version": 2}))
    assert content is None
    assert [(p.path, "Unknown format_version 2" in p.message) for p in problems] == [
        ("format_version", True)
    ]


def test_the_loader_checks_steps_in_order_and_keys_unique(tmp_path):
    shipped = _shipped()
    milestones = shipped["milestones"]
    milestones[2]["step"], milestones[3]["step"] = 3, 2
    milestones[5]["key"] = milestones[4]["key"]
    milestones[6]["evidence"] = []
    content, problems = load_ladder(_write(tmp_path, shipped))
    assert content is None
    found = {(p.path, p.message) for p in problems}
    assert ("milestones[2].step", "Must be 2: steps run 0, 1, 2 … in file order.") in found
    assert ("milestones[3].step", "Must be 3: steps run 0, 1, 2 … in file order.") in found
    assert ("milestones[5].key", "Duplicate milestone key 'committee_elected'.") in found
    assert ("milestones[6].evidence", "Name the kinds of evidence that prove it.") in found


def test_the_loader_names_shape_problems_with_their_path(tmp_path):
    shipped = _shipped()
    shipped["milestones"][1]["evidence"] = ["a_photo"]
    del shipped["milestones"][2]["title"]["sv"]
    shipped["colour"] = "blue"
    paths = {p.path for p in load_ladder(_write(tmp_path, shipped))[1]}
    assert {"milestones[1].evidence[0]", "milestones[2].title.sv", "colour"} <= paths


# Publishing -----------------------------------------------------------------------------------
def test_publishing_is_idempotent(app, app_context):
    first, outcome = services.publish(1)
    db.session.commit()
    assert outcome == "published"
    again, outcome = services.publish(1)
    assert (again.id, outcome) == (first.id, "unchanged")
    result = app.test_cli_runner().invoke(ladder_commands, ["publish", "1"])
    assert result.exit_code == 0, result.output
    assert "already published and unchanged" in result.output
    assert db.session.scalar(db.select(db.func.count(LadderVersion.id))) == 1
    assert services.current_version().id == first.id


def test_a_marked_version_never_changes(app, app_context, tmp_path, reviewer, supplier_a):
    folder = tmp_path / "definitions"
    shutil.copytree(SHIPPED.parent, folder / services.LADDER_KEY)
    services.publish(1, root=folder)
    db.session.commit()
    make_mark(supplier_a, "policy_communicated", user=reviewer)
    changed = _shipped()
    changed["title"]["en"] = "A renamed ladder"
    (folder / services.LADDER_KEY / "v1.yaml").write_text(yaml.safe_dump(changed))
    with pytest.raises(services.PublishError, match="already has marks"):
        services.publish(1, root=folder)
    result = app.test_cli_runner().invoke(
        ladder_commands, ["publish", "1", "--folder", str(folder)]
    )
    assert result.exit_code == 1
    assert (
        "worker-empowerment-ladder v1 already has marks and cannot change. "
        "Publish the change as v2 instead." in result.output
    )
    assert "v1.yaml was not published." in result.output


# Marking and where a supplier stands ----------------------------------------------------------
def test_a_reviewer_marks_three_steps_and_the_supplier_sees_step_3_and_what_4_asks(
    client, make_client, ladder, reviewer, supplier_a, owner_a
):
    client.login(reviewer)
    url = f"/review/ladder/{supplier_a.id}"
    reply = client.submit(
        url,
        _marks_form(
            ("policy_communicated", "achieved"),
            ("workers_trained", "achieved"),
            ("committee_exists", "achieved", "Committee minutes, Dongguan plant."),
        ),
    )
    assert reply.status_code == 302
    assert reply.headers["Location"] == url
    assert "Marks recorded: 3." in client.get(url).get_data(as_text=True)
    assert [(m.milestone_key, m.status) for m in _marks_of(supplier_a)] == [
        ("policy_communicated", "achieved"),
        ("workers_trained", "achieved"),
        ("committee_exists", "achieved"),
    ]

    supplier = make_client()
    supplier.login(owner_a)
    page = supplier.get("/ladder").get_data(as_text=True)
    assert "Step 3 of 6:</strong> A worker committee exists in the final-assembly factories" in page
    assert "Step 4: The workers elect the committee members through a documented procedure" in (
        page
    )
    next_step = page.split("Your next step")[1].split("Every step")[0]
    assert "Election procedure" in next_step
    assert "Worker-committee minutes" in next_step
    assert "secret" in next_step  # the description says what proves it
    assert "Committee minutes, Dongguan plant." in page


def test_a_partly_mark_does_not_raise_the_step(
    client, make_client, ladder, reviewer, supplier_a, owner_a
):
    client.login(reviewer)
    client.submit(
        f"/review/ladder/{supplier_a.id}",
        _marks_form(
            ("policy_communicated", "achieved"),
            ("workers_trained", "partly"),
            ("committee_exists", "achieved"),
        ),
    )
    assert services.position(services.current_marks(supplier_a.id), ladder.ladder) == 1
    supplier = make_client()
    supplier.login(owner_a)
    page = supplier.get("/ladder").get_data(as_text=True)
    assert "Step 1 of 6:" in page
    assert "Step 2: Workers are trained on their rights and on process chemicals" in page
    assert "Marked now: Partly (1 Mar 2025)." in page


def test_marks_are_history_and_a_later_not_yet_lowers_the_step(
    client, make_client, ladder, reviewer, supplier_a, owner_a
):
    client.login(reviewer)
    url = f"/review/ladder/{supplier_a.id}"
    client.submit(
        url,
        _marks_form(
            ("policy_communicated", "achieved"),
            ("workers_trained", "achieved"),
            ("committee_exists", "achieved"),
        ),
    )
    client.submit(
        url,
        {
            "status-workers_trained": "not_yet",
            "marked_on-workers_trained": "2025-06-01",
            "note-workers_trained": "The training records were for another factory.",
        },
    )
    assert len(_marks_of(supplier_a)) == 4
    assert services.history_positions([supplier_a.id]) == {
        supplier_a.id: [(date(2025, 3, 1), 3), (date(2025, 6, 1), 1)]
    }
    review = client.get(url).get_data(as_text=True)
    history = review.split("Marking history")[1]
    assert history.count("Step 2: Workers are trained") == 2
    assert history.index("Not yet") < history.index("Achieved")  # newest first
    supplier = make_client()
    supplier.login(owner_a)
    page = supplier.get("/ladder").get_data(as_text=True)
    assert "Step 1 of 6:" in page
    assert "The training records were for another factory." in page


def test_a_mark_dated_before_the_latest_does_not_replace_it(ladder, reviewer, supplier_a):
    make_mark(supplier_a, "policy_communicated", "not_yet", date(2025, 5, 1), user=reviewer)
    make_mark(supplier_a, "policy_communicated", "achieved", date(2025, 1, 1), user=reviewer)
    current = services.current_marks(supplier_a.id)
    assert current["policy_communicated"].status == "not_yet"
    assert services.history_positions([supplier_a.id])[supplier_a.id] == [
        (date(2025, 1, 1), 1),
        (date(2025, 5, 1), 0),
    ]


def test_the_form_explains_what_is_missing_and_records_nothing(
    client, ladder, reviewer, supplier_a
):
    client.login(reviewer)
    url = f"/review/ladder/{supplier_a.id}"
    empty = client.submit(url, {}).get_data(as_text=True)
    assert "Choose a status for at least one milestone." in empty
    reply = client.submit(
        url,
        {
            "status-policy_communicated": "achieved",
            "marked_on-policy_communicated": "2999-01-01",
            "status-workers_trained": "achieved",
            "marked_on-workers_trained": "2025-03-01",
            "note-committee_exists": "A note without a status.",
            "status-committee_elected": "partly",
            "marked_on-committee_elected": "",
        },
    )
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "The date cannot be in the future." in html
    assert "An achieved milestone needs evidence: choose a document or describe it." in html
    assert "Choose a status to record this mark, or clear its evidence and note." in html
    assert "Enter the date as YYYY-MM-DD." in html
    assert 'href="#evidence_note-workers_trained"' in html  # the summary links to the field
    assert _marks_of(supplier_a) == []


def test_the_evidence_document_must_be_the_suppliers_own(
    client, ladder, reviewer, supplier_a, supplier_b
):
    own = make_document(supplier_a, factory=make_factory(supplier_a), filename="foa-policy.pdf")
    other = make_document(
        supplier_b, factory=make_factory(supplier_b), filename="someone-elses.pdf"
    )
    client.login(reviewer)
    url = f"/review/ladder/{supplier_a.id}"
    page = client.get(url).get_data(as_text=True)
    assert "foa-policy.pdf (Policy document)" in page
    assert "someone-elses.pdf" not in page
    refused = client.submit(
        url,
        {
            "status-policy_communicated": "achieved",
            "marked_on-policy_communicated": "2025-03-01",
            "document-policy_communicated": str(other.id),
        },
    )
    assert refused.status_code == 200
    assert _marks_of(supplier_a) == []
    client.submit(
        url,
        {
            "status-policy_communicated": "achieved",
            "marked_on-policy_communicated": "2025-03-01",
            "document-policy_communicated": str(own.id),
        },
    )
    [mark] = _marks_of(supplier_a)
    assert mark.evidence_document_id == own.id
    assert "foa-policy.pdf" in client.get(url).get_data(as_text=True).split("Marking history")[1]


def test_a_drafts_documents_are_no_evidence_until_it_is_submitted(
    client, ladder, reviewer, owner_a, supplier_a, round_a, response_a
):
    """The document choice follows the rule of the download: a draft response's documents
    are the supplier's alone."""
    start(response_a, user=owner_a, carry_from=None)
    draft = make_document(
        supplier_a, response=response_a, question_key="certificate", filename="draft-policy.pdf"
    )
    client.login(reviewer)
    url = f"/review/ladder/{supplier_a.id}"
    assert "draft-policy.pdf" not in client.get(url).get_data(as_text=True)
    refused = client.submit(
        url,
        {
            "status-policy_communicated": "achieved",
            "marked_on-policy_communicated": "2025-03-01",
            "document-policy_communicated": str(draft.id),
        },
    )
    assert "Choose one of the supplier's documents from the list." in refused.get_data(as_text=True)
    assert _marks_of(supplier_a) == []
    with pytest.raises(services.MarkError):
        services.mark(
            supplier_a,
            "policy_communicated",
            "achieved",
            date(2025, 3, 1),
            draft.id,
            "",
            "",
            reviewer,
        )


def test_a_milestone_offers_only_documents_of_the_kinds_it_accepts(
    client, ladder, reviewer, supplier_a
):
    factory = make_factory(supplier_a)
    policy = make_document(supplier_a, factory=factory, filename="foa-policy.pdf")
    training = make_document(
        supplier_a,
        factory=factory,
        filename="training-2025.pdf",
        kind="training_record",
        content=b"%PDF-1.4\n2\n%%EOF\n",
    )
    client.login(reviewer)
    url = f"/review/ladder/{supplier_a.id}"
    html = client.get(url).get_data(as_text=True)

    def milestone(key: str) -> str:
        return html.split(f'id="milestone-{key}"')[1].split("</fieldset>")[0]

    # Step 1 takes a policy (or another document); step 2 only training records.
    assert "foa-policy.pdf" in milestone("policy_communicated")
    assert "training-2025.pdf" not in milestone("policy_communicated")
    assert "training-2025.pdf" in milestone("workers_trained")
    assert "foa-policy.pdf" not in milestone("workers_trained")

    refused = client.submit(
        url,
        {
            "status-workers_trained": "achieved",
            "marked_on-workers_trained": "2025-03-01",
            "document-workers_trained": str(policy.id),
        },
    )
    assert refused.status_code == 200
    assert (
        "foa-policy.pdf is a document of the kind Policy document; this step accepts only: "
        "Training record." in refused.get_data(as_text=True)
    )
    assert _marks_of(supplier_a) == []
    client.submit(
        url,
        {
            "status-workers_trained": "achieved",
            "marked_on-workers_trained": "2025-03-01",
            "document-workers_trained": str(training.id),
        },
    )
    [mark] = _marks_of(supplier_a)
    assert mark.evidence_document_id == training.id


# Who sees what --------------------------------------------------------------------------------
def test_suppliers_cannot_reach_the_review_pages(client, ladder, owner_a, supplier_a):
    client.login(owner_a)
    for url in (
        "/review/ladder",
        f"/review/ladder/{supplier_a.id}",
        "/review/ladder/export.csv",
    ):
        assert client.get(url).status_code == 403, url


def test_supplier_b_never_sees_supplier_as_marks(client, ladder, reviewer, supplier_a, owner_b):
    make_mark(supplier_a, "policy_communicated", user=reviewer, note="Only for Alfa.")
    make_mark(supplier_a, "workers_trained", user=reviewer, note="Also only for Alfa.")
    client.login(owner_b)
    page = client.get("/ladder").get_data(as_text=True)
    assert "Step 0 of 6:" in page
    assert "Only for Alfa" not in page
    assert "Seen during a visit." not in page
    assert page.count("Not marked yet") == 6


def test_only_supplier_organisations_can_be_marked(client, ladder, reviewer, buyer):
    client.login(reviewer)
    assert client.get(f"/review/ladder/{buyer.id}").status_code == 404
    assert client.get("/review/ladder/987654").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, ladder):
    assert client.get("/ladder").status_code == 302
    assert client.get("/review/ladder").status_code == 302


# The buyer's overview and chart ----------------------------------------------------------------
def test_the_chart_and_its_table_hold_the_same_data(
    client, ladder, reviewer, supplier_a, supplier_b
):
    for key in KEYS[1:4]:
        make_mark(supplier_a, key, on=date(2025, 2, 1), user=reviewer)
    make_mark(supplier_a, "committee_elected", on=date(2025, 9, 15), user=reviewer)
    make_mark(supplier_b, "policy_communicated", on=date(2025, 4, 10), user=reviewer)
    unmarked = make_org(name="Gamma Unmarked AB")
    client.login(reviewer)
    html = client.get("/review/ladder").get_data(as_text=True)

    standing = html.split("Where each supplier stands")[1].split("The climb over time")[0]
    assert re.search(r"Alfa Data AB</a></th>\s*<td class=\"numeric\">4</td>", standing)
    assert re.search(r"Beta Devices Ltd</a></th>\s*<td class=\"numeric\">1</td>", standing)
    assert unmarked.name in standing

    svg = re.search(r"<svg .*?</svg>", html, re.DOTALL).group(0)
    assert 'role="img"' in svg
    assert 'aria-labelledby="climb-chart-title climb-chart-desc"' in svg
    assert '<title id="climb-chart-title">Ladder step of each supplier over time</title>' in svg
    desc = re.search(r'<desc id="climb-chart-desc">(.*?)</desc>', svg, re.DOTALL).group(1)
    assert "Alfa Data AB: step 4 now." in desc
    assert "Beta Devices Ltd: step 1 now." in desc
    assert " style=" not in svg
    assert "<script" not in svg
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # no inline script anywhere
    assert svg.count("<polyline") == 2
    assert unmarked.name not in svg
    for step in range(7):
        assert f'text-anchor="end">{step}</text>' in svg  # steps 0–6 on the y axis

    in_chart = set(re.findall(r"<title>([^<]+), (\d{1,2} \w{3} \d{4}): step (\d)</title>", svg))
    table = html.split('id="climb-table"')[1].split("</table>")[0]
    in_table = set(
        re.findall(
            r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td><td class="numeric">(\d)</td></tr>',
            table,
        )
    )
    assert (
        in_chart
        == in_table
        == {
            ("Alfa Data AB", "1 Feb 2025", "3"),
            ("Alfa Data AB", "15 Sep 2025", "4"),
            ("Beta Devices Ltd", "10 Apr 2025", "1"),
        }
    )
    # The table follows the chart directly.
    assert html.index("</svg>") < html.index('id="climb-table"')
    assert "<h2" not in html[html.index("</svg>") : html.index('id="climb-table"')]


def test_the_overview_says_so_when_nothing_is_marked(client, ladder, reviewer, supplier_a):
    client.login(reviewer)
    html = client.get("/review/ladder").get_data(as_text=True)
    assert "No milestones have been marked yet." in html
    assert "<svg" not in html


def test_the_overview_takes_the_same_queries_for_any_number_of_suppliers(
    client, ladder, reviewer, supplier_a, supplier_b, count_queries
):
    make_mark(supplier_a, "policy_communicated", user=reviewer)
    make_mark(supplier_b, "policy_communicated", user=reviewer)
    client.login(reviewer)
    client.get("/review/ladder")
    with count_queries() as few:
        assert client.get("/review/ladder").status_code == 200
    for n in range(12):
        organisation = make_org(name=f"Many Suppliers {n} AB")
        make_mark(organisation, "policy_communicated", user=reviewer)
        make_mark(organisation, "workers_trained", on=date(2025, 5, n + 1), user=reviewer)
    with count_queries() as many:
        html = client.get("/review/ladder").get_data(as_text=True)
    assert "Many Suppliers 11 AB" in html
    assert few.count == many.count


# Exports and the audit log ---------------------------------------------------------------------
def test_exports_are_attachments_with_formulas_neutralised(client, ladder, reviewer):
    risky = make_org(name='=HYPERLINK("http://example.invalid","x")')
    make_mark(risky, "policy_communicated", user=reviewer, note="+SUM(A1:A2)")
    make_mark(risky, "workers_trained", user=reviewer, note="@fetch")
    client.login(reviewer)

    reply = client.get("/review/ladder/export.csv")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/csv")
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(reply.get_data().decode("utf-8-sig"))))
    assert rows[0] == services.EXPORT_HEADER
    mine = [row for row in rows[1:] if "HYPERLINK" in row[0]]
    assert len(mine) == 6  # one row per milestone to mark
    assert all(row[0].startswith("'=") for row in mine)
    assert [row[3] for row in mine] == ["2"] * 6  # the ladder step
    assert [row[4:6] for row in mine] == [["", ""]] * 6  # no brands named
    assert [row[8] for row in mine] == ["achieved", "achieved", "", "", "", ""]
    assert mine[0][12] == "'+SUM(A1:A2)"
    assert mine[1][12] == "'@fetch"

    reply = client.get("/review/ladder/export.xlsx")
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    sheet = openpyxl.load_workbook(io.BytesIO(reply.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == services.EXPORT_HEADER
    row = next(r for r in values[1:] if "HYPERLINK" in r[0])
    assert row[0].startswith("'=")
    assert row[3] == 2  # a number, not text
    assert row[12] == "'+SUM(A1:A2)"
    assert client.get("/review/ladder/export.pdf").status_code == 404


def test_every_mark_is_in_the_audit_log_with_its_actor(client, ladder, reviewer, supplier_a):
    client.login(reviewer)
    client.submit(
        f"/review/ladder/{supplier_a.id}",
        _marks_form(("policy_communicated", "achieved"), ("workers_trained", "partly")),
    )
    events = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "ladder.marked").order_by(AuditEvent.id)
    ).all()
    assert [(e.details["milestone"], e.details["status"]) for e in events] == [
        ("policy_communicated", "achieved"),
        ("workers_trained", "partly"),
    ]
    assert {(e.actor_id, e.actor_email, e.organisation_id) for e in events} == {
        (reviewer.id, reviewer.email, supplier_a.id)
    }
    assert {e.target_type for e in events} == {"milestone_marks"}

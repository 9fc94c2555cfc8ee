"""Table questions and how every answer reads: tables with their column labels, units and
option labels wherever a person reads them; a table's problems naming the row and the column
and marking only the cells at fault; saving with problems staying on the section."""

import re
from html.parser import HTMLParser

import pytest

from portal.extensions import db
from portal.questionnaires.models import Answer, Response
from portal.questionnaires.services import publish, start
from portal.timeutil import utcnow
from tests.fixtures.builders import make_answer, make_round, response_of

BRANDS = "brands_covered"


class _Fields(HTMLParser):
    """Every input and select of a page by id, with its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, dict] = {}
        self.ids: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("id"):
            self.fields[attrs["id"]] = attrs
        if attrs.get("id"):
            self._open.append(attrs["id"])
            self.ids.setdefault(attrs["id"], "")

    def handle_data(self, data):
        for element_id in self._open:
            self.ids[element_id] += data

    def handle_endtag(self, tag):
        if self._open and tag in ("li", "p", "div", "a", "h2", "caption", "label"):
            self._open.pop()


def _fields(html: str) -> _Fields:
    parser = _Fields()
    parser.feed(html)
    return parser


@pytest.fixture
def shipped(app_context, admin, supplier_a):
    """A started response to the shipped ict-social v1, as supplier A's."""
    version, _ = publish("ict-social", 1)
    db.session.commit()
    return response_of(make_round(version, [supplier_a], opened_by=admin), supplier_a)


def _section(response, key="transparency"):
    return f"/responses/{response.id}/sections/{key}"


def _brand_rows(*rows) -> dict:
    data = {}
    for index, (name, category, share) in enumerate(rows):
        data[f"q_{BRANDS}-{index}-brand_name"] = name
        data[f"q_{BRANDS}-{index}-product_category"] = category
        data[f"q_{BRANDS}-{index}-volume_share"] = share
    return data


def _started(client, owner, response):
    client.login(owner)
    client.submit(f"/responses/{response.id}/start", page=f"/responses/{response.id}")


def _submitted(response):
    """Submitted as it stands (the route's checks are tested elsewhere)."""
    row = db.session.get(Response, response.id)
    row.status, row.submitted_at = "submitted", utcnow()
    db.session.commit()


def test_every_cell_is_labelled_with_its_own_row_and_column(client, owner_a, shipped):
    _started(client, owner_a, shipped)
    client.submit(_section(shipped), _brand_rows(("Acme", "pcs", "60"), ("Borealis", "", "")))
    page = _fields(client.get(_section(shipped)).get_data(as_text=True))
    # Two stored rows and two spare ones, every cell named by its column and its row.
    for row in range(1, 5):
        for column, label in (
            ("brand_name", "Brand name"),
            ("product_category", "Product category"),
            ("volume_share", "Share of contract volume"),
        ):
            cell = page.fields[f"q_{BRANDS}-{row - 1}-{column}"]
            assert cell["aria-label"] == f"{label}, row {row}"
    assert f"q_{BRANDS}-4-brand_name" not in page.fields


def test_table_problems_name_the_row_and_column_and_mark_only_those_cells(client, owner_a, shipped):
    _started(client, owner_a, shipped)
    data = _brand_rows(("Acme", "pcs", "60"), ("Borealis", "", "120"))
    saved = client.submit(_section(shipped), {**data, "next": "next"})

    # The supplier stays on the section, told the draft is saved and what is wrong.
    assert saved.status_code == 200
    html = saved.get_data(as_text=True)
    assert "<title>Error: " in html
    assert "Your answers are saved, but 1 needs attention:" in html
    assert "Your answers are saved.<" not in html
    question = "Which brands do you sell under the…"
    assert (
        f'<a href="#q_{BRANDS}-1-product_category">{question}: fill in Product category in '
        "row 2.</a>" in html
    )
    assert (
        f'<a href="#q_{BRANDS}-1-volume_share">{question}: row 2, Share of contract volume: '
        "enter 100 or less.</a>" in html
    )

    page = _fields(html)
    invalid = {i for i, attrs in page.fields.items() if attrs.get("aria-invalid") == "true"}
    assert invalid == {f"q_{BRANDS}-1-product_category", f"q_{BRANDS}-1-volume_share"}
    share = page.fields[f"q_{BRANDS}-1-volume_share"]
    assert (
        page.ids[share["aria-describedby"]] == "Row 2, Share of contract volume: enter 100 or less."
    )
    assert share["value"] == "120"  # kept as typed

    # The draft is saved, invalid value and all.
    answer = db.session.scalar(
        db.select(Answer).where(Answer.response_id == shipped.id, Answer.question_key == BRANDS)
    )
    assert answer.value[1] == {
        "brand_name": "Borealis",
        "product_category": None,
        "volume_share": 120,
    }
    assert len(answer.problems) == 2

    # Put right, the same button goes on to the next section.
    fixed = _brand_rows(("Acme", "pcs", "60"), ("Borealis", "monitors", "40"))
    onward = client.submit(_section(shipped), {**fixed, "next": "next"})
    assert onward.status_code == 302
    assert onward.headers["Location"].endswith("/sections/risk_assessment")


def test_rows_are_numbered_as_stored_when_a_row_in_between_is_left_empty(client, owner_a, shipped):
    _started(client, owner_a, shipped)
    data = {**_brand_rows(("Acme", "pcs", "60"), ("", "", "")), **_brand_rows()}
    data.update({f"q_{BRANDS}-2-brand_name": "Corvid", f"q_{BRANDS}-2-volume_share": "abc"})
    html = client.submit(_section(shipped), data).get_data(as_text=True)
    # The empty row is dropped, so Corvid is row 2 in the message and on the page.
    page = _fields(html)
    assert page.fields[f"q_{BRANDS}-1-brand_name"]["value"] == "Corvid"
    assert page.fields[f"q_{BRANDS}-1-volume_share"]["aria-invalid"] == "true"
    assert "Row 2, Share of contract volume: enter a number, such as 12 or 12.5." in html


def test_saving_without_problems_still_says_saved_and_moves_on(client, owner_a, shipped):
    _started(client, owner_a, shipped)
    reply = client.submit(
        _section(shipped),
        {**_brand_rows(("Acme", "pcs", "100")), "next": "next"},
        follow_redirects=True,
    )
    html = reply.get_data(as_text=True)
    assert "Your answers are saved." in html
    assert "need attention" not in html
    assert reply.request.path == _section(shipped, "risk_assessment")


def test_problems_stored_in_the_old_form_still_render(client, owner_a, response_a):
    _started(client, owner_a, response_a)
    make_answer(
        response_a,
        "risks",
        [{"factory": None, "severity": 9}],
        problems=["Row 1: fill in Factory.", "Row 1: Enter 5 or less."],
        user=owner_a,
    )
    html = client.get(f"/responses/{response_a.id}/sections/details").get_data(as_text=True)
    page = _fields(html)
    assert page.fields["q_risks-0-factory"]["aria-invalid"] == "true"
    assert page.fields["q_risks-0-severity"]["aria-invalid"] == "true"
    assert "aria-invalid" not in page.fields["q_risks-1-factory"]
    assert "Row 1, Severity: enter 5 or less." in html
    # A summary lists them on every visit, without taking the focus.
    assert "1 answer needs attention:" in html
    answers = client.get(f"/responses/{response_a.id}/answers").get_data(as_text=True)
    assert "Row 1: Enter 5 or less." in answers


def test_a_table_answer_reads_as_a_table_wherever_it_is_read(
    client, make_client, owner_a, shipped, reviewer
):
    _started(client, owner_a, shipped)
    client.submit(
        _section(shipped),
        {
            **_brand_rows(("Acme", "pcs", "60"), ("Borealis", "desktop_equipment", "40")),
            "q_supplier_role": "reseller",
        },
    )
    client.submit(
        _section(shipped, "risk_assessment"),
        {
            "q_risk_assessment_by": "supplier_only",
            "q_risk_assessment_scope": ["final_assembly", "main_components"],
        },
    )

    def assert_readable(html):
        assert '<th scope="col">Brand name</th>' in html
        assert '<th scope="col">Share of contract volume (%)</th>' in html
        assert "<td>PCs</td>" in html
        assert "<td>Desktop equipment (headsets, keyboards, mice)</td>" in html
        assert '<td class="numeric">60</td>' in html
        assert not re.search(r">\s*(pcs|desktop_equipment|reseller|final_assembly)\s*<", html)

    answers = client.get(f"/responses/{shipped.id}/answers").get_data(as_text=True)
    assert_readable(answers)
    assert "<li>Final assembly</li>" in answers
    history = client.get(f"/responses/{shipped.id}/history").get_data(as_text=True)
    assert_readable(history)
    assert not re.search(r"<td>\s*2\s*</td>", history)  # never the number of rows

    _submitted(shipped)
    assert_readable(client.get(_section(shipped)).get_data(as_text=True))
    staff = make_client()
    staff.login(reviewer)
    assert_readable(staff.get(f"/review/responses/{shipped.id}").get_data(as_text=True))


def test_choices_read_as_their_labels(client, owner_a, response_a):
    _started(client, owner_a, response_a)
    client.submit(
        f"/responses/{response_a.id}/sections/details",
        {"q_methods": ["audits", "dialogue"], "q_audit_scheme": "sa8000"},
    )
    html = client.get(f"/responses/{response_a.id}/answers").get_data(as_text=True)
    assert "<li>Audits</li><li>Dialogue</li>" in html
    assert '<p class="readonly-answer">SA8000</p>' in html
    assert ">audits<" not in html


def test_the_overview_groups_submit_problems_by_section_as_sentences(client, owner_a, response_a):
    _started(client, owner_a, response_a)
    client.submit(
        f"/responses/{response_a.id}/sections/basics", {"q_has_policy": "no", "q_workers": "x"}
    )
    client.submit(
        f"/responses/{response_a.id}/sections/details",
        {"q_methods": ["dialogue"], "q_risks-0-severity": "7"},
    )
    reply = client.submit(f"/responses/{response_a.id}/submit", page=f"/responses/{response_a.id}")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 422
    summary = html[
        html.index('class="error-summary"') : html.index("</div>", html.index("error-summary"))
    ]
    basics, details = summary.index("<h3>Basics</h3>"), summary.index("<h3>Details</h3>")
    workers = summary.index("Number of workers: enter a number, such as 12 or 12.5.")
    factory = summary.index("Prioritised risks: fill in Factory in row 1.")
    severity = summary.index("Prioritised risks: row 1, Severity: enter 5 or less.")
    assert basics < workers < details < factory < severity


def test_a_reviewer_reads_the_evidence_note_and_an_old_note_still_reads(
    client, make_client, owner_a, response_a, reviewer
):
    start(response_a, user=owner_a, carry_from=None)
    make_answer(response_a, "has_policy", "no", user=owner_a)
    make_answer(response_a, "certificate", {"note": "Page 3 shows the scope."}, user=owner_a)
    _submitted(response_a)
    staff = make_client()
    staff.login(reviewer)
    html = staff.get(f"/responses/{response_a.id}/answers").get_data(as_text=True)
    assert "<strong>Note on the documents:</strong> Page 3 shows the scope." in html

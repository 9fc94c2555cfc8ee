"""Steps of a supplier's journey through any questionnaire version, derived from its
definition: what to type or tick for each question comes from the question's type and limits
(portal.questionnaires.samples), and is entered through the page as a person would."""

import re
from pathlib import Path

from playwright.sync_api import expect

from portal.questionnaires.definitions import passes
from portal.questionnaires.labels import EVIDENCE_LABELS
from portal.texts import text_in
from tests.e2e.conftest import assert_accessible, status

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def en(text: dict) -> str:
    return text_in(text, "en")


def factory_list_file(folder: Path, brands: list[str]) -> Path:
    """A CSV as a supplier's own system might export it: one final-assembly factory per brand
    and a component factory shared by all."""
    lines = ["Factory name,Address,City,Country,Role,Brand,Component"]
    for n, brand in enumerate(brands, start=1):
        lines.append(
            f"{brand} Assembly Plant {n},Industrial Road {n},Kunshan,CN,Final assembly,{brand},"
        )
    lines.append(
        'Huanan Mainboard Co.,8 Keji Road,Shenzhen,CN,Main component,"'
        + ", ".join(brands)
        + '",Mainboard/PCB'
    )
    path = folder / "our-factories.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_factories(page, path: Path, expected: int) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Factory list").click()
    page.get_by_role("link", name="Import from a file").click()
    page.get_by_label("Factory list (CSV or XLSX)").set_input_files(path)
    page.get_by_role("button", name="Upload and check").click()
    # The same file every time: the page that checks it is checked with axe in
    # tests/e2e/test_factory_register.py.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    page.get_by_role("button", name="Add the factories").click()
    expect(status(page).first).to_contain_text(f"{expected} factories were added")


def _enter(page, box, question: dict, value) -> None:
    kind = question["type"]
    label = en(question["text"])
    if kind in ("short_text", "long_text", "url", "date", "number"):
        box.get_by_label(label).fill(str(value))
    elif kind == "yes_no":
        box.get_by_label("Yes" if value == "yes" else "No", exact=True).check()
    elif kind in ("single_choice", "multiple_choice"):
        labels = {o["value"]: en(o["label"]) for o in question["options"]}
        if kind == "single_choice" and len(question["options"]) > 7:
            box.get_by_label(label).select_option(label=labels[value])
            return
        for chosen in [value] if kind == "single_choice" else value:
            box.get_by_label(labels[chosen], exact=True).check()
    elif kind == "evidence":
        box.get_by_label(re.compile("^Note on the documents")).fill(value["note"])
    elif kind == "table":
        _fill_table(page, box, question, value)


def _fill_table(page, box, question: dict, rows: list[dict]) -> None:
    for number, row in enumerate(rows, start=1):
        for column in question["columns"]:
            cell = box.get_by_label(f"{en(column['label'])}, row {number}", exact=True)
            if column["type"] == "single_choice":
                cell.select_option(value=row[column["key"]])
            else:
                cell.fill(str(row[column["key"]]))


def document_kind(question: dict, answer) -> str:
    """The kind of document to attach: the one an answer that satisfies later questions
    needs (`satisfies`), else the first kind the question accepts."""
    rule = question.get("satisfies")
    if rule and passes(rule["when"], answer):
        return rule["evidence"]
    return question["evidence"][0]


def attach_document(
    page, box, question: dict, kind: str | None = None, *, check_a11y: bool = True
) -> None:
    """Attach a small PDF of `kind` (default: the first kind the question accepts), and come
    back."""
    box.get_by_role("link", name=re.compile("^Attach a document")).click()
    expect(page.get_by_label("File", exact=True)).to_be_visible()
    if check_a11y:
        assert_accessible(page)
    page.get_by_label("File", exact=True).set_input_files(
        {"name": f"{question['key']}.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_label("What the document is").select_option(
        label=str(EVIDENCE_LABELS[kind or question["evidence"][0]])
    )
    page.get_by_role("button", name="Upload").click()
    expect(status(page).first).to_contain_text("is attached")


def fill_section(
    page, definition, section: dict, answers: dict, *, check_a11y: bool, check_upload: bool = True
) -> None:
    """Answer the section's questions as `answers` says, through the page. The page must show
    exactly the questions the definition makes visible for those answers. `check_a11y`
    checks the section's page, `check_upload` (with it) the page to attach a document."""
    expect(page.get_by_role("heading", level=1)).to_have_text(en(section["title"]))
    documents = []
    for question in section["questions"]:
        key = question["key"]
        box = page.locator(f"#question-{key}")
        if question["type"] in ("guidance", "factory_list"):
            continue
        if key not in answers:
            expect(box).to_be_hidden()
            continue
        expect(box).to_be_visible()
        _enter(page, box, question, answers[key])
        if question.get("evidence") and (not documents or question.get("satisfies")):
            # One document per section shows the way there and back; an answer that other
            # questions rely on gets the document it needs (tests/test_evidence.py attaches
            # one to every question that takes documents, over HTTP).
            documents.append(question)
    if check_a11y:
        assert_accessible(page)
    if documents:
        page.get_by_role("button", name="Save draft").click()
        expect(status(page).first).to_contain_text("Your answers are saved.")
        for number, question in enumerate(documents):
            box = page.locator(f"#question-{question['key']}")
            kind = document_kind(question, answers[question["key"]])
            # The upload page is the same for every question: checked once at most.
            check = check_a11y and check_upload and number == 0
            attach_document(page, box, question, kind, check_a11y=check)
            expect(page.get_by_role("heading", level=1)).to_have_text(en(section["title"]))

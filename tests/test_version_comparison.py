"""What changed between two versions of a questionnaire, told with the questions' own words:
section titles, question texts and names for what else changed, never keys."""

import html as html_module
import re

import pytest

from portal.extensions import db
from portal.questionnaires.labels import ATTRIBUTE_LABELS
from portal.questionnaires.schemas import Question
from portal.questionnaires.services import compare_by_section, publish

COMPARE = "/questionnaires/ict-social/compare?from=1&to=2"


def test_every_question_attribute_has_a_name_in_words():
    attributes = set(Question().fields) - {"key", "text"}
    assert attributes <= set(ATTRIBUTE_LABELS), attributes - set(ATTRIBUTE_LABELS)


@pytest.fixture
def shipped(app_context):
    """The shipped questionnaire's two versions, from the real folder."""
    old, _ = publish("ict-social", 1)
    new, _ = publish("ict-social", 2)
    db.session.commit()
    return old, new


def _text(html: str) -> str:
    """What a reader sees of the page's main part: no tags, entities decoded."""
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return html_module.unescape(re.sub(r"<[^>]+>", " ", main))


@pytest.mark.parametrize(
    ("lang", "also_changed", "words"),
    [
        ("en", "Also changed:", ["help text", "rubric"]),
        ("sv", "Också ändrat:", ["hjälptext", "bedömningsmall"]),
    ],
)
def test_the_shipped_versions_are_compared_in_words(
    client, shipped, owner_a, lang, also_changed, words
):
    old, new = shipped
    client.login(owner_a)
    page = client.get(COMPARE, headers={"Accept-Language": lang}).get_data(as_text=True)
    shown = _text(page)
    groups = compare_by_section(old.definition, new.definition)
    assert len(groups) > 3
    for section, changes in groups:
        assert f"<h2>{html_module.escape(section['title'][lang])}</h2>" in page
        for change in changes:
            question = change.new or change.old
            assert " ".join(question["text"][lang].split()) in " ".join(shown.split())
            assert change.key not in shown  # the reader never sees a key
    assert also_changed in shown
    for word in words:
        assert word in shown
    for yaml_key in ("show_if", "max_length", "help,", "rubric,"):
        assert yaml_key not in shown

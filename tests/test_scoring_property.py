"""The scoring rule rewards doing more, never less, on every shipped questionnaire version.

Answers to the questions that decide what is asked (conditions, answers that satisfy others,
caps) and grades are generated (Hypothesis); for each shipped version:

- a better rubric level for any one gradable question never lowers its section's score or
  the total;
- a section's maximum is fixed by the definition, whatever the answers;
- answers that leave follow-up questions unasked never outscore the same answers with those
  follow-ups asked, however they are graded.
"""

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.definitions import ROOT
from portal.definitions import file_for as definition_file
from portal.questionnaires.definitions import Definition, load_file
from portal.review import scoring
from tests.fixtures.builders import shipped_versions

SHIPPED = shipped_versions()
DEFINITIONS = {
    (key, number): Definition(load_file(definition_file(key, number, ROOT))[0])
    for key, number in SHIPPED
}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
versions = pytest.mark.parametrize(
    "version", list(DEFINITIONS), ids=[f"{k}-v{n}" for k, n in DEFINITIONS]
)


def _deciding(definition: Definition) -> list[dict]:
    """The questions whose answers decide what is asked, credited or capped."""
    keys = set()
    for question in definition.questions.values():
        if question.get("show_if"):
            keys.add(question["show_if"]["question"])
        if question.get("rubric_cap"):
            keys.add(question["rubric_cap"]["when"]["question"])
        if question.get("satisfies"):
            keys.add(question["key"])
    return [q for k, q in definition.questions.items() if k in keys]


def _answer(question: dict):
    kind = question["type"]
    if kind == "yes_no":
        return st.sampled_from([None, "yes", "no"])
    values = [o["value"] for o in question.get("options", [])]
    if kind == "single_choice":
        return st.sampled_from([None, *values])
    if kind == "multiple_choice":
        return st.lists(st.sampled_from(values), unique=True)
    return st.sampled_from([None, "Example answer"])


def answers(definition: Definition):
    deciding = _deciding(definition)
    return st.fixed_dictionaries({q["key"]: _answer(q) for q in deciding})


def grades(definition: Definition):
    gradable = [q for q in definition.questions.values() if q.get("rubric")]
    return st.fixed_dictionaries(
        {
            q["key"]: st.sampled_from([None, *[level["points"] for level in q["rubric"]]])
            for q in gradable
        }
    )


def _score(definition, values, given_grades):
    return scoring.compute(definition, values, given_grades, "en", 15)


@versions
def test_a_better_grade_never_lowers_a_score(version):
    definition = DEFINITIONS[version]

    @SETTINGS
    @given(values=answers(definition), given_grades=grades(definition), data=st.data())
    def check(values, given_grades, data):
        key = data.draw(st.sampled_from(sorted(given_grades)), label="question")
        levels = [level["points"] for level in definition.questions[key]["rubric"]]
        low = given_grades[key]
        higher = [p for p in levels if low is None or p > low]
        if not higher:
            return
        raised = given_grades | {key: data.draw(st.sampled_from(higher), label="raised to")}
        before, after = _score(definition, values, given_grades), _score(definition, values, raised)
        section = definition.section_of[key]
        [old] = [p for p in before.sections if p.key == section]
        [new] = [p for p in after.sections if p.key == section]
        assert new.points >= old.points - 1e-9
        assert after.total >= before.total - 1e-9

    check()


@versions
def test_a_sections_maximum_does_not_depend_on_the_answers(version):
    definition = DEFINITIONS[version]
    fixed = {s["key"]: scoring.section_maximum(s) for s in definition.sections}

    @SETTINGS
    @given(values=answers(definition), given_grades=grades(definition))
    def check(values, given_grades):
        scores = _score(definition, values, given_grades)
        assert {p.key: p.maximum for p in scores.sections} == fixed
        assert scores.weight_sum == sum(
            s.get("weight", 0) for s in definition.sections if fixed[s["key"]]
        )

    check()


@versions
def test_the_award_points_follow_the_shares_the_market_maturity_uses(version):
    """A response's award points are each question's share of them (Definition.award_shares,
    which the market maturity sums per criterion) times how much of its rubric it earned."""
    definition = DEFINITIONS[version]
    shares = definition.award_shares
    assert sum(shares.values()) == pytest.approx(1)

    @SETTINGS
    @given(values=answers(definition), given_grades=grades(definition))
    def check(values, given_grades):
        scores = _score(definition, values, given_grades)
        earned = sum(
            shares[line.key] * line.share / line.weight
            for part in scores.sections
            for line in part.lines
        )
        assert scores.award_points == pytest.approx(15 * earned)

    check()


def test_sections_without_weights_share_no_award_points():
    content = yaml.safe_load(
        (ROOT.parent / "tests/fixtures/questionnaires/market/v1.yaml").read_text(encoding="utf-8")
    )
    for section in content["sections"]:
        section.pop("weight", None)
    shares = Definition(content).award_shares
    assert shares
    assert set(shares.values()) == {0.0}


def _follow_up_paths(definition: Definition) -> list[tuple[str, object]]:
    """(question, value) pairs: an answer that shows follow-up questions."""
    paths = []
    for question in definition.questions.values():
        condition = question.get("show_if")
        if not condition:
            continue
        for value in (condition.get("equals"), *condition.get("in_", [])):
            if value is not None:
                paths.append((condition["question"], value))
        if "includes" in condition:
            paths.append((condition["question"], ("includes", condition["includes"])))
    return sorted(set(paths), key=str)


@versions
def test_leaving_follow_ups_unasked_never_outscores_asking_them(version):
    definition = DEFINITIONS[version]
    paths = _follow_up_paths(definition)

    @SETTINGS
    @given(
        values=answers(definition),
        given_grades=grades(definition),
        path=st.sampled_from(paths),
        data=st.data(),
    )
    def check(values, given_grades, path, data):
        key, shown_by = path
        asked = dict(values)
        if isinstance(shown_by, tuple):  # a multiple choice that includes a value
            asked[key] = sorted({*(values.get(key) or []), shown_by[1]})
        else:
            asked[key] = shown_by
        visible_no, visible_yes = definition.visible_keys(values), definition.visible_keys(asked)
        credited_no, credited_yes = set(definition.credits(values)), set(definition.credits(asked))
        if not (visible_no <= visible_yes and credited_no <= credited_yes):
            return  # the answers ask other questions, not more: nothing to compare
        # The questions asked either way keep their grades; those only asked now get any level.
        graded_yes = dict(given_grades)
        for follow_up in sorted(visible_yes - visible_no):
            question = definition.questions[follow_up]
            if question.get("rubric"):
                levels = [level["points"] for level in question["rubric"]]
                graded_yes[follow_up] = data.draw(st.sampled_from(levels), label=follow_up)
        no, yes = _score(definition, values, given_grades), _score(definition, asked, graded_yes)
        assert yes.total >= no.total - 1e-9
        for old, new in zip(no.sections, yes.sections, strict=True):
            assert new.points >= old.points - 1e-9, old.key

    check()

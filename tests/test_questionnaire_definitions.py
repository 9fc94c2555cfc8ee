"""Questionnaire definitions as data: checking, publishing, and never changing once used."""

import shutil
from pathlib import Path

import pytest
import yaml

from portal.definitions import ROOT, PublishError
from portal.questionnaires.definitions import Definition, load_file
from portal.questionnaires.fieldtypes import REGISTRY
from portal.questionnaires.schemas import CRITERIA
from portal.questionnaires.services import changed_keys, compare, publish
from tests.fixtures.builders import QUESTIONNAIRE_FIXTURES, make_round, publish_version


def _write(tmp_path: Path, content: dict, key="demo", number=1) -> Path:
    folder = tmp_path / key
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"v{number}.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


def _base() -> dict:
    return yaml.safe_load((QUESTIONNAIRE_FIXTURES / "mini" / "v1.yaml").read_text()) | {
        "key": "demo"
    }


def _problems(tmp_path, content) -> list[str]:
    return [f"{p.path}: {p.message}" for p in load_file(_write(tmp_path, content))[1]]


def test_the_shipped_questionnaire_passes_the_check(app):
    result = app.test_cli_runner().invoke(args=["questionnaires", "check"])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_the_shipped_questionnaire_covers_every_criterion_and_type():
    content, problems = load_file(ROOT / "ict-social" / "v1.yaml")
    assert problems == []
    definition = Definition(content)
    criteria = {q.get("criterion") for q in definition.questions.values()}
    assert set(CRITERIA) <= criteria
    assert {q["type"] for q in definition.questions.values()} == set(REGISTRY)
    assert sum(s["weight"] for s in definition.sections) == 100


def test_version_two_is_a_real_revision():
    old = Definition(load_file(ROOT / "ict-social" / "v1.yaml")[0])
    new = Definition(load_file(ROOT / "ict-social" / "v2.yaml")[0])
    kinds = {c.kind for c in compare(old, new)}
    assert {"added", "removed", "reworded", "retyped"} <= kinds


def test_unknown_format_version_is_refused(tmp_path):
    assert _problems(tmp_path, _base() | {"format_version": 4}) == [
        "format_version: Unknown format_version 4; this portal reads format_version 1 or 2 or 3."
    ]


def test_problems_are_reported_with_their_path(tmp_path):
    content = _base()
    questions = content["sections"][0]["questions"]
    questions[2]["key"] = "has_policy"  # duplicate
    questions[1]["show_if"] = {"question": "workers", "equals": "1"}  # a later question
    questions[3]["text"] = {"en": "Workers"}  # Swedish missing
    content["sections"][1]["questions"][5]["rubric"] = [
        {"points": 0, "description": {"sv": "a", "en": "a"}},
        {"points": 1, "description": {"sv": "b", "en": "b"}},
    ]  # factory_list cannot be graded
    problems = _problems(tmp_path, content)
    assert any("questions[3].text.sv" in p and "Missing data" in p for p in problems), problems


def test_reference_problems_name_the_question(tmp_path):
    content = _base()
    questions = content["sections"][0]["questions"]
    questions[2]["key"] = "has_policy"
    questions[1]["show_if"] = {"question": "workers", "equals": "1"}
    content["sections"][1]["questions"][5]["rubric"] = [
        {"points": 0, "description": {"sv": "a", "en": "a"}},
        {"points": 1, "description": {"sv": "b", "en": "b"}},
    ]
    content["sections"][1]["questions"][0]["type"] = "slider"
    problems = _problems(tmp_path, content)
    assert (
        "sections[0].questions[2](has_policy).key: Duplicate question key 'has_policy'." in problems
    )
    assert (
        "sections[0].questions[1](has_policy).show_if.question: 'workers' is not an earlier "
        "question." in problems
    )
    assert (
        "sections[1].questions[5](factories).rubric: A factory_list question cannot be graded."
        in problems
    )
    assert any(
        p.startswith("sections[1].questions[0](methods).type: Unknown type 'slider'")
        for p in problems
    )


def test_a_condition_on_an_unknown_value_is_refused(tmp_path):
    content = _base()
    content["sections"][0]["questions"][2]["show_if"] = {
        "question": "has_policy",
        "equals": "maybe",
    }
    assert any("'maybe' is not a value of 'has_policy'" in p for p in _problems(tmp_path, content))


def test_publish_is_idempotent_and_stores_the_hash(app_context):
    version = publish_version(1)
    again, outcome = publish("mini", 1, root=QUESTIONNAIRE_FIXTURES)
    assert outcome == "unchanged"
    assert again.id == version.id
    assert len(version.content_hash) == 64


def test_a_version_with_responses_never_changes(app_context, tmp_path, supplier_a, admin):
    root = tmp_path / "q"
    shutil.copytree(QUESTIONNAIRE_FIXTURES, root)
    version = publish_version(1, root=root)
    make_round(version, [supplier_a], opened_by=admin)
    path = root / "mini" / "v1.yaml"
    path.write_text(path.read_text().replace("Contact person", "Contact"), encoding="utf-8")
    with pytest.raises(PublishError, match=r"already has responses.*Changed: name"):
        publish("mini", 1, root=root)


def test_a_version_without_responses_may_still_be_corrected(app_context, tmp_path):
    root = tmp_path / "q"
    shutil.copytree(QUESTIONNAIRE_FIXTURES, root)
    publish_version(1, root=root)
    path = root / "mini" / "v1.yaml"
    path.write_text(path.read_text().replace("Contact person", "Contact"), encoding="utf-8")
    version, outcome = publish("mini", 1, root=root)
    assert outcome == "updated"
    assert version.definition.questions["name"]["text"]["en"] == "Contact"


def test_publish_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["questionnaires", "publish", "ict-social", "1"])
    assert result.exit_code == 0, result.output
    assert "Published ict-social v1" in result.output
    again = runner.invoke(args=["questionnaires", "publish", "ict-social", "1"])
    assert again.exit_code == 0, again.output
    assert "ict-social v1 is already published and unchanged." in again.output
    missing = runner.invoke(args=["questionnaires", "publish", "ict-social", "99"])
    assert missing.exit_code == 1
    assert "does not exist" in missing.output


def test_changed_keys_lists_added_removed_and_edited():
    old = Definition(load_file(QUESTIONNAIRE_FIXTURES / "mini" / "v1.yaml")[0])
    new = Definition(load_file(QUESTIONNAIRE_FIXTURES / "mini" / "v2.yaml")[0])
    assert changed_keys(old, new) == ["workers", "audited_on", "name", "grievance"]


def test_check_command_lists_each_problem_with_file_and_path(app, tmp_path):
    content = _base()
    content["sections"][0]["questions"][2]["key"] = "has_policy"
    _write(tmp_path, content)
    result = app.test_cli_runner().invoke(
        args=["questionnaires", "check", "--folder", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert (
        "demo/v1.yaml: sections[0].questions[2](has_policy).key: Duplicate question key "
        "'has_policy'." in result.output
    )
    assert "1 problem(s) in 1 file(s)." in result.output


def test_publish_command_refuses_to_change_an_answered_version(
    app_context, app, tmp_path, supplier_a, admin
):
    root = tmp_path / "q"
    shutil.copytree(QUESTIONNAIRE_FIXTURES, root)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["questionnaires", "publish", "mini", "1", "--folder", str(root)])
    assert first.exit_code == 0, first.output
    version = publish("mini", 1, root=root)[0]
    make_round(version, [supplier_a], opened_by=admin)
    path = root / "mini" / "v1.yaml"
    path.write_text(path.read_text().replace("Number of workers", "Workers"), encoding="utf-8")
    result = runner.invoke(args=["questionnaires", "publish", "mini", "1", "--folder", str(root)])
    assert result.exit_code == 1
    assert (
        "mini v1 already has responses and cannot change. Changed: workers. "
        "Publish the change as v2 instead." in result.output
    )
    assert "mini v1 was not published." in result.output

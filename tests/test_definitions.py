"""Every kind of versioned definition shares one reader and one publishing rule: the same
content again changes nothing, a correction is taken while nothing refers to the version,
and a version in use never changes."""

import shutil
from datetime import date

import pytest
import yaml

from portal import definitions
from portal.extensions import db
from portal.ladder import services as ladder_services
from portal.questionnaires import services as questionnaire_services
from tests.fixtures.builders import QUESTIONNAIRE_FIXTURES, make_round


def test_questionnaires_and_the_ladder_raise_the_one_publish_error():
    assert questionnaire_services.PublishError is definitions.PublishError
    assert ladder_services.PublishError is definitions.PublishError


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "big" / "v1.yaml"
    path.parent.mkdir()
    path.write_text("key: big\n" + "# padding\n" * 200, encoding="utf-8")
    monkeypatch.setattr(definitions, "MAX_BYTES", 1000)
    content, problems = questionnaire_services.load_file(path)
    assert content is None
    assert [p.path for p in problems] == ["(file)"]
    assert problems[0].message.startswith("The file is larger than")


def test_the_check_reads_each_file_by_the_kind_it_declares(app, tmp_path):
    shutil.copytree(QUESTIONNAIRE_FIXTURES / "mini", tmp_path / "mini")
    ladder = yaml.safe_load((definitions.ROOT / ladder_services.LADDER_KEY / "v1.yaml").read_text())
    folder = tmp_path / ladder_services.LADDER_KEY
    folder.mkdir()
    (folder / "v1.yaml").write_text(yaml.safe_dump(ladder | {"format_version": 2}))
    result = app.test_cli_runner().invoke(
        args=["questionnaires", "check", "--folder", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "this portal reads ladder format_version 1." in result.output
    assert f"1 problem(s) in {len(definitions.definition_files(tmp_path))} file(s)." in (
        result.output
    )


def test_the_check_shows_where_a_file_is_not_valid_yaml(app, tmp_path):
    shutil.copytree(QUESTIONNAIRE_FIXTURES / "mini", tmp_path / "mini")
    path = tmp_path / "mini" / "v1.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "broken: here: twice")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["questionnaires", "check", "--folder", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "Not readable YAML: mapping values are not allowed here" in result.output
    # The line at fault, with a caret under the place.
    assert "line 4, column 13:\n    broken: here: twice\n                ^" in result.output


def _fanned_out(sections: int, questions: int, options: int) -> str:
    """A questionnaire whose one section, question and option are repeated by aliases."""
    return (
        "format_version: 1\nkey: bomb\nversion: 1\ntitle: {sv: Bomb, en: Bomb}\nsections:\n"
        "  - &section\n    key: only\n    title: {sv: Bara, en: Only}\n    questions:\n"
        "      - &question\n        key: pick\n        type: single_choice\n"
        "        text: {sv: Välj, en: Pick}\n        options:\n"
        "          - &option {value: a, label: {sv: a, en: a}}\n"
        + "          - *option\n" * (options - 1)
        + "      - *question\n" * (questions - 1)
        + "  - *section\n" * (sections - 1)
    )


@pytest.mark.parametrize(
    "text",
    [
        # 100,000 options, about 900,000 values, in 12 KB.
        _fanned_out(sections=10, questions=50, options=200),
        # A section list that holds itself.
        "format_version: 1\nkey: bomb\nversion: 1\ntitle: {sv: Bomb, en: Bomb}\n"
        "sections: &sections [*sections]\n",
    ],
    ids=["fanned-out", "itself"],
)
def test_the_check_refuses_a_file_whose_aliases_expand_it_beyond_reason(app, tmp_path, text):
    folder = tmp_path / "bomb"
    folder.mkdir()
    (folder / "v1.yaml").write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["questionnaires", "check", "--folder", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "more than 500,000 values with its aliases (*name) expanded" in result.output


def _answer(key, supplier, admin, reviewer):
    version = db.session.scalar(
        db.select(questionnaire_services.QuestionnaireVersion).where(
            questionnaire_services.QuestionnaireVersion.key == key
        )
    )
    make_round(version, [supplier], opened_by=admin)


def _mark(key, supplier, admin, reviewer):
    ladder_services.mark(
        supplier,
        "policy_communicated",
        "achieved",
        date(2025, 3, 1),
        None,
        "Minutes.",
        "",
        reviewer,
    )
    db.session.commit()


#: (command, key, the folder it is copied from, what refers to a version, how to refer to it)
KINDS = {
    "questionnaire": (
        ["questionnaires", "publish", "mini", "1"],
        "mini",
        QUESTIONNAIRE_FIXTURES / "mini",
        "responses",
        _answer,
    ),
    "ladder": (
        ["ladder", "publish", "1"],
        ladder_services.LADDER_KEY,
        definitions.ROOT / ladder_services.LADDER_KEY,
        "marks",
        _mark,
    ),
}


def _retitle(path, title):
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    content["title"]["en"] = title
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("kind", KINDS)
def test_one_publish_rule_for_every_kind(
    kind, app, app_context, tmp_path, supplier_a, admin, reviewer
):
    command, key, source, used_by, refer = KINDS[kind]
    shutil.copytree(source, tmp_path / key)
    runner = app.test_cli_runner()

    def publish():
        return runner.invoke(args=[*command, "--folder", str(tmp_path)])

    first = publish()
    assert first.exit_code == 0, first.output
    assert f"Published {key} v1 (" in first.output
    again = publish()
    assert again.exit_code == 0, again.output
    assert f"{key} v1 is already published and unchanged." in again.output

    path = tmp_path / key / "v1.yaml"
    _retitle(path, "Corrected before anyone used it")
    corrected = publish()
    assert corrected.exit_code == 0, corrected.output
    assert f"Updated {key} v1: it had no {used_by} yet." in corrected.output

    refer(key, supplier_a, admin, reviewer)
    _retitle(path, "Changed after it was used")
    refused = publish()
    assert refused.exit_code == 1
    assert f"{key} v1 already has {used_by} and cannot change." in refused.output
    assert "Publish the change as v2 instead." in refused.output
    assert "was not published." in refused.output

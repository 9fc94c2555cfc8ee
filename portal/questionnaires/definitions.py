"""Questionnaire definitions: checking the YAML files, and reading a definition.

Reading, hashing and publishing are shared with every kind of versioned definition
(`portal.definitions`); what is a questionnaire's own lives here.

A `Definition` wraps the checked content of one version (as stored in the database) and
answers the questions every page asks: which sections and questions there are, which are
visible given the answers so far, and what changed since another version.
"""

from functools import cached_property
from pathlib import Path

from portal.definitions import Problem, VersionedContent, load_definition
from portal.questionnaires.fieldtypes import REGISTRY
from portal.questionnaires.schemas import DefinitionSchema

COMMON_KEYS = frozenset(
    {"key", "type", "text", "help", "required", "criterion", "show_if", "rubric", "evidence"}
)


def load_file(path: Path) -> tuple[dict | None, list[Problem]]:
    """The checked content of a questionnaire definition file, or None and every problem."""
    return load_definition(path, DefinitionSchema(), check_references)


def check_references(content: dict) -> list[tuple[str, str]]:
    """Problems no schema can see: duplicate keys, unknown types, conditions that name an
    unknown or later question, rubrics on types that cannot be graded, stray keys."""
    problems = []
    seen_sections = set()
    seen: dict[str, dict] = {}
    for s_index, section in enumerate(content["sections"]):
        s_path = f"sections[{s_index}]"
        if section["key"] in seen_sections:
            problems.append((f"{s_path}.key", f"Duplicate section key {section['key']!r}."))
        seen_sections.add(section["key"])
        for q_index, question in enumerate(section["questions"]):
            path = f"{s_path}.questions[{q_index}]({question['key']})"
            problems += _check_question(question, path, seen)
            seen.setdefault(question["key"], question)
    return problems


def _check_question(question: dict, path: str, earlier: dict) -> list[tuple[str, str]]:
    problems = []
    key = question["key"]
    if key in earlier:
        problems.append((f"{path}.key", f"Duplicate question key {key!r}."))
    kind = REGISTRY.get(question["type"])
    if kind is None:
        known = ", ".join(sorted(REGISTRY))
        return [
            *problems,
            (f"{path}.type", f"Unknown type {question['type']!r}; use one of {known}."),
        ]
    stray = set(question) - COMMON_KEYS - kind.own_keys
    if kind.name == "guidance":
        stray |= set(question) & {"required", "criterion", "rubric", "evidence"}
    for name in sorted(stray):
        problems.append((f"{path}.{name}", f"Not allowed on a {kind.name} question."))
    if kind.answerable and "criterion" not in question:
        problems.append((f"{path}.criterion", "Name the criterion this question serves."))
    if "rubric" in question and not kind.gradable and kind.name != "guidance":
        problems.append((f"{path}.rubric", f"A {kind.name} question cannot be graded."))
    problems += [(f"{path}.{sub}", message) for sub, message in kind.check(question)]
    condition = question.get("show_if")
    if condition:
        problems += _check_condition(condition, path, earlier)
    return problems


def _check_condition(condition: dict, path: str, earlier: dict) -> list[tuple[str, str]]:
    target = earlier.get(condition["question"])
    where = f"{path}.show_if.question"
    if target is None:
        return [(where, f"{condition['question']!r} is not an earlier question.")]
    if target["type"] == "guidance":
        return [(where, "A condition cannot depend on guidance text.")]
    allowed = None
    if target["type"] == "yes_no":
        allowed = {"yes", "no"}
    elif target.get("options"):
        allowed = {o["value"] for o in target["options"]}
    values = [condition[k] for k in ("equals", "includes") if k in condition]
    values += condition.get("in_", [])
    if allowed is not None:
        wrong = [v for v in values if v not in allowed]
        if wrong:
            return [
                (f"{path}.show_if", f"{wrong[0]!r} is not a value of {condition['question']!r}.")
            ]
    if "includes" in condition and target["type"] != "multiple_choice":
        return [(f"{path}.show_if", "includes only works with a multiple_choice question.")]
    return []


class Definition(VersionedContent):
    """Read access to the content of one questionnaire version."""

    @property
    def sections(self) -> list[dict]:
        return self.content["sections"]

    def section(self, key: str) -> dict | None:
        return next((s for s in self.sections if s["key"] == key), None)

    @cached_property
    def questions(self) -> dict[str, dict]:
        """Every question by key, in file order."""
        return {q["key"]: q for s in self.sections for q in s["questions"]}

    @cached_property
    def section_of(self) -> dict[str, str]:
        return {q["key"]: s["key"] for s in self.sections for q in s["questions"]}

    def answerable(self, section: dict) -> list[dict]:
        return [q for q in section["questions"] if REGISTRY[q["type"]].answerable]

    def is_visible(self, question: dict, values: dict) -> bool:
        """Whether a question shows, given the stored values by question key. A question
        whose condition depends on a hidden question is hidden too."""
        condition = question.get("show_if")
        if not condition:
            return True
        target = self.questions.get(condition["question"])
        if target is None or not self.is_visible(target, values):
            return False
        value = values.get(condition["question"])
        if "equals" in condition:
            return value == condition["equals"]
        if "includes" in condition:
            return isinstance(value, list) and condition["includes"] in value
        return value in condition.get("in_", [])

    def visible_keys(self, values: dict) -> set[str]:
        return {k for k, q in self.questions.items() if self.is_visible(q, values)}

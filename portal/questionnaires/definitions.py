"""Questionnaire definitions: checking the YAML files, and reading a definition.

Reading, hashing and publishing are shared with every kind of versioned definition
(`portal.definitions`); what is a questionnaire's own lives here.

A `Definition` wraps the checked content of one version (as stored in the database) and
answers the questions every page asks: which sections and questions there are, which are
visible given the answers so far, and what changed since another version.
"""

import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from portal.definitions import Problem, VersionedContent, load_definition
from portal.questionnaires.fieldtypes import REGISTRY
from portal.questionnaires.schemas import DefinitionSchema

#: Question keys that only files declaring format_version 2 may use.
FORMAT_2_KEYS = ("weight", "satisfies", "rubric_cap")
#: Top-level keys that only files declaring format_version 3 may use.
FORMAT_3_KEYS = ("criteria", "market_questions")
COMMON_KEYS = frozenset(
    {"key", "type", "text", "help", "required", "criterion", "show_if", "rubric", "evidence"}
) | frozenset(FORMAT_2_KEYS)
#: The types whose answer can stand for later questions (`satisfies`).
SATISFYING_TYPES = ("yes_no", "single_choice", "multiple_choice")


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
    return problems + _check_format_2(content) + _check_format_3(content)


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
        stray |= set(question) & {"required", "criterion", "rubric", "evidence", *FORMAT_2_KEYS}
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


def _check_condition(
    condition: dict, path: str, earlier: dict, name: str = "show_if"
) -> list[tuple[str, str]]:
    target = earlier.get(condition["question"])
    where = f"{path}.{name}.question"
    if target is None:
        return [(where, f"{condition['question']!r} is not an earlier question.")]
    if target["type"] == "guidance":
        return [(where, "A condition cannot depend on guidance text.")]
    return _check_test(condition, target, f"{path}.{name}")


def _check_test(condition: dict, target: dict, where: str) -> list[tuple[str, str]]:
    """Problems of a test (equals / in / includes) of `target`'s answer."""
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
            return [(where, f"{wrong[0]!r} is not a value of {target['key']!r}.")]
    if "includes" in condition and target["type"] != "multiple_choice":
        return [(where, "includes only works with a multiple_choice question.")]
    return []


def _check_format_2(content: dict) -> list[tuple[str, str]]:
    """Weights, `satisfies` and `rubric_cap`: only in format 2, and only where they make sense."""
    problems = []
    order: dict[str, int] = {}
    listed = []
    for s_index, section in enumerate(content["sections"]):
        for q_index, question in enumerate(section["questions"]):
            order.setdefault(question["key"], len(order))
            path = f"sections[{s_index}].questions[{q_index}]({question['key']})"
            listed.append((question, path))
    by_key = {q["key"]: q for q, _ in reversed(listed)}
    for question, path in listed:
        used = [name for name in FORMAT_2_KEYS if name in question]
        if not used or question["type"] not in REGISTRY or question["type"] == "guidance":
            continue  # nothing to check, or already refused as an unknown type or stray key
        if content["format_version"] < 2:
            problems += [
                (f"{path}.{name}", f"{name} needs format_version: 2 at the top of the file.")
                for name in used
            ]
            continue
        if "weight" in question and not question.get("rubric"):
            problems.append((f"{path}.weight", "Only a question with a rubric has a weight."))
        if "satisfies" in question:
            problems += _check_satisfies(question, f"{path}.satisfies", order, by_key)
        if "rubric_cap" in question:
            # Its own answer may cap a question too (a claim among its choices).
            earlier = {k: q for k, q in by_key.items() if order[k] <= order[question["key"]]}
            problems += _check_cap(question, f"{path}.rubric_cap", earlier)
    return problems


def _check_format_3(content: dict) -> list[tuple[str, str]]:
    """`criteria` and `market_questions`: only in format 3, where `criteria` lists exactly the
    criteria the questions serve, each with its intended use."""
    used = [name for name in FORMAT_3_KEYS if name in content]
    if content["format_version"] < 3:
        return [(name, f"{name} needs format_version: 3 at the top of the file.") for name in used]
    if "criteria" not in content:
        return [("criteria", "List every criterion the questions serve, with its intended use.")]
    listed = content["criteria"]
    served = dict.fromkeys(
        q["criterion"] for s in content["sections"] for q in s["questions"] if "criterion" in q
    )
    problems = [
        ("criteria", f"Criterion {name!r} is served by a question: list it with its intended use.")
        for name in served
        if name not in listed
    ]
    problems += [
        (f"criteria.{name}", f"No question serves {name!r}: remove it.")
        for name in listed
        if name not in served
    ]
    return problems


def _check_satisfies(
    question: dict, path: str, order: dict[str, int], by_key: dict[str, dict]
) -> list[tuple[str, str]]:
    rule = question["satisfies"]
    if question["type"] not in SATISFYING_TYPES:
        return [(path, "Only a yes_no, single_choice or multiple_choice answer satisfies others.")]
    problems = _check_test(rule["when"], question, f"{path}.when")
    for index, key in enumerate(rule["questions"]):
        where = f"{path}.questions[{index}]"
        if key == question["key"]:
            problems.append((where, "A question cannot satisfy itself."))
        elif key not in by_key:
            problems.append((where, f"{key!r} is not a question of this file."))
        elif order[key] < order[question["key"]]:
            problems.append((where, f"{key!r} must come after the question that satisfies it."))
        elif by_key[key]["type"] == "guidance":
            problems.append((where, f"{key!r} is guidance text: there is nothing to credit."))
    if rule["evidence"] not in question.get("evidence", []):
        problems.append(
            (
                f"{path}.evidence",
                f"List {rule['evidence']!r} in this question's evidence too, so that the "
                "document can be attached to it.",
            )
        )
    return problems


def _check_cap(question: dict, path: str, earlier: dict) -> list[tuple[str, str]]:
    cap = question["rubric_cap"]
    if not question.get("rubric"):
        return [(path, "A rubric_cap needs a rubric to cap.")]
    problems = _check_condition(cap["when"], path, earlier, name="when")
    levels = [level["points"] for level in question["rubric"]]
    if cap["points"] not in levels[:-1]:
        below = ", ".join(f"{p:g}" for p in levels[:-1])
        problems.append(
            (f"{path}.points", f"Must be one of the rubric's levels below its top: {below}.")
        )
    return problems


def passes(test: dict, value) -> bool:
    """Whether an answer passes a test: `equals` a value, is `in` values, or (a list of
    choices) `includes` a value."""
    if "equals" in test:
        return value == test["equals"]
    if "includes" in test:
        return isinstance(value, list) and test["includes"] in value
    return value in test.get("in_", [])


def question_weight(question: dict) -> float:
    """A gradable question's share of its section (format 2 `weight`; 1 when not given)."""
    return float(question.get("weight", 1))


class Definition(VersionedContent):
    """Read access to the content of one questionnaire version.

    A published version's content never changes, so one Definition serves every request
    for it (`definition_for`): what it derives is worked out once and kept (`memo`). Nothing
    may change the content it holds.
    """

    def __init__(self, content: dict):
        super().__init__(content)
        self._memo: dict = {}

    def memo(self, key, build: Callable[[], object]):
        """What `build()` returns, made once for this content and kept under `key`: a
        section's form class, its page parts in a language."""
        try:
            return self._memo[key]
        except KeyError:
            made = self._memo[key] = build()
            return made

    @property
    def sections(self) -> list[dict]:
        return self.content["sections"]

    @cached_property
    def award_shares(self) -> dict[str, float]:
        """Each gradable question's part of the award points at the top of its rubric: its
        weight over the weights of its section's gradable questions, times its section's
        weight over the weights of the sections that have gradable questions. The parts add
        up to 1 (all are 0 when those sections weigh nothing). The scoring of a response
        (review.scoring) and the award points of the market maturity (rounds.maturity) both
        follow this rule."""
        sections = []
        for section in self.sections:
            gradable = [q for q in section["questions"] if q.get("rubric")]
            total = sum(question_weight(q) for q in gradable)
            if total:
                sections.append((float(section.get("weight", 0)), total, gradable))
        weight_sum = sum(weight for weight, _total, _gradable in sections)
        return {
            question["key"]: (
                question_weight(question) / total * weight / weight_sum if weight_sum else 0.0
            )
            for weight, total, gradable in sections
            for question in gradable
        }

    @property
    def criteria(self) -> dict[str, str]:
        """The intended use ("requirement", "award" or "clause") of each criterion, in the
        order the questions first serve them; empty before format 3."""
        listed = self.content.get("criteria") or {}
        served = dict.fromkeys(q["criterion"] for q in self.questions.values() if "criterion" in q)
        return {name: listed[name]["intended_use"] for name in served if name in listed}

    @property
    def asks_market_questions(self) -> bool:
        """Whether RFI and market-dialogue rounds of this version ask the market questions."""
        return bool(self.content.get("market_questions")) and bool(self.criteria)

    def section(self, key: str) -> dict | None:
        return self.sections_by_key.get(key)

    @cached_property
    def sections_by_key(self) -> dict[str, dict]:
        return {s["key"]: s for s in self.sections}

    def section_index(self, key: str) -> int:
        """The position of a section, from 0."""
        return self.section_keys.index(key)

    @cached_property
    def section_keys(self) -> list[str]:
        return [s["key"] for s in self.sections]

    @cached_property
    def questions(self) -> dict[str, dict]:
        """Every question by key, in file order."""
        return {q["key"]: q for s in self.sections for q in s["questions"]}

    @cached_property
    def section_of(self) -> dict[str, str]:
        return {q["key"]: s["key"] for s in self.sections for q in s["questions"]}

    def answerable(self, section: dict) -> list[dict]:
        return self.memo(
            ("answerable", section["key"]),
            lambda: [q for q in section["questions"] if REGISTRY[q["type"]].answerable],
        )

    def is_visible(self, question: dict, values: dict) -> bool:
        """Whether a question shows, given the stored values by question key. A question
        whose condition depends on a hidden question is hidden too, and so is a question an
        earlier answer satisfies (`satisfies`)."""
        if any(self.satisfies_now(s, values) for s in self.satisfied_by.get(question["key"], ())):
            return False
        condition = question.get("show_if")
        if not condition:
            return True
        target = self.questions.get(condition["question"])
        if target is None or not self.is_visible(target, values):
            return False
        return passes(condition, values.get(condition["question"]))

    def visible_keys(self, values: dict) -> set[str]:
        """The keys of the questions `is_visible` shows, worked out in one pass in file
        order: conditions and `satisfies` only ever name earlier questions."""
        visible: set[str] = set()
        for key, condition, satisfiers in self._visibility_rules:
            if satisfiers and any(
                s in visible and passes(when, values.get(s)) for s, when in satisfiers
            ):
                continue
            if condition and not (
                condition["question"] in visible
                and passes(condition, values.get(condition["question"]))
            ):
                continue
            visible.add(key)
        return visible

    @cached_property
    def _visibility_rules(self) -> list[tuple[str, dict | None, tuple]]:
        """Each question's key, condition, and the (key, test) of the answers that can
        satisfy it, in file order."""
        return [
            (
                key,
                question.get("show_if"),
                tuple(
                    (s, self.questions[s]["satisfies"]["when"])
                    for s in self.satisfied_by.get(key, ())
                ),
            )
            for key, question in self.questions.items()
        ]

    def depends_on(self, keys) -> frozenset[str]:
        """`keys` and the questions whose answers decide whether they show: the questions
        their conditions test and the answers that can satisfy them, and theirs in turn."""
        found: set[str] = set()
        waiting = list(keys)
        while waiting:
            key = waiting.pop()
            question = self.questions.get(key)
            if key in found or question is None:
                continue
            found.add(key)
            condition = question.get("show_if")
            if condition:
                waiting.append(condition["question"])
            waiting += self.satisfied_by.get(key, ())
        return frozenset(found)

    @cached_property
    def satisfied_by(self) -> dict[str, list[str]]:
        """For each question some answer can satisfy, the keys of those questions."""
        found: dict[str, list[str]] = {}
        for key, question in self.questions.items():
            for credited in question.get("satisfies", {}).get("questions", []):
                found.setdefault(credited, []).append(key)
        return found

    def satisfies_now(self, key: str, values: dict) -> bool:
        """Whether question `key` is shown and its answer satisfies the questions it names."""
        question = self.questions[key]
        rule = question.get("satisfies")
        return bool(rule) and (
            passes(rule["when"], values.get(key)) and self.is_visible(question, values)
        )

    def credit_rules(self, key: str, values: dict) -> list[dict]:
        """The answers that can satisfy question `key`, for the page's script: each the
        satisfying question's key with its test, and `now`, whether it satisfies `key` with
        these values (what the script keeps when that question is on another page)."""
        return [
            {
                "question": s,
                **self.questions[s]["satisfies"]["when"],
                "now": self.satisfies_now(s, values),
            }
            for s in self.satisfied_by.get(key, ())
        ]

    def credits(self, values: dict) -> dict[str, str]:
        """The questions not asked because an answer satisfies them, each with the key of
        that answer's question: those it names, and those shown only through them."""
        credited: dict[str, str] = {}
        for key, question in self.questions.items():
            by = next(
                (s for s in self.satisfied_by.get(key, ()) if self.satisfies_now(s, values)), None
            )
            condition = question.get("show_if")
            if by is None and condition and condition["question"] in credited:
                by = credited[condition["question"]]
            if by is not None:
                credited[key] = by
        return credited

    def cap(self, question: dict, values: dict) -> float | None:
        """The most points the question can be given with these answers (`rubric_cap`), or
        None when nothing caps it."""
        rule = question.get("rubric_cap")
        if not rule:
            return None
        target = self.questions.get(rule["when"]["question"])
        if target is None or not self.is_visible(target, values):
            return None
        return rule["points"] if passes(rule["when"], values.get(target["key"])) else None


#: Definitions by content hash, each read and indexed once per process: a published
#: version's content never changes, and a corrected one has a new hash.
_BY_HASH: dict[str, Definition] = {}
#: More versions than a portal publishes; beyond it the longest-held is let go.
_KEPT = 64
_LOCK = threading.Lock()


def definition_for(content_hash: str, content: Callable[[], dict]) -> Definition:
    """The Definition of the content with this hash; `content()` is asked for the content
    only when this process has not read it yet."""
    found = _BY_HASH.get(content_hash)
    if found is not None:
        return found
    made = Definition(content())
    with _LOCK:
        found = _BY_HASH.setdefault(content_hash, made)
        while len(_BY_HASH) > _KEPT:
            del _BY_HASH[next(iter(_BY_HASH))]
    return found

"""Plausible answers derived from a definition, for the demo and for journeys through it.

Nothing here knows a particular questionnaire: every value is made from the question's type
and its own limits, so a new version gets answers without new code. The answers lean towards
showing follow-up questions ("yes", the option a condition asks for), so that as many
questions as possible are visible and answered; for the same reason they do not give an answer
that satisfies later questions (`satisfies`), which would leave those unasked.
"""

from portal.questionnaires.definitions import Definition, passes

EXAMPLE_DATE = "2026-03-31"


def _wanted(definition: Definition) -> dict[str, set]:
    """For each question some condition depends on, the values that show a follow-up."""
    wanted: dict[str, set] = {}
    for question in definition.questions.values():
        condition = question.get("show_if")
        if not condition:
            continue
        values = wanted.setdefault(condition["question"], set())
        for name in ("equals", "includes"):
            if name in condition:
                values.add(condition[name])
        values.update(condition.get("in_", [])[:1])
    return wanted


def number_for(spec: dict):
    """A number inside the spec's `min`/`max`, whole when the spec asks for it."""
    low, high = spec.get("min"), spec.get("max")
    if low is not None and high is not None:
        value = (low + high) / 2
    elif low is not None:
        value = low + 10
    elif high is not None:
        value = high / 2
    else:
        value = 12
    return int(value) if spec.get("integer") or float(value).is_integer() else value


def _cell(column: dict, row: int, brand: str | None):
    if column["key"] == "brand_name" and brand:
        return brand
    kind = column["type"]
    if kind == "single_choice":
        return column["options"][row % len(column["options"])]["value"]
    if kind == "number":
        return number_for(column)
    if kind == "date":
        return EXAMPLE_DATE
    if kind == "url":
        return f"https://example.com/{column['key'].replace('_', '-')}"
    return f"Example {column['key'].replace('_', ' ')} {row + 1}"


def _text(question, wanted, brands):
    return "Example answer: see the attached documents for details."[
        : question.get("max_length", 300)
    ]


def _yes_no(question, wanted, brands):
    return sorted(wanted)[0] if wanted else "yes"


def _single(question, wanted, brands):
    values = [o["value"] for o in question["options"]]
    chosen = [v for v in values if v in wanted]
    return chosen[0] if chosen else values[-1]


def _multiple(question, wanted, brands):
    values = [o["value"] for o in question["options"]]
    return [v for v in values if v in wanted or v == values[0]]


def _table(question, wanted, brands):
    has_brands = any(c["key"] == "brand_name" for c in question["columns"])
    count = max(question.get("min_rows") or 1, len(brands) if has_brands else 1)
    count = min(count, question.get("max_rows", 50))
    return [
        {
            c["key"]: _cell(c, i, brands[i % len(brands)] if brands else None)
            for c in question["columns"]
        }
        for i in range(count)
    ]


_MAKERS = {
    "short_text": _text,
    "long_text": _text,
    "yes_no": _yes_no,
    "single_choice": _single,
    "multiple_choice": _multiple,
    "number": lambda question, wanted, brands: number_for(question),
    "date": lambda question, wanted, brands: EXAMPLE_DATE,
    "url": lambda question, wanted, brands: (
        f"https://example.com/{question['key'].replace('_', '-')}"
    ),
    "evidence": lambda question, wanted, brands: {"note": "The attached document shows this."},
    "table": _table,
}


def sample_value(question: dict, wanted: set, brands: list[str]):
    """A valid stored answer to one question; None for the types answered elsewhere
    (factory_list, which the register answers, and guidance). An answer that would satisfy
    later questions is avoided when the question allows another."""
    maker = _MAKERS.get(question["type"])
    value = maker(question, wanted, brands) if maker else None
    rule = question.get("satisfies")
    if rule and passes(rule["when"], value):
        return _not_satisfying(question, rule["when"], value, wanted)
    return value


def _not_satisfying(question: dict, test: dict, value, wanted: set):
    if question["type"] == "multiple_choice":
        kept = [v for v in value if v != test.get("includes")]
        others = [o["value"] for o in question["options"] if o["value"] != test.get("includes")]
        return kept or others[:1] or value
    values = (
        ["yes", "no"] if question["type"] == "yes_no" else [o["value"] for o in question["options"]]
    )
    others = [v for v in values if not passes(test, v)]
    preferred = [v for v in others if v in wanted]
    return (preferred or others or [value])[0]


def sample_answers(definition: Definition, brands: list[str]) -> dict[str, object]:
    """An answer to every question that is visible given the answers before it."""
    wanted = _wanted(definition)
    values: dict[str, object] = {}
    for question in definition.questions.values():
        if not definition.is_visible(question, values):
            continue
        value = sample_value(question, wanted.get(question["key"], set()), brands)
        if value is not None:
            values[question["key"]] = value
    return values

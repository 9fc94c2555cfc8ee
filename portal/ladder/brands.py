"""The brands behind a supplier, which its ladder marks may name one at a time."""

from collections import defaultdict
from collections.abc import Iterable

from portal.extensions import db
from portal.factories.services import Factory, brand_key
from portal.questionnaires import services as questionnaires
from portal.questionnaires.services import Answer
from portal.timeutil import utcnow


def _add(found: list[str], names: Iterable) -> None:
    """Append each name not yet in `found` (spacing and case do not matter), as written."""
    seen = {brand_key(name) for name in found}
    for name in names:
        if isinstance(name, str) and name.strip() and brand_key(name) not in seen:
            seen.add(brand_key(name))
            found.append(" ".join(name.split()))


def _from_responses(ids: list[int]) -> dict[int, list[str]]:
    """The brands in the brand table of each organisation's latest submitted response."""
    responses = questionnaires.latest_submitted(ids)
    if not responses:
        return {}
    answers: dict[int, dict] = defaultdict(dict)
    for answer in db.session.scalars(
        db.select(Answer).where(Answer.response_id.in_([r.id for r in responses.values()]))
    ):
        answers[answer.response_id][answer.question_key] = answer
    found: dict[int, list[str]] = {}
    for organisation_id, response in responses.items():
        definition = response.version.definition
        values = questionnaires.values_of(answers[response.id])
        visible = definition.visible_keys(values)
        found[organisation_id] = []
        _add(found[organisation_id], questionnaires.listed_brands(definition, values, visible))
    return found


def _from_registers(ids: list[int]) -> dict[int, list[str]]:
    """The brands named on each organisation's current factories, in the order entered."""
    today = utcnow().date()
    rows = db.session.execute(
        db.select(Factory.organisation_id, Factory.brands)
        .where(
            Factory.organisation_id.in_(ids),
            Factory.entered_on <= today,
            Factory.left_on.is_(None) | (Factory.left_on > today),
        )
        .order_by(Factory.organisation_id, Factory.id)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for organisation_id, brands in rows:
        _add(found[organisation_id], brands or [])
    return found


def brands_of_suppliers(organisation_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each supplier's brands, each once as first written: those in the brand table of its
    latest submitted response, or, where that names none, those on its current factory
    register. An empty list for a supplier that names none. At most four queries for any
    number of suppliers."""
    ids = list(organisation_ids)
    if not ids:
        return {}
    found = {i: [] for i in ids} | _from_responses(ids)
    missing = [i for i, brands in found.items() if not brands]
    if missing:
        registers = _from_registers(missing)
        for organisation_id in missing:
            found[organisation_id] = registers.get(organisation_id, [])
    return found


def brands_of(organisation_id: int) -> list[str]:
    """One supplier's brands (see brands_of_suppliers)."""
    return brands_of_suppliers([organisation_id])[organisation_id]


def listed_as(brands: list[str], name: str) -> str | None:
    """The brand of `brands` that `name` names, as the list writes it, or None."""
    return next((b for b in brands if brand_key(b) == brand_key(name)), None)

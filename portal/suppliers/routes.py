"""One page per supplier organisation for the buyer's staff: the supplier at a glance."""

from flask import Blueprint, render_template
from flask_babel import format_decimal

from portal import current
from portal.access import BUYER_STAFF, allow
from portal.contracts.services import CATEGORY_LABELS
from portal.factories.services import ROLE_LABELS
from portal.findings.services import CLAUSE_LABELS, SEVERITY_LABELS, STATE_LABELS
from portal.suppliers import services
from portal.suppliers.labels import PART_LABELS, PROPOSAL_LABELS, RESPONSE_STATE_LABELS

bp = Blueprint("suppliers", __name__, url_prefix="/review/suppliers")


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return format_decimal(round(value, digits), format="#,##0." + "#" * digits)


@bp.context_processor
def supplier_labels():
    return {
        "category_labels": CATEGORY_LABELS,
        "role_labels": ROLE_LABELS,
        "roles": services.ROLES,
        "clause_labels": CLAUSE_LABELS,
        "severity_labels": SEVERITY_LABELS,
        "action_state_labels": STATE_LABELS,
        "response_state_labels": RESPONSE_STATE_LABELS,
        "part_labels": PART_LABELS,
        "proposal_labels": PROPOSAL_LABELS,
        "number": _number,
    }


@bp.route("/<int:org_id>")
@allow(BUYER_STAFF)
def supplier(org_id: int):
    lang = current.language()
    return render_template(
        "suppliers/supplier.html", glance=services.glance(org_id, lang), lang=lang
    )

"""Translated names of what the supplier's page shows in codes."""

from flask_babel import lazy_gettext as _l

#: Where a response stands for the buyer (services.ResponseLine.state).
RESPONSE_STATE_LABELS = {
    "not_started": _l("Not started"),
    "draft": _l("In progress"),
    "to_review": _l("To review"),
    "in_review": _l("In review"),
    "clarification": _l("Clarification requested"),
    "accepted": _l("Accepted"),
}

#: The parts of a supplier's risk score in the audit selection.
PART_LABELS = {
    "country": _l("Country"),
    "answers": _l("Answers"),
    "findings": _l("Open findings"),
    "value": _l("Contract value"),
}

#: A supplier's place in this year's proposal for a desktop audit.
PROPOSAL_LABELS = {
    "proposed": _l("Proposed for a desktop audit"),
    "capacity": _l("If capacity allows"),
}

"""Translated names of the market-maturity page's codes: answers and verdicts (intended uses
are the questionnaires'; see questionnaires.services.INTENDED_USE_LABELS)."""

from flask_babel import lazy_gettext as _l

MEETS_LABELS = {
    "yes": _l("Meets it"),
    "partly": _l("Partly"),
    "planned": _l("Planned by a date"),
    "no": _l("Does not meet it"),
}
VERDICT_LABELS = {
    "requirement": _l("Ready to be a mandatory requirement"),
    "award": _l("Award criterion"),
    "milestone": _l("Milestone path and more dialogue"),
}

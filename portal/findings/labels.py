"""Translated names of the findings' codes (the keys are stored; models.py lists them)."""

from flask_babel import lazy_gettext as _l

SOURCE_LABELS = {
    "supplier_report": _l("Supplier's report"),
    "desktop_audit": _l("Desktop audit"),
    "factory_audit": _l("Factory audit"),
    "independent_monitoring": _l("Independent monitoring report (e.g. Electronics Watch)"),
}

#: The contract clauses a finding can concern.
CLAUSE_LABELS = {
    "freedom_of_association": _l("Freedom of association and collective bargaining"),
    "working_hours": _l("Working hours"),
    "wages": _l("Wages"),
    "health_and_safety": _l("Health and safety"),
    "child_labour": _l("Child labour"),
    "forced_labour": _l("Forced labour"),
    "discrimination": _l("Discrimination"),
    "chemicals": _l("Hazardous chemicals"),
    "minerals": _l("Conflict minerals"),
    "transparency": _l("Transparency and reporting"),
    "other": _l("Other clause"),
}

SEVERITY_LABELS = {
    "minor": _l("Minor"),
    "major": _l("Major"),
    "critical": _l("Critical"),
}

STATE_LABELS = {
    "plan_due": _l("Waiting for the plan"),
    "plan_submitted": _l("Plan awaiting review"),
    "plan_returned": _l("Plan returned"),
    "plan_accepted": _l("Plan accepted, proof due"),
    "proof_submitted": _l("Proof awaiting review"),
    "proof_returned": _l("Proof returned"),
    "closed": _l("Closed"),
}

#: The deadlines a reviewer can extend, with their present last day.
STAGE_LABELS = {
    "plan": _l("The plan, now due %(date)s"),
    "correction": _l("The correction and its proof, now due %(date)s"),
}

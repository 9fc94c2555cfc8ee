"""Translated names of the codes used in definitions (criteria, evidence kinds, types)."""

from flask_babel import lazy_gettext as _l

CRITERION_LABELS = {
    "transparency": _l("Transparency"),
    "risk_assessment": _l("Risk assessment"),
    "monitoring": _l("Monitoring"),
    "chemicals_ohs": _l("Occupational health and process chemicals"),
    "worker_empowerment": _l("Worker empowerment"),
    "anti_corruption": _l("Anti-corruption"),
    "minerals_policy": _l("Minerals policy"),
    "minerals_due_diligence": _l("Minerals due diligence"),
    "minerals_programmes": _l("Minerals programmes"),
    "certification": _l("Certification"),
}

EVIDENCE_LABELS = {
    "iso45001_certificate": _l("ISO 45001 certificate"),
    "sa8000_certificate": _l("SA8000 certificate"),
    "rba_vap_report": _l("RBA VAP audit report"),
    "amfori_bsci_report": _l("amfori BSCI audit report"),
    "iso37001_certificate": _l("ISO 37001 certificate"),
    "tco_certified_certificate": _l("TCO Certified certificate"),
    "oecd_due_diligence_report": _l("OECD minerals due-diligence report"),
    "conflict_minerals_filing": _l("Conflict-minerals filing"),
    "policy_document": _l("Policy document"),
    "worker_committee_minutes": _l("Worker-committee minutes"),
    "election_procedure": _l("Election procedure"),
    "training_record": _l("Training record"),
    "independent_monitoring_report": _l("Independent monitoring report"),
    "other": _l("Other document"),
}

TYPE_LABELS = {
    "short_text": _l("short text"),
    "long_text": _l("long text"),
    "yes_no": _l("yes or no"),
    "single_choice": _l("one choice"),
    "multiple_choice": _l("several choices"),
    "number": _l("number"),
    "date": _l("date"),
    "url": _l("web address"),
    "evidence": _l("evidence"),
    "table": _l("table"),
    "factory_list": _l("factory list"),
    "guidance": _l("guidance"),
}

CHANGE_LABELS = {
    "added": _l("New question"),
    "removed": _l("Removed"),
    "reworded": _l("Reworded"),
    "retyped": _l("Asked in a new way"),
    "changed": _l("Changed"),
}

#: What a question's definition keys are called when a comparison names what changed.
ATTRIBUTE_LABELS = {
    "type": _l("how it is asked"),
    "help": _l("help text"),
    "required": _l("whether an answer is required"),
    "criterion": _l("criterion"),
    "show_if": _l("when it is shown"),
    "rubric": _l("rubric"),
    "evidence": _l("evidence asked for"),
    "options": _l("options"),
    "max_length": _l("longest answer"),
    "unit": _l("unit"),
    "min": _l("lowest value"),
    "max": _l("highest value"),
    "integer": _l("whole numbers only"),
    "columns": _l("table columns"),
    "min_rows": _l("fewest rows"),
    "max_rows": _l("most rows"),
    "roles": _l("factory roles"),
    "weight": _l("weight in its section"),
    "satisfies": _l("the questions an answer stands for"),
    "rubric_cap": _l("the cap on its grade"),
}
#: What a criterion is meant to become after the market dialogue (format 3 `intended_use`).
INTENDED_USE_LABELS = {
    "requirement": _l("Mandatory requirement"),
    "award": _l("Award criterion"),
    "clause": _l("Contract clause"),
}

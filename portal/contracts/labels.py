"""Translated names of the contracts' codes."""

from flask_babel import lazy_gettext as _l

#: The buyer's eight ICT categories (the keys of models.CATEGORIES).
CATEGORY_LABELS = {
    "pcs": _l("PCs"),
    "monitors": _l("Monitors"),
    "thin_clients": _l("Thin clients"),
    "medical_panel_pcs": _l("Medical panel PCs"),
    "network_security": _l("Network and security products"),
    "servers_storage": _l("Servers and storage"),
    "desktop_equipment": _l("Desktop equipment (headsets, keyboards, mice)"),
    "small_printers": _l("Small printers"),
}

#: Where a contract's report stands (services.ReportState.state).
REPORT_STATE_LABELS = {
    "not_due": _l("Not yet due"),
    "requested": _l("Requested"),
    "submitted": _l("Submitted"),
    "overdue": _l("Overdue"),
}

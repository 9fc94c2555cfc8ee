"""Translated names of the ladder's codes."""

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "achieved": _l("Achieved"),
    "partly": _l("Partly"),
    "not_yet": _l("Not yet"),
}

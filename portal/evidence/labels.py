"""Translated names of evidence kinds (the codes are shared with questionnaire definitions)."""

from portal.questionnaires.services import EVIDENCE_LABELS as KIND_LABELS

__all__ = ["KIND_LABELS"]

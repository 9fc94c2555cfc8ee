"""Texts: bilingual ones, as versioned definitions (questionnaires, the ladder) carry them,
and values written into HTML by Python rather than by a template."""

from markupsafe import escape


def text_in(text: dict | None, lang: str) -> str:
    """A definition text {"sv": …, "en": …} in the language, falling back to the other."""
    if not text:
        return ""
    return text.get(lang) or text.get("sv") or text.get("en") or ""


def html_text(value) -> str:
    """The value as HTML text, escaped as a template writes it, as a plain str: joined to
    other strings of markup it is not escaped again (as Markup would be)."""
    return str(escape(value))

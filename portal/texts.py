"""Bilingual texts, as versioned definitions (questionnaires, the ladder) carry them."""


def text_in(text: dict | None, lang: str) -> str:
    """A definition text {"sv": …, "en": …} in the language, falling back to the other."""
    if not text:
        return ""
    return text.get(lang) or text.get("sv") or text.get("en") or ""

"""Names of uploaded files: made safe to store and show on upload, and offered back safely
when the file is downloaded.

A browser sends whatever name it likes, so the name is only ever shown and offered for saving,
never used as a path (storage keys are the server's own).
"""

import re
import unicodedata
from urllib.parse import quote

from flask_babel import lazy_gettext as _l

#: The longest name stored (the columns hold 255 characters).
MAX_LENGTH = 255

# What may follow the last dot to count as an extension worth keeping when a name is cut.
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,10}")
# Control characters (NUL included), invisible formatting characters (right-to-left overrides
# that make "gpj.exe" look like "exe.jpg", zero-width spaces) and lone surrogates.
_DROPPED = {"Cc", "Cf", "Cs"}
# RFC 8187 attr-char besides letters and digits: left as they are in filename*.
_ATTR_CHARS = "!#$&+-.^_`|~"


def clean_filename(raw: str | None, *, fallback: str | None = None) -> str:
    """The name to store and show for a file a browser sent as `raw`.

    Only the last part of a path is kept ("../../etc/passwd.pdf" is "passwd.pdf"); the text is
    Unicode NFC; control and invisible formatting characters are dropped (whitespace among
    them becomes a space); runs of whitespace become one space; leading and trailing dots and
    spaces go. A longer name is cut to MAX_LENGTH characters keeping its extension. When
    nothing is left, `fallback` ("document" in the user's language by default) with the
    extension, if any, is the name. Cleaning a clean name changes nothing.
    """
    name = "".join(
        " " if char.isspace() else char
        for char in raw or ""
        if char.isspace() or unicodedata.category(char) not in _DROPPED
    )
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = " ".join(name.split()).rstrip(" .")
    stem, dot, extension = name.rpartition(".")
    if dot and _EXTENSION.fullmatch(extension):
        extension = "." + extension
    else:
        stem, extension = name, ""
    stem = stem.lstrip(" .")[: MAX_LENGTH - len(extension)].rstrip(" .")
    if not stem:
        stem = fallback or str(_l("document"))
    return stem + extension


def content_disposition(filename: str) -> str:
    """A `Content-Disposition` header offering the file for saving as `filename` (RFC 6266):
    `filename=` with an ASCII stand-in for clients that know nothing else, and `filename*=`
    with the exact name in UTF-8 (RFC 8187). Nothing in it can end or split the header."""
    name = clean_filename(filename)
    stand_in = _ascii_stand_in(name)
    exact = quote(name, safe=_ATTR_CHARS)
    return f"attachment; filename=\"{stand_in}\"; filename*=UTF-8''{exact}"


def _ascii_stand_in(name: str) -> str:
    """Letters without their accents ("å" is "a"); any other character that is not printable
    ASCII, and the quote, backslash and percent sign, as "_"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(
        char if " " <= char <= "~" and char not in '"\\%' else "_"
        for char in decomposed
        if unicodedata.category(char) != "Mn"
    )

"""Where a request may send the user next (a `next` or `back` value), checked so that it can
never leave the site. Every such value goes through `is_local` (or `local_or`) before it is
rendered into a link or followed by a redirect."""

import re
from urllib.parse import unquote, urlsplit

from flask import request

#: Longer than any address of the portal; a longer value is refused rather than echoed.
MAX_LENGTH = 2000
#: How many layers of percent-encoding are looked through before a value is refused anyway.
MAX_DECODINGS = 4

# Control characters: CR and LF would split the Location header, and browsers drop tabs and
# newlines inside addresses, so "/\t/evil.example" would read as "//evil.example". Browsers
# also read a backslash as a slash, so "/\evil.example" is another site too.
_REFUSED = re.compile(r"[\x00-\x1f\x7f\\]")


def is_local(target: str | None) -> bool:
    """Whether `target` is a path on this site that no browser can read as another site.

    Only a path that starts with a single "/" passes. Refused: other schemes (`https:`,
    `javascript:`) and hosts, scheme-relative `//host`, backslashes, control characters
    (CR/LF included), and each of these percent-encoded, however many times.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return False
    value = target
    for _ in range(MAX_DECODINGS):
        if not _looks_local(value):
            return False
        decoded = unquote(value)
        if decoded == value:
            return True
        value = decoded
    return False


def _looks_local(value: str) -> bool:
    if not value.startswith("/") or value.startswith("//") or _REFUSED.search(value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def local_or(target: str | None, default: str) -> str:
    """`target` when it is a path on this site (see `is_local`), else `default`."""
    return target if is_local(target) else default


def safe_next() -> str | None:
    """The `next` query argument when it is a path on this site, else None."""
    target = request.args.get("next")
    return target if is_local(target) else None

"""Redirect targets taken from requests, checked so they can never leave the site."""

from urllib.parse import urlsplit

from flask import request


def is_local(target: str | None) -> bool:
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


def safe_next() -> str | None:
    """The `next` query argument when it is a path on this site, else None."""
    target = request.args.get("next")
    return target if is_local(target) else None

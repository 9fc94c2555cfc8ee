"""Creating and editing organisations; checking Swedish organisation numbers."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

import pycountry
from babel import Locale
from flask_babel import get_locale
from sqlalchemy.orm.exc import StaleDataError

from portal.audit.services import record
from portal.extensions import db
from portal.orgs.models import KIND_LABELS, Organisation, OrgKind

# isort: split
# What other features may name besides the functions below.
from portal.orgs.models import SUPPLIER_KINDS, OfKind  # noqa: F401

if TYPE_CHECKING:  # organisations sit below accounts
    from portal.auth.models import User

_ORG_NUMBER = re.compile(r"^(?:16)?(\d{6})-?(\d{4})$")


class StaleEditError(Exception):
    """Someone else saved the same record after this form was opened."""


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by Swedish organisation and personal numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def normalise_org_number(value: str) -> str | None:
    """NNNNNN-NNNN for a valid Swedish organisation number, None when it is not one.

    Accepts 10 digits with or without the hyphen, or 12 with the century prefix 16.
    The third digit of a legal entity's number is at least 2 (sole traders use their
    personal identity number, which this portal does not ask for).
    """
    match = _ORG_NUMBER.match(value.strip().replace(" ", ""))
    if not match:
        return None
    digits = match.group(1) + match.group(2)
    if int(digits[2]) < 2 or not luhn_ok(digits):
        return None
    return f"{digits[:6]}-{digits[6:]}"


@cache
def _alpha2_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def _territory_names(locale: str) -> dict[str, str]:
    return dict(Locale.parse(locale).territories)


@cache
def _sorted_countries(locale: str) -> tuple[tuple[str, str], ...]:
    names = _territory_names(locale)
    pairs = [(code, names.get(code, code)) for code in _alpha2_codes()]
    return tuple(sorted(pairs, key=lambda pair: pair[1].casefold()))


def country_choices(locale: str | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs of every ISO 3166-1 country, named and sorted in the locale."""
    return list(_sorted_countries(locale or str(get_locale())))


def country_name(code: str) -> str:
    """The country's name in the current language (the code itself if unknown)."""
    return _territory_names(str(get_locale())).get(code, code)


def is_country(code: str) -> bool:
    return code in _alpha2_codes()


def buyer_organisation() -> Organisation | None:
    return db.session.scalar(
        db.select(Organisation).where(Organisation.kind == OrgKind.BUYER).limit(1)
    )


def org_number_taken(org_number: str | None, *, exclude_id: int | None = None) -> bool:
    if not org_number:
        return False
    query = db.select(Organisation.id).where(Organisation.org_number == org_number)
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    return db.session.scalar(query) is not None


def create_organisation(
    *,
    kind: str,
    name: str,
    org_number: str | None,
    country: str,
    contact_email: str,
    actor: User | None,
) -> Organisation:
    org = Organisation(
        kind=kind,
        name=name.strip(),
        org_number=org_number or None,
        country=country,
        contact_email=contact_email.strip().lower(),
    )
    db.session.add(org)
    db.session.flush()
    record(
        "organisation.created",
        actor=actor,
        organisation_id=org.id,
        target=org,
        details={"name": org.name, "kind": kind},
    )
    return org


def update_organisation(org: Organisation, *, expected_version: int, actor: User, **fields) -> None:
    """Apply an edit made on a form opened at `expected_version`; StaleEditError if it moved on."""
    if org.version != expected_version:
        raise StaleEditError
    changes = {}
    cleaners = {"contact_email": lambda v: v.strip().lower(), "org_number": lambda v: v or None}
    for name, raw in fields.items():
        value = cleaners.get(name, lambda v: v)(raw)
        if getattr(org, name) != value:
            changes[name] = [getattr(org, name), value]
            setattr(org, name, value)
    if not changes:
        return
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleEditError from error
    record("organisation.updated", actor=actor, organisation_id=org.id, target=org, details=changes)


def names() -> list[tuple[int, str]]:
    """Every organisation's id and name, alphabetically (for choosing one in a filter)."""
    return db.session.execute(
        db.select(Organisation.id, Organisation.name).order_by(db.func.lower(Organisation.name))
    ).all()


def suppliers_select(*columns):
    """The query behind every list of suppliers on the buyer's pages: each supplier
    organisation (any kind but the buyer), by name, with `columns` (a count, say) beside it."""
    return (
        db.select(Organisation, *columns)
        .where(Organisation.kind != OrgKind.BUYER)
        .order_by(db.func.lower(Organisation.name), Organisation.id)
    )


def suppliers() -> list[Organisation]:
    """Every supplier organisation, by name (one query)."""
    return list(db.session.scalars(suppliers_select()))


def init_app(app) -> None:
    """Templates name countries and organisation kinds in the reader's language."""
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.globals["kind_labels"] = KIND_LABELS

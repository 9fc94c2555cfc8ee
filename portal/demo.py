"""Demo organisations and users for trying the portal out; never loaded in production."""

from datetime import timedelta

from portal.auth.models import Role, User
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.ladder.services import publish as publish_ladder
from portal.orgs.models import Organisation, OrgKind
from portal.questionnaires.models import Round
from portal.questionnaires.services import open_round, publish
from portal.timeutil import utcnow

DEMO_ROUND = "Market dialogue ICT 2027 (demo)"

ORGANISATIONS = [
    # kind, name, Swedish org number (valid check digit) or None, country, contact
    (OrgKind.BUYER, "Region Norrsund", "232100-0016", "SE", "hallbarhet@norrsund.example"),
    (OrgKind.RESELLER, "Nordlys IT-partner AB", "556677-8899", "SE", "avtal@nordlys.example"),
    (OrgKind.RESELLER, "Kvarnholm Datacenter AB", "559012-3450", "SE", "info@kvarnholm.example"),
    (OrgKind.BRAND, "Lumenic Devices Ltd", None, "GB", "compliance@lumenic.example"),
]

USERS = [
    ("admin@norrsund.example", "Maria Lind", Role.BUYER_ADMIN, "Region Norrsund"),
    ("granskare@norrsund.example", "Johan Ek", Role.REVIEWER, "Region Norrsund"),
    ("owner@nordlys.example", "Sara Holm", Role.SUPPLIER_OWNER, "Nordlys IT-partner AB"),
    ("member@nordlys.example", "Ali Karimi", Role.SUPPLIER_MEMBER, "Nordlys IT-partner AB"),
    ("owner@kvarnholm.example", "Eva Berg", Role.SUPPLIER_OWNER, "Kvarnholm Datacenter AB"),
    ("owner@lumenic.example", "Tom Reed", Role.SUPPLIER_OWNER, "Lumenic Devices Ltd"),
]


def load(password: str) -> list[tuple[str, str, str]]:
    """Create what is missing and give every demo user `password`; returns the logins."""
    by_name = {o.name: o for o in db.session.scalars(db.select(Organisation))}
    for kind, name, number, country, contact in ORGANISATIONS:
        if name not in by_name:
            org = Organisation(
                kind=kind, name=name, org_number=number, country=country, contact_email=contact
            )
            db.session.add(org)
            by_name[name] = org
    db.session.flush()
    password_hash = hash_password(password)
    existing = {
        u.email: u
        for u in db.session.scalars(db.select(User).where(User.email.in_([u[0] for u in USERS])))
    }
    for email, full_name, role, org_name in USERS:
        user = existing.get(email)
        if user is None:
            db.session.add(
                User(
                    organisation_id=by_name[org_name].id,
                    email=email,
                    full_name=full_name,
                    role=role.value,
                    password_hash=password_hash,
                )
            )
        else:
            user.password_hash = password_hash
            user.is_active = True
    _demo_round(by_name)
    return [(email, role.value, org_name) for email, _, role, org_name in USERS]


def _demo_round(by_name: dict[str, Organisation]) -> None:
    """Publish the shipped questionnaire and open one round to the demo suppliers."""
    publish_ladder(1)
    v1, _ = publish("ict-social", 1)
    publish("ict-social", 2)
    if db.session.scalar(db.select(Round.id).where(Round.title == DEMO_ROUND)) is not None:
        return
    admin = db.session.scalar(db.select(User).where(User.email == USERS[0][0]))
    suppliers = [o.id for o in by_name.values() if o.kind != OrgKind.BUYER]
    open_round(
        title=DEMO_ROUND,
        version=v1,
        closes_at=utcnow() + timedelta(days=60),
        organisation_ids=suppliers,
        actor=admin,
    )

"""What the server bench serves: every shipped questionnaire version answered in full by one
supplier, a 150-question section, a submitted response for the reviewer's page, a review
queue of 1,000 responses and a buyer's factory table of 10,000 factories.

Built with the portal's own services (answers derived from each definition, the factory
import), so that the pages measured are the pages users get.
"""

import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pyotp
import yaml
from flask_babel import force_locale
from sqlalchemy import insert

from portal.auth.models import User
from portal.demo import answer_and_submit
from portal.extensions import db
from portal.factories import services as factory_services
from portal.orgs.models import Organisation, OrgKind
from portal.passwords import hash_password
from portal.questionnaires.models import QuestionnaireVersion, Response, Round
from portal.questionnaires.samples import sample_answers
from portal.questionnaires.services import open_round, publish, put_answer, start
from portal.roles import Role
from portal.timeutil import utcnow

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password long enough"  # noqa: S105 - a throwaway database
BRANDS = ["Bench Brand"]
BIG_QUESTIONS = 150
QUEUE_RESPONSES = 1_000
FACTORIES = 10_000


@dataclass
class World:
    """Who signs in, and the addresses of the pages measured."""

    supplier_email: str = "owner@supplier.bench.example"
    reviewer_email: str = "reviewer@region.bench.example"
    reviewer_totp: str = ""
    #: (label, path) of every section page of every shipped version, answered in full.
    sections: list[tuple[str, str]] = field(default_factory=list)
    big_section: str = ""
    #: The section whose save is measured: the largest of all shipped sections.
    save_section: str = ""
    review_page: str = ""
    queue_page: str = "/review/queue"
    factory_table: str = "/review/factories"


def shipped_versions() -> list[tuple[str, int]]:
    """(key, number) of every questionnaire version in the repository's questionnaires/."""
    found = []
    for path in sorted((ROOT / "questionnaires").glob("*/v*.yaml")):
        head = yaml.safe_load(path.read_text(encoding="utf-8"))
        if head.get("kind", "questionnaire") == "questionnaire":
            found.append((path.parent.name, int(path.stem[1:])))
    return sorted(found)


def build() -> World:
    """Seed an empty, migrated database (inside an app context); the world to measure."""
    world = World(reviewer_totp=pyotp.random_base32())
    with force_locale("en"):
        reviewer = _buyer(world)
        supplier, owner = _supplier("Bench Supplier AB", world.supplier_email)
        _register(owner)
        largest = (-1, "")
        for key, number in shipped_versions():
            version, _ = publish(key, number)
            response = _round_for(version, [supplier], reviewer)[0]
            _answer(response, owner)
            for section in version.definition.sections:
                path = f"/responses/{response.id}/sections/{section['key']}"
                world.sections.append((f"{key} v{number} {section['key']}", path))
                largest = max(largest, (len(section["questions"]), path))
            if key == "ict-social":
                newest = version
        world.save_section = largest[1]
        world.big_section = _big_section(supplier, owner, reviewer)
        world.review_page = _submitted_for_review(newest, reviewer)
        _queue(newest, reviewer)
        _factories(_supplier("Bench Factories AB", "owner@factories.bench.example")[1])
    db.session.commit()
    return world


def _buyer(world: World) -> User:
    buyer = Organisation(
        kind=OrgKind.BUYER, name="Region Bench", country="SE", contact_email="b@example.com"
    )
    db.session.add(buyer)
    db.session.flush()
    reviewer = User(
        organisation_id=buyer.id,
        email=world.reviewer_email,
        full_name="Reviewer",
        role=Role.BUYER_ADMIN.value,
        password_hash=hash_password(PASSWORD),
        totp_secret=world.reviewer_totp,
    )
    db.session.add(reviewer)
    db.session.flush()
    return reviewer


def _supplier(name: str, email: str) -> tuple[Organisation, User]:
    supplier = Organisation(
        kind=OrgKind.RESELLER, name=name, country="SE", contact_email="s@example.com"
    )
    db.session.add(supplier)
    db.session.flush()
    owner = User(
        organisation_id=supplier.id,
        email=email,
        full_name="Owner",
        role=Role.SUPPLIER_OWNER.value,
        password_hash=hash_password(PASSWORD),
    )
    db.session.add(owner)
    db.session.flush()
    return supplier, owner


def _register(owner: User) -> None:
    """A small register: two final-assembly factories and a component factory."""
    for name, country, role in [
        ("Assembly One", "CN", "final_assembly"),
        ("Assembly Two", "VN", "final_assembly"),
        ("Memory Works", "MY", "main_component"),
    ]:
        values = {
            "name": name,
            "city": "City",
            "country": country,
            "role": role,
            "brands": BRANDS,
            "entered_on": date(2025, 1, 1),
        }
        factory_services.save_factory(owner.organisation_id, values, user=owner)


def _round_for(version: QuestionnaireVersion, suppliers, reviewer: User) -> list[Response]:
    round_ = open_round(
        title=f"Bench {version.label}",
        version=version,
        closes_at=utcnow() + timedelta(days=60),
        organisation_ids=[s.id for s in suppliers],
        actor=reviewer,
    )
    db.session.flush()
    return list(
        db.session.scalars(
            db.select(Response).where(Response.round_id == round_.id).order_by(Response.id)
        )
    )


def _answer(response: Response, owner: User) -> dict:
    """Start the response and answer every question the sample answers make visible."""
    start(response, user=owner, carry_from=None)
    definition = response.version.definition
    values = sample_answers(definition, BRANDS)
    visible = definition.visible_keys(values)
    for key, value in values.items():
        if key in visible:
            put_answer(response, key, None, value, user=owner, kind="edit")
    db.session.flush()
    return values


def _big_section(supplier: Organisation, owner: User, reviewer: User) -> str:
    """A one-section questionnaire of 150 short-text questions, answered in full."""
    content = {
        "format_version": 1,
        "key": "bench-big",
        "version": 1,
        "title": {"sv": "Stor", "en": "Big"},
        "sections": [
            {
                "key": "all",
                "title": {"sv": "Alla", "en": "All"},
                "questions": [
                    {
                        "key": f"q{n}",
                        "type": "short_text",
                        "criterion": "transparency",
                        "text": {"sv": f"Fråga {n}", "en": f"Question {n}"},
                    }
                    for n in range(BIG_QUESTIONS)
                ],
            }
        ],
    }
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name) / "bench-big"
        folder.mkdir()
        (folder / "v1.yaml").write_text(yaml.safe_dump(content), encoding="utf-8")
        version, _ = publish("bench-big", 1, root=Path(name))
    response = _round_for(version, [supplier], reviewer)[0]
    _answer(response, owner)
    return f"/responses/{response.id}/sections/all"


def _submitted_for_review(version: QuestionnaireVersion, reviewer: User) -> str:
    """A response to the newest version answered in full, with its documents, submitted."""
    supplier, owner = _supplier("Bench Reviewed AB", "owner@reviewed.bench.example")
    _register(owner)
    response = _round_for(version, [supplier], reviewer)[0]
    answer_and_submit(response, sample_answers(version.definition, BRANDS), owner)
    db.session.flush()
    return f"/review/responses/{response.id}"


def _queue(version: QuestionnaireVersion, reviewer: User) -> None:
    """1,000 submitted responses from as many organisations, in one round."""
    round_ = Round(
        kind="tender",
        title="Bench queue",
        version_id=version.id,
        opens_at=utcnow() - timedelta(days=1),
        closes_at=utcnow() + timedelta(days=30),
        opened_by_id=reviewer.id,
    )
    db.session.add(round_)
    db.session.flush()
    now = utcnow()
    submitted(round_, suppliers("Queue", QUEUE_RESPONSES), lambda n: now - timedelta(minutes=n))


def suppliers(prefix: str, count: int) -> list[Organisation]:
    """`count` supplier organisations, resellers and brands in turn, named "<prefix> 0000" and
    on, with their ids."""
    organisations = [
        Organisation(
            kind=OrgKind.RESELLER if n % 2 else OrgKind.BRAND,
            name=f"{prefix} {n:04d}",
            country="SE",
            contact_email=f"{prefix.lower()}{n}@example.com",
        )
        for n in range(count)
    ]
    db.session.add_all(organisations)
    db.session.flush()
    return organisations


def submitted(round_: Round, organisations: list[Organisation], at: Callable[[int], datetime]):
    """A submitted response of each organisation to the round, the nth submitted `at(n)`."""
    db.session.execute(
        insert(Response),
        [
            {
                "round_id": round_.id,
                "organisation_id": organisation.id,
                "version_id": round_.version_id,
                "status": "submitted",
                "submitted_at": at(n),
            }
            for n, organisation in enumerate(organisations)
        ],
    )


def factory_workbook(rows: int) -> bytes:
    """An XLSX factory list of `rows` factories, as a supplier would upload it."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Factories")
    sheet.append(
        [
            *("Factory name", "Address", "City", "Country", "Role", "Component category"),
            *("Number of workers", "Active from"),
        ]
    )
    countries = ["CN", "VN", "MY", "TW", "MX", "TH", "IN", "CZ"]
    for n in range(rows):
        role = "final assembly" if n % 3 == 0 else "main component"
        sheet.append(
            [
                f"Factory {n}",
                f"{n} Industrial Road",
                "City",
                countries[n % 8],
                role,
                "Memory",
                100 + n,
                "2024-01-01",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _factories(owner: User) -> None:
    """10,000 factories in one supplier's register, through the portal's import."""
    supplier = db.session.get(Organisation, owner.organisation_id)
    staged = factory_services.stage_import(
        supplier, factory_workbook(FACTORIES), "bench.xlsx", user=owner
    )
    factory_services.confirm_import(staged, dropped=set(), user=owner)

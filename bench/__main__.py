"""`make bench`: page timings against a bare page of the same app, with the ratio each is held to.

Runs on a temporary SQLite database seeded with 300 supplier organisations, 900 users and
5,000 audit events, through the WSGI test client (no network), and prints the median of
repeated requests; then a 150-question section and a 10,000-row factory import. A ratio
above its limit exits non-zero.
"""

import io
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pyotp
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import insert

from portal import create_app
from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.auth.passwords import hash_password
from portal.config import TestConfig
from portal.extensions import db
from portal.factories import services as factory_services
from portal.factories.models import Factory
from portal.orgs.models import Organisation, OrgKind
from portal.questionnaires.models import Response
from portal.questionnaires.services import open_round
from portal.timeutil import utcnow
from tests.fixtures.web import PortalClient, hidden_inputs
from tests.test_questionnaire_speed import big_definition

REPEAT = 30
PASSWORD = "bench password long enough"  # noqa: S105 - a throwaway database
#: (label, path, the most it may take relative to the bare page)
PAGES = [
    ("organisation list, 300 suppliers", "/admin/", 10.0),
    ("audit log, 50 of 5,000 events", "/admin/audit", 8.0),
    ("organisation page with users", "/admin/organisations/2", 5.0),
    ("account page", "/account/", 4.0),
]
QUESTIONS = 150
#: The most rendering and saving a 150-question section may take relative to the bare page.
SECTION_RENDER_LIMIT = 25.0
SECTION_SAVE_LIMIT = 30.0


def seed() -> User:
    buyer = Organisation(
        kind=OrgKind.BUYER, name="Region Bench", country="SE", contact_email="b@example.com"
    )
    db.session.add(buyer)
    db.session.flush()
    pw = hash_password(PASSWORD)
    admin = User(
        organisation_id=buyer.id,
        email="admin@bench.example",
        full_name="Admin",
        role=Role.BUYER_ADMIN.value,
        password_hash=pw,
        totp_secret=pyotp.random_base32(),
    )
    db.session.add(admin)
    orgs = [
        Organisation(
            kind=OrgKind.RESELLER if i % 2 else OrgKind.BRAND,
            name=f"Supplier {i:03d}",
            country="SE",
            contact_email=f"s{i}@example.com",
        )
        for i in range(300)
    ]
    db.session.add_all(orgs)
    db.session.flush()
    db.session.add_all(
        User(
            organisation_id=org.id,
            email=f"u{org.id}-{n}@example.com",
            full_name=f"User {n}",
            role=Role.SUPPLIER_MEMBER.value,
            password_hash=pw,
        )
        for org in orgs
        for n in range(3)
    )
    db.session.add_all(
        AuditEvent(
            action="auth.login",
            actor_email="u@example.com",
            organisation_id=orgs[i % 300].id,
            details={},
        )
        for i in range(5000)
    )
    db.session.commit()
    return admin


def median_ms(client, path: str) -> float:
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(samples)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        config = type(
            "BenchConfig",
            (TestConfig,),
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
                "ARGON2_PROFILE": "CHEAPEST",
            },
        )
        app = create_app(config)
        app.test_client_class = PortalClient
        client = app.test_client()
        with app.app_context():
            upgrade()
            admin = seed()
            client.login(admin, password=PASSWORD)
        bare = median_ms(client, "/accessibility")
        print(f"{'bare page (accessibility statement)':<40} {bare:8.2f} ms")
        failed = False
        for label, path, limit in PAGES:
            ms = median_ms(client, path)
            ratio = ms / bare
            verdict = "ok" if ratio <= limit else "TOO SLOW"
            failed |= ratio > limit
            print(f"{label:<40} {ms:8.2f} ms  {ratio:5.2f}x bare (held to {limit:.1f}x)  {verdict}")
        failed |= bench_questionnaire(app, client, bare)
        failed |= bench_factory_import(app)
        with app.app_context():
            db.engine.dispose()
    return 1 if failed else 0


IMPORT_ROWS = 10_000
#: The most a 10,000-row import may take relative to reading the file and one bulk insert.
IMPORT_LIMIT = 8.0


def _factory_workbook(rows: int) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Factories")
    sheet.append(
        [
            "Factory name",
            "Address",
            "City",
            "Country",
            "Role",
            "Component category",
            "Number of workers",
            "Active from",
        ]
    )
    countries = ["CN", "VN", "MY", "TW", "MX", "TH", "IN", "CZ"]
    for n in range(rows):
        sheet.append(
            [
                f"Factory {n}",
                f"{n} Industrial Road",
                "City",
                countries[n % 8],
                "final assembly" if n % 3 == 0 else "main component",
                "Memory",
                100 + n,
                "2024-01-01",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def bench_factory_import(app) -> bool:
    """Import a 10,000-row XLSX through the portal (parse, check, preview, confirm) against
    the floor: openpyxl reading the same file plus one bulk insert of the same rows."""
    data = _factory_workbook(IMPORT_ROWS)
    with app.app_context():
        supplier = db.session.scalar(
            db.select(Organisation).where(Organisation.kind != OrgKind.BUYER).offset(1).limit(1)
        )
        user = db.session.scalar(db.select(User).where(User.role == Role.BUYER_ADMIN.value))
        with force_locale("en"):
            start = time.perf_counter()
            staged = factory_services.stage_import(supplier, data, "bench.xlsx", user=user)
            written = factory_services.confirm_import(staged, dropped=set(), user=user)
            db.session.commit()
            portal_ms = (time.perf_counter() - start) * 1000
        assert written == IMPORT_ROWS, written
        db.session.execute(db.delete(Factory))
        db.session.commit()

        start = time.perf_counter()
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
        records = [
            {
                "organisation_id": supplier.id,
                "name": r[0],
                "address": r[1],
                "city": r[2],
                "country": r[3],
                "role": "final_assembly" if r[4] == "final assembly" else "main_component",
                "component_categories": ["memory"],
                "product_categories": [],
                "brands": [],
                "workers_min": r[6],
                "workers_max": r[6],
                "entered_on": date(2024, 1, 1),
                "match_key": r[0],
                "created_at": utcnow(),
                "updated_at": utcnow(),
                "version": 1,
            }
            for r in sheet.iter_rows(min_row=2, values_only=True)
        ]
        db.session.execute(insert(Factory), records)
        db.session.commit()
        floor_ms = (time.perf_counter() - start) * 1000
    ratio = portal_ms / floor_ms
    verdict = "ok" if ratio <= IMPORT_LIMIT else "TOO SLOW"
    print(f"{'import 10,000-row XLSX (floor)':<40} {floor_ms:8.2f} ms")
    print(
        f"{'import 10,000-row XLSX (portal)':<40} {portal_ms:8.2f} ms  {ratio:5.2f}x floor "
        f"(held to {IMPORT_LIMIT:.1f}x)  {verdict}"
    )
    return ratio > IMPORT_LIMIT


def bench_questionnaire(app, client, bare: float) -> bool:
    """Render and save a section of 150 answered questions; True when over a limit."""
    with tempfile.TemporaryDirectory() as folder, app.app_context():
        version = big_definition(QUESTIONS, Path(folder))
        supplier = db.session.scalar(
            db.select(Organisation).where(Organisation.kind != OrgKind.BUYER).limit(1)
        )
        owner = User(
            organisation_id=supplier.id,
            email="owner@bench.example",
            full_name="Owner",
            role=Role.SUPPLIER_OWNER.value,
            password_hash=hash_password(PASSWORD),
        )
        db.session.add(owner)
        admin = db.session.scalar(db.select(User).where(User.role == Role.BUYER_ADMIN.value))
        round_ = open_round(
            title="Bench",
            version=version,
            closes_at=utcnow() + timedelta(days=30),
            organisation_ids=[supplier.id],
            actor=admin,
        )
        db.session.commit()
        response_id = db.session.scalar(
            db.select(Response.id).where(Response.round_id == round_.id)
        )
        supplier_client = app.test_client()
        supplier_client.login(owner, password=PASSWORD)
    supplier_client.submit(f"/responses/{response_id}/start", page=f"/responses/{response_id}")
    url = f"/responses/{response_id}/sections/all"
    supplier_client.submit(url, {f"q_q{n}": f"answer {n}" for n in range(QUESTIONS)})
    render = median_ms(supplier_client, url)
    samples = []
    for round_number in range(10):
        html = supplier_client.get(url).get_data(as_text=True)
        data = {
            **hidden_inputs(html, action=url, page=url),
            **{f"q_q{n}": f"edit {round_number} {n}" for n in range(QUESTIONS)},
        }
        start = time.perf_counter()
        reply = supplier_client.post(url, data=data)
        samples.append((time.perf_counter() - start) * 1000)
        assert reply.status_code == 302, reply.status_code
    save = statistics.median(samples)
    failed = False
    for label, ms, limit in [
        (f"section of {QUESTIONS} answers, render", render, SECTION_RENDER_LIMIT),
        (f"section of {QUESTIONS} answers, save all", save, SECTION_SAVE_LIMIT),
    ]:
        ratio = ms / bare
        failed |= ratio > limit
        verdict = "ok" if ratio <= limit else "TOO SLOW"
        print(f"{label:<40} {ms:8.2f} ms  {ratio:5.2f}x bare (held to {limit:.1f}x)  {verdict}")
    return failed


if __name__ == "__main__":
    sys.exit(main())

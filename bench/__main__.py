"""`make bench`: page timings against a bare page of the same app, with the ratio each is held to.

Runs on a temporary SQLite database seeded with 300 supplier organisations, 900 users and
5,000 audit events, through the WSGI test client (no network), and prints the median of
repeated requests; then a 150-question section, a 10,000-row factory import and the
market-maturity figures of 1,000 responses. Last, the memory a 100 MB evidence upload adds
to a server running in a process of its own (bench/upload_server.py). A figure above its
limit exits non-zero.
"""

import io
import select
import statistics
import subprocess
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

from bench import server
from bench.serving import Browser
from bench.upload_server import UPLOAD_EMAIL, UPLOAD_PASSWORD
from bench.world import factory_workbook, submitted, suppliers
from portal import create_app
from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.config import TestConfig
from portal.extensions import db
from portal.factories import services as factory_services
from portal.factories.models import Factory
from portal.orgs.models import Organisation, OrgKind
from portal.passwords import hash_password
from portal.questionnaires.models import MarketAnswer, Response, Round
from portal.questionnaires.services import open_round, publish
from portal.roles import Role
from portal.rounds import maturity
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
    orgs = suppliers("Supplier", 300)
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
        failed |= bench_maturity(app)
        failed |= bench_upload_memory()
        with app.app_context():
            db.engine.dispose()
    return 1 if failed else 0


IMPORT_ROWS = 10_000
#: The most a 10,000-row import may take relative to reading the file and one bulk insert.
IMPORT_LIMIT = 8.0


def bench_factory_import(app) -> bool:
    """Import a 10,000-row XLSX through the portal (parse, check, preview, confirm) against
    the floor: openpyxl reading the same file plus one bulk insert of the same rows."""
    data = factory_workbook(IMPORT_ROWS)
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


MATURITY_RESPONSES = 1_000
#: The most the market-maturity figures may take relative to one GROUP BY over the same answers.
MATURITY_LIMIT = 3.0


def _seed_market_round(admin_id: int) -> int:
    """A market-dialogue round of 1,000 submitted responses, each answering the market
    questions of the fixture questionnaire `market` v1 (four criteria); its id."""
    version, _ = publish("market", 1, root=ROOT / "tests" / "fixtures" / "questionnaires")
    now = utcnow()
    round_ = Round(
        kind="market_dialogue",
        title="Bench market dialogue",
        version_id=version.id,
        closes_at=now + timedelta(days=30),
        opened_by_id=admin_id,
    )
    db.session.add(round_)
    db.session.flush()
    submitted(round_, suppliers("Market", MATURITY_RESPONSES), lambda _n: now)
    response_ids = db.session.scalars(
        db.select(Response.id).where(Response.round_id == round_.id)
    ).all()
    meets = ("yes", "partly", "no", "planned")
    db.session.execute(
        insert(MarketAnswer),
        [
            {
                "response_id": response_id,
                "criterion": criterion,
                "meets": meets[(n + c) % 4],
                "planned_by": date(2030, 1, 1) if meets[(n + c) % 4] == "planned" else None,
                "effort_hours": (n * 7 + c * 13) % 200,
                "comment": f"Comment {n}" if n % 10 == 0 else None,
                "updated_at": now,
            }
            for n, response_id in enumerate(response_ids)
            for c, criterion in enumerate(version.content["criteria"])
        ],
    )
    db.session.commit()
    return round_.id


def _medians_in_turns(*calls, repeat: int = REPEAT) -> list[float]:
    """The median time of each call in milliseconds, the calls taking turns."""
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(repeat):
        for call, times in zip(calls, samples, strict=True):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
    return [statistics.median(times) for times in samples]


def bench_maturity(app) -> bool:
    """The market-maturity figures of a round of 1,000 responses (shares by kind of
    organisation, the effort's quartiles, verdicts, advice) against the floor: one GROUP BY
    counting the same answers per criterion and answer. True when over the limit."""
    with app.app_context(), force_locale("en"):
        admin = db.session.scalar(db.select(User).where(User.role == Role.BUYER_ADMIN.value))
        round_id = _seed_market_round(admin.id)
        round_ = db.session.get(Round, round_id)
        floor_query = (
            db.select(MarketAnswer.criterion, MarketAnswer.meets, db.func.count())
            .join(Response, Response.id == MarketAnswer.response_id)
            .where(Response.round_id == round_id)
            .group_by(MarketAnswer.criterion, MarketAnswer.meets)
        )
        figures = maturity.figures(round_, 15.0)
        assert sum(c.shares.respondents for c in figures.criteria) == 4 * MATURITY_RESPONSES
        # Taken in turns, so that a busy machine slows both alike.
        floor_ms, portal_ms = _medians_in_turns(
            lambda: db.session.execute(floor_query).all(),
            lambda: maturity.figures(round_, 15.0),
            repeat=3 * REPEAT,
        )
    ratio = portal_ms / floor_ms
    verdict = "ok" if ratio <= MATURITY_LIMIT else "TOO SLOW"
    label = f"maturity, {MATURITY_RESPONSES:,} responses"
    print(f"{label + ' (GROUP BY)':<40} {floor_ms:8.2f} ms")
    print(
        f"{label:<40} {portal_ms:8.2f} ms  {ratio:5.2f}x floor "
        f"(held to {MATURITY_LIMIT:.1f}x)  {verdict}"
    )
    return ratio > MATURITY_LIMIT


UPLOAD_MB = 100
#: The most a 100 MB upload may grow the server's peak memory, as a share of the file's size.
UPLOAD_MEMORY_LIMIT = 0.25
UPLOAD_LINE = b"factory,country\n"
SERVER_START_SECONDS = 30
ROOT = Path(__file__).resolve().parent.parent


def _write_text_file(path: Path, megabytes: int, line: bytes = UPLOAD_LINE) -> None:
    block = line * (1024 * 1024 // len(line))
    with path.open("wb") as out:
        for _ in range(megabytes):
            out.write(block)


def _memory_mb(pid: int, field: str) -> float:
    """VmRSS, VmHWM... of a process from /proc, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def _reset_peak(pid: int) -> bool:
    """Make VmHWM start again from the current VmRSS (Linux 4.0+); False if not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _start_server(folder: Path, log) -> tuple[subprocess.Popen, int, int]:
    """The portal in a process of its own; (process, port, factory id)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.upload_server", str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        ready, _, _ = select.select([server.stdout], [], [], 0.2)
        if ready:
            line = server.stdout.readline()
            if line:
                port, factory_id = map(int, line.split())
                return server, port, factory_id
        if server.poll() is not None:
            break
    _stop(server)
    raise RuntimeError(
        f"the upload bench server did not start within {SERVER_START_SECONDS} s "
        f"(exit code {server.returncode}); see its log above"
    )


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    if server.stdout:
        server.stdout.close()


def bench_upload_memory() -> bool:
    """Upload a 100 MB text file to a server in its own process, and hold how much the
    server's peak memory (VmHWM) grows over its resident memory just before to a share of
    the file's size; True when over the limit."""
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as name:
        folder = Path(name)
        big = folder / "evidence.txt"
        _write_text_file(big, UPLOAD_MB)
        warm = folder / "warm.txt"
        _write_text_file(warm, 1, b"warm-up,SE\n")
        log_path = folder / "server.log"
        with log_path.open("wb") as log:
            server = None
            try:
                server, port, factory_id = _start_server(folder, log)
                browser = Browser(port)
                browser.sign_in(UPLOAD_EMAIL, UPLOAD_PASSWORD)
                page = f"/factories/{factory_id}/evidence"

                def upload(file: Path, filename: str) -> None:
                    fields = {"csrf_token": browser.token(page), "kind": "other"}
                    status, location, text = browser.upload(page, fields, file, filename)
                    assert status == 302, (filename, status, text[:2000])
                    assert location.endswith(f"/factories/{factory_id}/edit"), location

                # Warm: the upload path has run once (a 1 MB file), so only size counts.
                upload(warm, "warm-up.txt")
                browser.token(page)
                reset = _reset_peak(server.pid)
                before = _memory_mb(server.pid, "VmRSS")
                start = time.perf_counter()
                upload(big, "evidence.txt")
                seconds = time.perf_counter() - start
                peak = _memory_mb(server.pid, "VmHWM")
            except BaseException:
                log.flush()
                sys.stderr.write(log_path.read_text(errors="replace")[-4000:])
                raise
            finally:
                if server is not None:
                    _stop(server)
    growth_mb = peak - before
    share = growth_mb / UPLOAD_MB
    verdict = "ok" if share <= UPLOAD_MEMORY_LIMIT else "TOO MUCH"
    label = f"upload {UPLOAD_MB} MB file"
    print(f"{label:<40} {seconds * 1000:8.2f} ms")
    print(
        f"{label + ': server peak memory growth':<40} {growth_mb:8.2f} MB  "
        f"({share:.2f} of the file; held to {UPLOAD_MEMORY_LIMIT:.2f})  {verdict}"
        + ("" if reset else "  [peak not reset: lifetime peak]")
    )
    return share > UPLOAD_MEMORY_LIMIT


if __name__ == "__main__":
    only_server = sys.argv[1:] == ["server"]
    in_process_failed = False if only_server else bool(main())
    sys.exit(1 if server.main() or in_process_failed else 0)

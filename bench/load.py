"""`make load`: simulated suppliers fill in questionnaires at once, and nothing is lost.

    python -m bench.load [--users 50] [--seconds 60]

Seeds supplier organisations (each with an owner, a factory register and several open
responses to the newest shipped questionnaire versions), serves the portal with gunicorn (two
workers) in production settings on PostgreSQL and Redis, and lets Locust (bench/locustfile.py)
play one supplier per simulated user: sign in, open sections, type answers that the page saves
by itself (autosave) and with its Save buttons, attach a document and submit, then start the
next response, as long as the run lasts. Every save the portal acknowledged is recorded with
the values it carried; afterwards the database must hold exactly the last acknowledged value
of every answer (no lost update, no partly saved section), each submitted response submitted,
each uploaded document attached.

Prints requests, errors and the median and 95th percentile of each kind of request; exits
non-zero on any error (a reply of 400 or more, a connection error, a save that came back
with a conflict) or any lost answer.

The database is BENCH_DATABASE_URL, by default PostgreSQL at 127.0.0.1 in a database of its
own, `portal_load` (created when missing): it is EMPTIED first. Redis is LOAD_REDIS_URL
(redis://127.0.0.1:6379/0); the run's rate-limit counters use keys of their own there.
LOAD_USERS and LOAD_SECONDS are the defaults of --users and --seconds; LOAD_PAUSE, the
shortest and longest pause of a simulated supplier between two requests ("0.1,0.6"
seconds); LOAD_OVERLAP, the share of editing visits on which Save is pressed while the
page's autosave is still under way, without waiting for it as the page's script does
(0 by default: it shows what a client that does not wait would meet). Passwords are
checked with argon2's cheapest profile unless LOAD_ARGON2_PROFILE names another
(RFC_9106_LOW_MEMORY is production's).
"""

import argparse
import contextlib
import importlib.util
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import argon2
import redis
import sqlalchemy as sa
from flask_migrate import upgrade

from bench.serving import ROOT, Browser, empty_database, gunicorn, portal_env
from portal import create_app
from portal.auth.models import User
from portal.config import TestConfig
from portal.definitions import ROOT as SHIPPED_FOLDER
from portal.definitions import declared_kind, definition_files
from portal.evidence.models import EvidenceDocument
from portal.extensions import db
from portal.factories.services import save_factory
from portal.orgs.models import Organisation, OrgKind
from portal.passwords import hash_password
from portal.questionnaires.fieldtypes import REGISTRY
from portal.questionnaires.models import (
    Answer,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
)
from portal.questionnaires.samples import number_for, sample_answers
from portal.questionnaires.services import digest, open_round, publish, put_answer, start
from portal.roles import Role
from portal.timeutil import utcnow

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/portal_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "load test password long enough"  # noqa: S105 - a throwaway database
BRANDS = ["Lumenic", "Orbis"]
#: Open responses per supplier. The last one is never submitted: it is edited until the end,
#: so that every simulated supplier has work for any length of run.
RESPONSES_PER_SUPPLIER = 3
#: The types a simulated supplier types into again on later visits: no condition depends on
#: them, so the same questions stay visible and the response stays ready to submit.
RETYPED = frozenset({"short_text", "long_text", "number", "date", "url", "evidence", "table"})
WORKERS = 2
#: argon2's profile for passwords (portal/passwords.py): the cheapest by default, as in the
#: test suite, so that fifty people signing in at once (about 0.4 s of CPU each with
#: production's RFC_9106_LOW_MEMORY) do not stand for the pages in the figures.
ARGON2_PROFILE = os.environ.get("LOAD_ARGON2_PROFILE") or "CHEAPEST"
#: How long the simulated suppliers may take to finish the request they are in at the end.
STOP_SECONDS = 30
#: Kinds of request in the order the report lists them (others follow).
KINDS = [
    "sign-in page",
    "sign-in",
    "home page",
    "response list",
    "overview",
    "start",
    "section page",
    "autosave",
    "full save",
    "upload page",
    "upload",
    "submit",
]


# What the simulated suppliers were told: the ledger -----------------------------------------------
@dataclass
class Save:
    """One save sent for a response: the values of every answer it carried, each as the
    portal stores it, and whether the portal acknowledged it."""

    response_id: int
    #: The section key; the question key for an upload.
    section: str
    #: "autosave", "full save", "upload", or "seed" for the answers the seed stored.
    kind: str
    values: dict[str, Any]
    acknowledged: bool = False


@dataclass
class Ledger:
    """Everything the simulated suppliers sent that should change what is stored, in order."""

    saves: list[Save] = field(default_factory=list)
    #: Responses whose submission the portal acknowledged (302).
    submitted: list[int] = field(default_factory=list)
    #: Responses a submission was sent for, acknowledged or not.
    submit_attempts: list[int] = field(default_factory=list)
    #: "response_id question_key" -> documents whose upload the portal acknowledged.
    uploads: dict[str, int] = field(default_factory=dict)
    #: The same for every upload sent, acknowledged or not.
    upload_attempts: dict[str, int] = field(default_factory=dict)
    #: Answers a section page showed other than last saved, seen during the run:
    #: {"response_id", "section", "keys"}.
    stale_pages: list[dict] = field(default_factory=list)

    def record(self, save: Save) -> Save:
        """Note a save before it is sent; the caller marks it acknowledged on success."""
        self.saves.append(save)
        return save

    def uploaded(self, response_id: int, question_key: str, *, acknowledged: bool = True) -> None:
        """Note an upload before it is sent (not acknowledged), and again once it is."""
        count = self.uploads if acknowledged else self.upload_attempts
        key = f"{response_id} {question_key}"
        count[key] = count.get(key, 0) + 1

    def response_ids(self) -> set[int]:
        return (
            {s.response_id for s in self.saves}
            | set(self.submit_attempts)
            | {int(k.split()[0]) for k in self.upload_attempts}
        )

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Ledger":
        data = json.loads(path.read_text(encoding="utf-8"))
        data["saves"] = [Save(**s) for s in data["saves"]]
        return cls(**data)


@dataclass
class Finding:
    """Something stored other than the portal acknowledged."""

    #: "lost update", "partial section", "stored without an acknowledged save",
    #: "not submitted", "submitted without acknowledgment", "documents", "stale page".
    kind: str
    response_id: int
    #: The section (or question, for documents) concerned.
    where: str
    keys: list[str]
    detail: str = ""

    def __str__(self) -> str:
        keys = ", ".join(self.keys)
        text = f"{self.kind}: response {self.response_id}, {self.where}: {keys}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class Checked:
    """What the check needs of a response."""

    status: str
    definition: Any


def same_answer(question: dict, stored, expected) -> bool:
    """Whether a stored value is the expected one, as the question's type shows it in its
    form (12 and 12.0 are one number); an evidence slot's count of files counts too."""
    if stored == expected:
        return True
    kind = REGISTRY[question["type"]]
    if question["type"] == "evidence":
        files = [v.get("files") if isinstance(v, dict) else None for v in (stored, expected)]
        return kind.note(stored) == kind.note(expected) and files[0] == files[1]
    return kind.to_form(stored, question) == kind.to_form(expected, question)


def check(ledger: Ledger) -> list[Finding]:
    """Compare the database with the ledger (inside an app context): every answer holds the
    last value a save carried that the portal acknowledged; the responses whose submission
    was acknowledged are submitted, and no other; every acknowledged upload is attached.

    An answer whose last save was sent but never answered (the run ended during it) may hold
    that value as well. An answer stored otherwise is reported with the save that changed it
    last: a lost update when none of the changes that save made is stored, a partial section
    when some are. Section pages that showed an answer otherwise during the run are reported
    as stale pages.
    """
    ids = sorted(ledger.response_ids())
    rows = db.session.execute(
        sa.select(Response.id, Response.status, Response.version_id).where(Response.id.in_(ids))
    ).all()
    versions = {v: db.session.get(QuestionnaireVersion, v) for v in {r.version_id for r in rows}}
    responses = {r.id: Checked(r.status, versions[r.version_id].definition) for r in rows}
    stored = {
        (r.response_id, r.question_key): r.value
        for r in db.session.execute(
            sa.select(Answer.response_id, Answer.question_key, Answer.value).where(
                Answer.response_id.in_(ids)
            )
        )
    }
    findings = [
        Finding("stale page", page["response_id"], page["section"], page["keys"])
        for page in ledger.stale_pages
    ]
    findings += _answer_findings(ledger, responses, stored)
    findings += _submission_findings(ledger, responses)
    findings += _document_findings(ledger, ids)
    return findings


def _answer_findings(ledger: Ledger, responses: dict, stored: dict) -> list[Finding]:
    #: For each answer, the last acknowledged save that carried it, and the last one that
    #: changed it (carried it other than acknowledged before): the save that wrote it.
    last: dict[tuple[int, str], int] = {}
    written: dict[tuple[int, str], int] = {}
    unanswered: dict[tuple[int, str], list] = defaultdict(list)
    for index, save in enumerate(ledger.saves):
        for key, value in save.values.items():
            slot = (save.response_id, key)
            if not save.acknowledged:
                unanswered[slot].append(value)
                continue
            before = ledger.saves[last[slot]].values[key] if slot in last else None
            if value != before:
                written[slot] = index
            last[slot] = index
            unanswered.pop(slot, None)
    wrong: dict[int, list[str]] = defaultdict(list)
    for slot, index in last.items():
        question = responses[slot[0]].definition.questions[slot[1]]
        value = stored.get(slot)
        if same_answer(question, value, ledger.saves[index].values[slot[1]]):
            continue
        if any(same_answer(question, value, v) for v in unanswered[slot]):
            continue
        wrong[written.get(slot, index)].append(slot[1])
    findings = []
    for index, keys in sorted(wrong.items()):
        save = ledger.saves[index]
        # Other answers the same save wrote are stored: the save was stored in part.
        kept = [
            k for k in save.values if written.get((save.response_id, k)) == index and k not in keys
        ]
        kind = "partial section" if kept else "lost update"
        detail = f"written by {save.kind} #{index}, " + "; ".join(
            f"{k}: stored {stored.get((save.response_id, k))!r}, "
            f"saved {ledger.saves[last[save.response_id, k]].values[k]!r}"
            for k in keys
        )
        findings.append(Finding(kind, save.response_id, save.section, keys, detail[:2000]))
    strays = defaultdict(list)
    for (response_id, key), value in stored.items():
        question = responses[response_id].definition.questions.get(key, {})
        if (response_id, key) in last or question.get("type") == "factory_list":
            continue
        if value is None or any(
            same_answer(question, value, v) for v in unanswered[response_id, key]
        ):
            continue
        strays[response_id].append(key)
    findings += [
        Finding("stored without an acknowledged save", response_id, "answers", sorted(keys))
        for response_id, keys in strays.items()
    ]
    return findings


def _submission_findings(ledger: Ledger, responses: dict) -> list[Finding]:
    findings = []
    submitted = ResponseStatus.SUBMITTED.value
    for response_id in ledger.submitted:
        if responses[response_id].status != submitted:
            findings.append(
                Finding("not submitted", response_id, "response", [responses[response_id].status])
            )
    for response_id, response in responses.items():
        if response.status == submitted and response_id not in ledger.submit_attempts:
            findings.append(
                Finding("submitted without acknowledgment", response_id, "response", [])
            )
    return findings


def _document_findings(ledger: Ledger, ids: list[int]) -> list[Finding]:
    attached = Counter(
        f"{response_id} {key}"
        for response_id, key in db.session.execute(
            sa.select(EvidenceDocument.response_id, EvidenceDocument.question_key).where(
                EvidenceDocument.response_id.in_(ids)
            )
        )
    )
    findings = []
    for slot in sorted(set(ledger.uploads) | set(attached)):
        acknowledged = ledger.uploads.get(slot, 0)
        # An upload the run ended during may be attached or not.
        if not acknowledged <= attached[slot] <= ledger.upload_attempts.get(slot, acknowledged):
            response_id, key = slot.split()
            detail = f"{attached[slot]} attached, {acknowledged} acknowledged"
            findings.append(Finding("documents", int(response_id), key, [key], detail))
    return findings


# Answers as section pages show them ---------------------------------------------------------------
def field_name(key: str) -> str:
    return f"q_{key}"


def with_fields(section: dict) -> list[dict]:
    """The questions of a section that have fields on its page (a factory list has none:
    the register answers it)."""
    return [
        q
        for q in section["questions"]
        if REGISTRY[q["type"]].answerable and q["type"] != "factory_list"
    ]


def form_pairs(question: dict, value) -> list[list[str]]:
    """The fields the section page shows for a stored answer, as a browser posts them."""
    name = field_name(question["key"])
    kind = question["type"]
    data = REGISTRY[kind].to_form(value, question)
    if kind == "table":
        return [
            [f"{name}-{index}-{column['key']}", _text(row.get(column["key"]))]
            for index, row in enumerate(data)
            for column in question["columns"]
        ]
    if kind == "multiple_choice":
        return [[name, v] for v in data]
    return [[name, _text(data)]]


def _text(value) -> str:
    return "" if value is None else str(value)


def shown(fields: list[list[str]], key: str) -> list[tuple[str, str]]:
    """One question's filled-in fields, in a form that compares (WTForms and browsers
    differ on blank choices and on where a text area's first line break goes)."""
    name = field_name(key)
    return sorted(
        (n, v.strip())
        for n, v in fields
        if (n == name or n.startswith(f"{name}-")) and v.strip() != ""
    )


def retyped(question: dict, value, n: int):
    """Another valid answer to a question of a type in RETYPED, the n-th edit."""
    kind = question["type"]
    tag = f"Edit {n}, åäö ✓:"
    if kind in ("short_text", "long_text"):
        return f"{tag} {value or ''}"[: REGISTRY[kind].limit(question)].strip()
    if kind == "number":
        low, high = math.ceil(question.get("min", 0)), math.floor(question.get("max", 1000))
        return number_for(question) if high < low else low + n % (high - low + 1)
    if kind == "date":
        return f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
    if kind == "url":
        return f"https://example.com/{question['key'].replace('_', '-')}/{n}"
    if kind == "evidence":
        return {"note": f"{tag} the attached document shows this."}
    rows = [dict(row) for row in value or [{}]]
    for column in question["columns"]:
        if column["type"] == "short_text" and column["key"] != "brand_name":
            rows[0][column["key"]] = f"{tag} {column['key']}"[:300].strip()
    return rows


def stale_keys(fields: list[list[str]], questions: list[dict], values: dict) -> list[str]:
    """The questions whose fields on a page do not show the values last acknowledged."""
    return [
        q["key"]
        for q in questions
        if shown(fields, q["key"]) != shown(form_pairs(q, values.get(q["key"])), q["key"])
    ]


def typed_into(fields: list[list[str]], question: dict, value) -> list[list[str]]:
    """A form's fields with a question's fields showing `value` instead (where they were)."""
    name = field_name(question["key"])
    mine = [i for i, (n, _) in enumerate(fields) if n == name or n.startswith(f"{name}-")]
    at = mine[0] if mine else len(fields)
    others = [pair for i, pair in enumerate(fields) if i not in set(mine)]
    return others[:at] + form_pairs(question, value) + others[at:]


def acknowledged_otherwise(values: dict, sent_seen: str, seen: str) -> list[str]:
    """The answers an autosave changed (`values`, as stored, other than the `seen` it sent
    showed them) that the `seen` of its reply does not show stored as sent. The others it
    did not write: another save may have changed them since."""
    before, after = json.loads(sent_seen or "{}"), json.loads(seen)
    nothing = [0, digest(None)]
    return [
        k
        for k, v in values.items()
        if before.get(k, nothing)[1] != digest(v) and after.get(k, nothing)[1] != digest(v)
    ]


# The world the simulated suppliers work in --------------------------------------------------------
def newest_versions() -> list[tuple[str, int]]:
    """(key, number) of the newest shipped version of each questionnaire."""
    newest: dict[str, int] = {}
    for path in definition_files(SHIPPED_FOLDER):
        if declared_kind(path) is None:
            newest[path.parent.name] = max(newest.get(path.parent.name, 0), int(path.stem[1:]))
    return sorted(newest.items())


def retyped_keys(definition) -> list[str]:
    """The questions a simulated supplier may type into again: of the types in RETYPED, and
    no condition of another question depends on them."""
    watched = {q["show_if"]["question"] for q in definition.questions.values() if q.get("show_if")}
    return [
        key
        for key, question in definition.questions.items()
        if question["type"] in RETYPED and key not in watched and "satisfies" not in question
    ]


def seed(suppliers: int) -> dict:
    """Seed an empty, migrated database (inside an app context); the plan for the simulated
    suppliers: their sign-ins, their responses in order, the answers already stored, and each
    version's sections, answers to give and questions to type into again.

    Each supplier's first response is started and answered already but for the section with
    the evidence slot a document goes to (the last section when there is none), so that
    submissions come early in a run; the others are not started."""
    buyer = Organisation(
        kind=OrgKind.BUYER, name="Region Load", country="SE", contact_email="b@load.example"
    )
    db.session.add(buyer)
    db.session.flush()
    password_hash = hash_password(PASSWORD)
    admin = User(
        organisation_id=buyer.id,
        email="admin@region.load.example",
        full_name="Admin",
        role=Role.BUYER_ADMIN.value,
        password_hash=password_hash,
    )
    db.session.add(admin)
    versions = [publish(key, number)[0] for key, number in newest_versions()]
    owners = [_supplier(n, password_hash) for n in range(1, suppliers + 1)]
    closes_at = utcnow() + timedelta(days=30)
    for number in range(1, RESPONSES_PER_SUPPLIER + 1):
        open_round(
            title=f"Load round {number}",
            version=versions[(number - 1) % len(versions)],
            closes_at=closes_at,
            organisation_ids=[o.organisation_id for o in owners],
            actor=admin,
        )
    plans = {v.id: _plan_of(v.definition) for v in versions}
    responses = db.session.scalars(sa.select(Response).order_by(Response.id)).all()
    by_organisation = defaultdict(list)
    for response in responses:
        by_organisation[response.organisation_id].append(response)
    prefilled = {
        str(mine[0].id): _prefill(mine[0], owner, plans[mine[0].version_id])
        for owner in owners
        for mine in [by_organisation[owner.organisation_id]]
    }
    db.session.commit()
    return {
        "password": PASSWORD,
        "suppliers": [
            {"email": o.email, "responses": [r.id for r in by_organisation[o.organisation_id]]}
            for o in owners
        ],
        "versions": {str(r.id): str(r.version_id) for r in responses},
        "definitions": {str(version_id): plan for version_id, plan in plans.items()},
        "prefilled": prefilled,
    }


def _supplier(n: int, password_hash: str) -> User:
    """A supplier organisation with its owner and a register that answers the factory-list
    questions for BRANDS; the owner."""
    organisation = Organisation(
        kind=OrgKind.RESELLER,
        name=f"Load Supplier {n:03d} AB",
        country="SE",
        contact_email=f"info@supplier{n:03d}.load.example",
    )
    db.session.add(organisation)
    db.session.flush()
    owner = User(
        organisation_id=organisation.id,
        email=f"owner@supplier{n:03d}.load.example",
        full_name=f"Owner {n:03d}",
        role=Role.SUPPLIER_OWNER.value,
        password_hash=password_hash,
    )
    db.session.add(owner)
    db.session.flush()
    factory = {"city": "Shenzhen", "country": "CN", "entered_on": date(2025, 1, 1)}
    factory |= {"name": f"Assembly {n:03d}", "role": "final_assembly", "brands": BRANDS}
    save_factory(organisation.id, factory, user=owner)
    return owner


def _prefill(response: Response, owner: User, plan: dict) -> dict:
    """Start the response and store the plan's answers but those of the section left to
    the simulated supplier; the answers stored."""
    start(response, user=owner, carry_from=None)
    left = {q["key"] for s in plan["sections"] if s["key"] == plan["left"] for q in s["questions"]}
    stored = {k: v for k, v in plan["answers"].items() if k not in left}
    for key, value in stored.items():
        put_answer(response, key, None, value, user=owner, kind="edit")
    return stored


def _plan_of(definition) -> dict:
    answers = sample_answers(definition, BRANDS)
    # A document goes to the first evidence slot the answers show.
    upload_to = next(
        (k for k, q in definition.questions.items() if q["type"] == "evidence" and k in answers),
        None,
    )
    return {
        "sections": [
            {"key": section["key"], "questions": with_fields(section)}
            for section in definition.sections
        ],
        "answers": answers,
        "retyped": retyped_keys(definition),
        "upload_to": upload_to,
        "left": definition.section_of[upload_to] if upload_to else definition.sections[-1]["key"],
    }


# Running it ---------------------------------------------------------------------------------------
def missing(url: str, redis_url: str) -> list[str]:
    """What the load test needs and cannot reach, each with how to fix it."""
    problems = []
    if not isinstance(getattr(argon2.profiles, ARGON2_PROFILE, None), argon2.Parameters):
        problems.append(
            f"LOAD_ARGON2_PROFILE must name one of argon2.profiles, not {ARGON2_PROFILE!r}."
        )
    if importlib.util.find_spec("locust") is None:
        problems.append("Locust is not installed: pip install -e '.[load]' (make load does).")
    if not url.startswith("postgresql"):
        problems.append(f"BENCH_DATABASE_URL must be a PostgreSQL database, not {url!r}.")
    else:
        try:
            create_database(url)
        except sa.exc.OperationalError as error:
            problems.append(
                f"PostgreSQL is not reachable at {sa.make_url(url).render_as_string()} "
                f"({str(error.orig).strip().splitlines()[0]}). Start it, or set "
                "BENCH_DATABASE_URL=postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE "
                "to a database the load test may empty."
            )
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except (redis.RedisError, ValueError) as error:
        problems.append(
            f"Redis is not reachable at {redis_url} ({error}). Start it, or set "
            "LOAD_REDIS_URL=redis://HOST:PORT/DB."
        )
    return problems


def create_database(url: str) -> None:
    """Create the database of `url` on its server when it does not exist yet."""
    parsed = sa.make_url(url)
    server = sa.create_engine(
        parsed.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    try:
        with server.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": parsed.database},
            )
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        server.dispose()


def _app(url: str, env: dict[str, str]):
    config = type(
        "LoadConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TOTP_ENCRYPTION_KEYS": env["TOTP_ENCRYPTION_KEYS"],
            "EVIDENCE_STORAGE_URL": env["EVIDENCE_STORAGE_URL"],
            # The server's profile, so that it never hashes a password again at sign-in.
            "ARGON2_PROFILE": ARGON2_PROFILE,
        },
    )
    return create_app(config)


def served_app():
    """What gunicorn serves: the portal as wsgi.py makes it, in the production settings of
    the environment, checking passwords with ARGON2_PROFILE."""
    app = create_app()
    app.config["ARGON2_PROFILE"] = ARGON2_PROFILE
    return app


def warm_up(port: int) -> None:
    """Wait until both workers answer (the port is open before they have loaded the app),
    so that the run measures the portal, not its start."""
    with ThreadPoolExecutor(WORKERS) as pool:
        for _ in range(3):
            list(pool.map(lambda _: Browser(port).page("/login"), range(WORKERS)))


def run_locust(base_url: str, folder: Path, users: int, seconds: int) -> int:
    """Locust, headless, in a process of its own (gevent patches what it imports)."""
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "LOAD_PLAN": str(folder / "plan.json"),
            "LOAD_LEDGER": str(folder / "ledger.json"),
            "LOAD_STATS": str(folder / "stats.json"),
        }
    )
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--only-summary",
        "--users",
        str(users),
        "--spawn-rate",
        str(users / min(5, seconds / 4)),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        str(STOP_SECONDS),
        "--host",
        base_url,
        "--loglevel",
        "WARNING",
    ]
    with (folder / "locust.log").open("wb") as log:
        process = subprocess.run(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    return process.returncode


def report(stats: dict) -> int:
    """Print the requests and their latencies by kind, the failures and the simulated
    suppliers' own exceptions; the number of errors."""
    rows = stats["kinds"]
    names = [k for k in KINDS if k in rows] + sorted(set(rows) - set(KINDS))
    print(f"{'kind of request':<16} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for name in [*names, "all"]:
        row = rows.get(name, stats["total"])
        print(
            f"{name:<16} {row['requests']:>9} {row['errors']:>7} "
            f"{row['p50']:>8.0f} {row['p95']:>8.0f}"
        )
    total = stats["total"]
    for error in stats["errors"]:
        print(f"  error, {error['occurrences']} times: {error['name']}: {error['error'][:500]}")
    exceptions = sum(e["count"] for e in stats["exceptions"])
    for exception in stats["exceptions"]:
        print(f"  exception in a simulated supplier, {exception['count']} times:")
        print(exception["traceback"][-3000:])
    print(f"{total['requests']} requests, {total['errors'] + exceptions} errors")
    return total["errors"] + exceptions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", "50")))
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("LOAD_SECONDS", "60")))
    options = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("LOAD_REDIS_URL") or DEFAULT_REDIS_URL
    problems = missing(url, redis_url)
    if problems:
        print("load test: cannot run.", *problems, sep="\n  ")
        return 2
    with tempfile.TemporaryDirectory(prefix="load-") as name:
        folder = Path(name)
        env = portal_env(url, folder, RATELIMIT_STORAGE_URI=redis_url)
        app = _app(url, env)
        _prepare(app, folder, options.users)
        print(
            f"load test: {options.users} suppliers for {options.seconds} s against gunicorn "
            f"({WORKERS} workers), {sa.make_url(url).render_as_string()} (emptied first), "
            f"{redis_url}; passwords checked with argon2's {ARGON2_PROFILE} profile",
            flush=True,
        )
        log = folder / "gunicorn.log"
        with gunicorn("bench.load:served_app()", env, log, workers=WORKERS) as server:
            warm_up(server.port)
            code = run_locust(server.base_url, folder, options.users, options.seconds)
        if not (folder / "stats.json").exists():
            print(f"Locust failed (exit {code}):")
            print((folder / "locust.log").read_text(errors="replace")[-6000:])
            return 1
        failed = _verdict(app, folder)
    print("load test: FAILED" if failed else "load test: ok")
    return 1 if failed else 0


def _prepare(app, folder: Path, suppliers: int) -> None:
    """Empty and migrate the database, seed it, and write the plan for Locust."""
    empty_database(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):
        upgrade()  # its log lines (alembic's logging writes to stderr) are not the report
    with app.app_context():
        plan = seed(suppliers)
        db.session.remove()
        db.engine.dispose()
    (folder / "plan.json").write_text(json.dumps(plan), encoding="utf-8")


def _verdict(app, folder: Path) -> bool:
    """Print the figures and what the database holds against the ledger; True on failure."""
    errors = report(json.loads((folder / "stats.json").read_text()))
    ledger = Ledger.load(folder / "ledger.json")
    with app.app_context():
        findings = check(ledger)
        db.session.remove()
        db.engine.dispose()
    saves = [s for s in ledger.saves if s.acknowledged and s.kind != "seed"]
    print(
        f"checked in the database: {len(saves)} acknowledged saves carrying "
        f"{sum(len(s.values) for s in saves)} answers, the seeded answers, "
        f"{len(ledger.submitted)} submissions and {sum(ledger.uploads.values())} documents "
        f"of {len(ledger.response_ids())} responses: {len(findings)} lost or wrong"
    )
    for finding in findings:
        print(f"  {finding}")
    server_log = (folder / "gunicorn.log").read_text(errors="replace")
    if "Traceback" in server_log:
        print(f"gunicorn's log (the end):\n{server_log[-8000:]}")
    if not saves:
        print("No save was acknowledged: the run showed nothing.")
    return bool(errors or findings or not saves or "Traceback" in server_log)


if __name__ == "__main__":
    sys.exit(main())

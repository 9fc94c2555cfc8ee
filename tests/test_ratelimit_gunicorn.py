"""Sign-in throttling holds across worker processes (OWASP ASVS 5.0 V6.3.1: controls against
credential stuffing and password brute force).

In production the portal runs under gunicorn with several worker processes. A limit counted
in each process's memory would let an attacker multiply the allowed attempts by the number of
workers, so the counters live in Redis (RATELIMIT_STORAGE_URI). These tests start the real
thing - gunicorn with two workers on a migrated SQLite file and Redis on 127.0.0.1:6379 - and
send the requests a browser would send.

Every test makes sure its POSTs reach both workers: it keeps one request in flight (its body
held back, so that worker waits for it) while the next one is sent, which the other worker
must then answer. The access log (with the worker's pid) confirms the spread; with
per-process counters the observed 200/429 sequence would be impossible.

Redis database 0 is shared, so each test gives the portal its own RATELIMIT_KEY_PREFIX and
deletes only the keys under that prefix afterwards. Redis must be running: a connection
error fails the tests, they are never skipped.
"""

import hashlib
import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from gunicorn.config import KNOWN_SETTINGS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
STARTUP_SECONDS = 15
SECRET_KEY = "gunicorn-test-" + "x" * 40
SUPPLIER_PASSWORD = "a sound passphrase for the supplier"
WRONG_PASSWORD_MESSAGE = "The e-mail address or the password is not correct."
TOO_MANY_MESSAGE = "Too many attempts"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# gunicorn >= 25.1 opens a control socket in $HOME unless told not to.
_NO_CONTROL_SOCKET = (
    ["--no-control-socket"]
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS)
    else []
)

CREATE_SUPPLIER = """
import sys
from portal import create_app
from portal.auth.models import User
from portal.roles import Role
from portal.passwords import hash_password
from portal.extensions import db
from portal.orgs.models import Organisation, OrgKind

email, password = sys.argv[1:3]
app = create_app()
with app.app_context():
    org = Organisation(kind=OrgKind.RESELLER.value, name="Throttle Test AB", country="SE",
                       contact_email="contact@throttle.example")
    db.session.add(org)
    db.session.flush()
    db.session.add(User(organisation_id=org.id, email=email, full_name="Sam Supplier",
                        role=Role.SUPPLIER_OWNER.value, password_hash=hash_password(password)))
    db.session.commit()
    db.engine.dispose()
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _portal_env(database_url: str, **settings: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    env.update(
        {
            "DATABASE_URL": database_url,
            "PORTAL_ENV": "development",
            "SECRET_KEY": SECRET_KEY,
            "MAIL_BACKEND": "memory",
            "RATELIMIT_STORAGE_URI": "memory://",
            **settings,
        }
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"


# Fixtures ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Database:
    url: str
    supplier_email: str


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Database:
    """A SQLite file migrated with `flask db upgrade`, holding one supplier user."""
    path = tmp_path_factory.mktemp("gunicorn-db") / "portal.sqlite3"
    url = f"sqlite:///{path}"
    env = _portal_env(url)
    _run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], env)
    email = f"supplier-{secrets.token_hex(4)}@throttle.example"
    _run([sys.executable, "-c", CREATE_SUPPLIER, email, SUPPLIER_PASSWORD], env)
    return Database(url=url, supplier_email=email)


@dataclass(frozen=True)
class RateLimitStore:
    client: redis.Redis
    prefix: str
    url: str = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"

    def keys(self, pattern: str) -> list[str]:
        return sorted(key.decode() for key in self.client.scan_iter(match=pattern))


@pytest.fixture
def rate_limit_store():
    """Redis, and a key prefix of this test's own; its keys are deleted afterwards."""
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=0)
    store = RateLimitStore(client=client, prefix=f"portal-test-{secrets.token_hex(8)}")
    try:
        client.ping()
        yield store
    finally:
        for key in store.keys(f"*/{store.prefix}/*"):
            client.delete(key)
        client.close()


@dataclass
class Server:
    base_url: str
    access_log: Path
    output: Path

    def pids_of(self, method: str, path: str, expected: int) -> list[str]:
        """The worker pids of the logged `method path` requests, once `expected` are logged."""
        pattern = re.compile(rf'^(<\d+>) "{method} {re.escape(path)} HTTP/[\d.]+" \d+$')
        deadline = time.monotonic() + 5  # a worker writes the line just after answering
        while True:
            lines = self.access_log.read_text().splitlines()
            pids = [m.group(1) for m in map(pattern.match, lines) if m]
            if len(pids) >= expected or time.monotonic() > deadline:
                return pids
            time.sleep(0.05)


@pytest.fixture
def start_portal(request, database, rate_limit_store, tmp_path):
    """Start gunicorn with two workers and the given settings; it is always terminated."""

    def start(**settings: str) -> Server:
        port = _free_port()
        server = Server(
            base_url=f"http://127.0.0.1:{port}",
            access_log=tmp_path / "access.log",
            output=tmp_path / "gunicorn.log",
        )
        env = _portal_env(
            database.url,
            RATELIMIT_STORAGE_URI=rate_limit_store.url,
            RATELIMIT_KEY_PREFIX=rate_limit_store.prefix,
            **settings,
        )
        output = server.output.open("wb")
        request.addfinalizer(output.close)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "--access-logfile",
                str(server.access_log),
                "--access-logformat",
                '%(p)s "%(r)s" %(s)s',
                *_NO_CONTROL_SOCKET,
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        request.addfinalizer(lambda: _stop(process))
        _wait_until_answering(server, process)
        return server

    return start


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(server: Server, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited ({process.returncode}):\n{server.output.read_text()}")
        try:
            url = server.base_url + "/login"  # always http://127.0.0.1
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {STARTUP_SECONDS} s:\n{server.output.read_text()}")


# A browser -------------------------------------------------------------------------------------
class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer to look at, not to follow


@dataclass(frozen=True)
class Answer:
    status: int
    text: str


class Browser:
    """Keeps cookies, reads the CSRF token off the page, asks for English, and closes every
    connection (Connection: close), so each request is accepted anew by some worker."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )
        self.csrf_token: str | None = None

    def get(self, path: str) -> Answer:
        return self._send(urllib.request.Request(self.base_url + path))  # noqa: S310

    def post(
        self, path: str, data: dict[str, str], hold_body_until: threading.Event | None = None
    ) -> Answer:
        """POST a form with the current CSRF token. With `hold_body_until`, the headers go
        out at once and the body only when the event is set."""
        body = urllib.parse.urlencode({"csrf_token": self.csrf_token, **data}).encode()
        payload: bytes | object = body
        if hold_body_until is not None:

            def held():
                hold_body_until.wait(30)
                yield body

            payload = held()
        request = urllib.request.Request(  # noqa: S310 - base_url is http://127.0.0.1:<port>
            self.base_url + path,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Content-Length": str(len(body)),
            },
        )
        return self._send(request)

    def open_form(self, path: str) -> Answer:
        answer = self.get(path)
        assert answer.status == 200, answer.text[:2000]
        self._remember_token(answer)
        return answer

    def _remember_token(self, answer: Answer) -> None:
        match = _TOKEN.search(answer.text)
        if match:
            self.csrf_token = match.group(1)

    def _send(self, request: urllib.request.Request) -> Answer:
        request.add_header("Accept-Language", "en")
        request.add_header("Connection", "close")
        try:
            with self._opener.open(request, timeout=30) as response:
                answer = Answer(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                answer = Answer(error.code, error.read().decode())
        self._remember_token(answer)
        return answer


def post_on_both_workers(browser: Browser, path: str, first: dict, second: dict):
    """POST two forms so that they are answered by different workers.

    The first request's body is held back, so the worker that accepted it waits; the second
    request can then only be accepted by the other worker. The answers come back in the order
    the server finished them: the second, then the first.
    """
    release = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(browser.post, path, first, hold_body_until=release)
        try:
            time.sleep(0.5)  # both workers idle: one of them accepts the held request now
            answered_first = browser.post(path, second)
        finally:
            release.set()
        return [answered_first, held.result(timeout=60)]


def login_form(email: str, password: str) -> dict[str, str]:
    return {"email": email, "password": password}


# Tests ------------------------------------------------------------------------------------------
def test_failed_sign_ins_for_one_account_are_counted_across_workers(
    start_portal, database, rate_limit_store
):
    server = start_portal(
        LOGIN_RATE_LIMIT_ACCOUNT="3 per minute", LOGIN_RATE_LIMIT_IP="1000 per minute"
    )
    browser = Browser(server.base_url)
    browser.open_form("/login")
    email = database.supplier_email

    answers = post_on_both_workers(
        browser, "/login", login_form(email, "wrong password 1"), login_form(email, "wrong 2")
    )
    for attempt in range(3, 6):
        answers.append(browser.post("/login", login_form(email, f"wrong password {attempt}")))

    assert [a.status for a in answers] == [200, 200, 200, 429, 429]
    for answer in answers[:3]:
        assert WRONG_PASSWORD_MESSAGE in answer.text
    for answer in answers[3:]:
        assert TOO_MANY_MESSAGE in answer.text
    # While the account is throttled, even the right password is not tried.
    right = browser.post("/login", login_form(email, SUPPLIER_PASSWORD))
    assert right.status == 429

    pids = server.pids_of("POST", "/login", expected=6)
    assert len(pids) == 6, server.access_log.read_text()
    assert len(set(pids[:5])) == 2, f"the attempts did not reach both workers: {pids}"
    # The account's counters are in Redis, under this deployment's key prefix only.
    account = hashlib.sha256(email.encode()).hexdigest()
    keys = rate_limit_store.keys(f"*{account}*")
    assert keys, "no account counter in Redis"
    assert all(f"/{rate_limit_store.prefix}/" in key for key in keys), keys


def test_sign_in_attempts_from_one_address_are_counted_across_workers(
    start_portal, rate_limit_store
):
    server = start_portal(
        LOGIN_RATE_LIMIT_IP="4 per minute", LOGIN_RATE_LIMIT_ACCOUNT="1000 per minute"
    )
    browser = Browser(server.base_url)
    browser.open_form("/login")

    def attempt(n: int) -> dict[str, str]:
        return login_form(f"nobody-{n}-{secrets.token_hex(3)}@throttle.example", "wrong password")

    answers = post_on_both_workers(browser, "/login", attempt(1), attempt(2))
    for n in range(3, 6):
        answers.append(browser.post("/login", attempt(n)))

    assert [a.status for a in answers] == [200, 200, 200, 200, 429]
    for answer in answers[:4]:
        assert WRONG_PASSWORD_MESSAGE in answer.text
    assert TOO_MANY_MESSAGE in answers[4].text

    pids = server.pids_of("POST", "/login", expected=5)
    assert len(pids) == 5, server.access_log.read_text()
    assert len(set(pids)) == 2, f"the attempts did not reach both workers: {pids}"
    assert rate_limit_store.keys(f"*/{rate_limit_store.prefix}/127.0.0.1/auth.login/*"), (
        "no per-address counter in Redis"
    )

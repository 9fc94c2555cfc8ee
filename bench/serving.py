"""The portal served as in production, for the server bench and the load test: a migrated
database, gunicorn with its workers in processes of their own, and a client that signs in.

The database is BENCH_DATABASE_URL when given (PostgreSQL; it is emptied first) or a new
SQLite file in a temporary folder.
"""

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pyotp
import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def database_url(folder: Path) -> str:
    """BENCH_DATABASE_URL, or a SQLite file in `folder`."""
    return os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"


def empty_database(url: str) -> None:
    """Drop everything in a PostgreSQL database (a SQLite file here is always new)."""
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def settle_database(url: str) -> None:
    """What autovacuum does to a PostgreSQL database in use, done at once after seeding:
    planner statistics and the visibility map, so that pages are measured on a settled
    database rather than seconds after a bulk load (SQLite has nothing to settle)."""
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


def portal_env(url: str, folder: Path, **settings: str) -> dict[str, str]:
    """The environment of a production portal on `url`, with its files in `folder`.

    Production settings throughout (secure cookies, Redis for the rate limits' counters when
    it is given as RATELIMIT_STORAGE_URI), except that the public address is a placeholder
    and mail goes to a folder. On SQLite, without Redis, the development settings are used,
    so that the bench needs nothing but Python."""
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    redis_url = settings.pop("RATELIMIT_STORAGE_URI", "")
    env.update(
        {
            "DATABASE_URL": url,
            "PORTAL_ENV": "production" if redis_url else "development",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "TOTP_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "PUBLIC_URL": "https://portal.bench.invalid",
            "RATELIMIT_STORAGE_URI": redis_url or "memory://",
            "RATELIMIT_KEY_PREFIX": f"bench-{secrets.token_hex(6)}",
            "MAIL_BACKEND": "folder",
            "MAIL_FOLDER": str(folder / "mail"),
            "EVIDENCE_STORAGE_URL": f"file://{folder / 'evidence'}",
            # Many simulated people sign in from one address.
            "LOGIN_RATE_LIMIT_IP": "100000 per minute",
            "LOGIN_RATE_LIMIT_ACCOUNT": "1000 per minute",
            **settings,
        }
    )
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def gunicorn(app: str, env: dict[str, str], log: Path, *, workers: int = 2) -> Iterator[Server]:
    """gunicorn serving `app` ("module:variable") with `workers` sync workers on a free port
    of 127.0.0.1, until the block ends; its output goes to `log`."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                app,
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        server = Server(port, process, log)
        try:
            _wait_until_serving(server)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_serving(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(
        f"gunicorn did not start within {STARTUP_SECONDS} s; its log:\n"
        + server.log.read_text(errors="replace")[-4000:]
    )


@dataclass
class Browser:
    """Requests to a server over HTTP, one connection each, keeping its cookies (the
    portal's are host-only and path "/"); redirects are not followed."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    language: str = "en"

    def request(self, method: str, path: str, body=None, headers=None, timeout: float = 120):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Accept-Language": self.language, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = self.cookie_header
        try:
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            text = reply.read().decode("utf-8", errors="replace")
            for line in reply.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(line)
                for name, morsel in cookie.items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return reply.status, reply.headers, text
        finally:
            connection.close()

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def form(self, path: str, fields: dict | list) -> tuple[int, str, str]:
        """POST url-encoded `fields`; (status, Location, body)."""
        status, headers, text = self.request(
            "POST",
            path,
            body=urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        return status, headers.get("Location", ""), text

    def page(self, path: str) -> str:
        status, _headers, html = self.request("GET", path)
        if status != 200:
            raise AssertionError(f"GET {path}: {status}\n{html[:1000]}")
        return html

    def token(self, path: str) -> str:
        match = _TOKEN.search(self.page(path))
        if not match:
            raise AssertionError(f"{path} has no form with a CSRF token")
        return match.group(1)

    def upload(self, path: str, fields: dict, file: Path, filename: str):
        """POST a multipart form with `file` streamed from disk (never whole in memory)."""
        boundary = "bench" + secrets.token_hex(16)
        head = (
            b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
                for name, value in fields.items()
            )
            + (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'
            ).encode()
        )
        tail = f"\r\n--{boundary}--\r\n".encode()

        def body() -> Iterator[bytes]:
            yield head
            with file.open("rb") as stream:
                while chunk := stream.read(1024 * 1024):
                    yield chunk
            yield tail

        status, headers, text = self.request(
            "POST",
            path,
            body=body(),
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + file.stat().st_size + len(tail)),
            },
        )
        return status, headers.get("Location", ""), text

    def sign_in(self, email: str, password: str, totp_secret: str | None = None) -> None:
        """Sign in through the real pages, with a code when the account has a TOTP secret."""
        status, location, text = self.form(
            "/login", {"csrf_token": self.token("/login"), "email": email, "password": password}
        )
        if status != 302:
            raise AssertionError(f"sign-in of {email}: {status}\n{text[:1000]}")
        if location.endswith("/login/code"):
            code = pyotp.TOTP(totp_secret).now()
            status, location, text = self.form(
                "/login/code", {"csrf_token": self.token("/login/code"), "code": code}
            )
        if status != 302 or "/login" in location:
            raise AssertionError(f"sign-in of {email}: {status} {location}\n{text[:1000]}")


class _FormReader(HTMLParser):
    """The fields a browser would post from the form whose action is `action` (or, on the
    page at `action`, the POST form that has none)."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.fields: list[list[str]] = []
        #: Names of the fields a person types into (text inputs and text areas).
        self.typed: set[str] = set()
        self._textarea: list[str] | None = None
        self._select: str | None = None
        #: [name, first option] of a single choice until an option is seen selected.
        self._unchosen: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            # A POST form without an action posts to the page it is on.
            action = attrs.get("action")
            self.inside = action == self.action or (
                not action and (attrs.get("method") or "").lower() == "post"
            )
            return
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file", "reset"):
                self.fields.append([name, attrs.get("value") or ""])
            if kind == "text":
                self.typed.add(name)
        elif tag == "textarea" and name:
            self.typed.add(name)
            self._textarea = [name, ""]
            self.fields.append(self._textarea)
        elif tag == "select" and name:
            self._select = name
            self._unchosen = None if "multiple" in attrs else [name, None]
        elif tag == "option" and self._select:
            if self._unchosen and self._unchosen[1] is None:
                self._unchosen[1] = attrs.get("value") or ""
            if "selected" in attrs:
                self.fields.append([self._select, attrs.get("value") or ""])
                self._unchosen = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            # As in a browser, a line break just after <textarea> is not part of the value.
            # (WTForms writes it as "\r\n", which the browser reads as one line break.)
            value = self._textarea[1]
            self._textarea[1] = value[2:] if value.startswith("\r\n") else value.removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            # A single choice with no option selected posts its first option, as in a browser.
            if self._unchosen and self._unchosen[1] is not None:
                self.fields.append(self._unchosen)
            self._select = self._unchosen = None


def form_fields(html: str, action: str) -> list[list[str]]:
    """[name, value] pairs of the form posting to `action`, as a browser would send them."""
    reader = _FormReader(action)
    reader.feed(html)
    return reader.fields


def typed_fields(html: str, action: str) -> set[str]:
    """The names of the text inputs and text areas of the form posting to `action`."""
    reader = _FormReader(action)
    reader.feed(html)
    return reader.typed

"""The server bench: the portal's pages under gunicorn, against a bare Flask app.

Both run under gunicorn with two sync workers on 127.0.0.1; wrk (a C load generator,
Debian's package `wrk`) drives each page and the bare app for BENCH_SECONDS each (default
3), in turns of one second, bare app first: a machine whose speed drifts over seconds (a
shared host's does) then slows both alike. Each page's ratio is its requests per second
over the bare app's in the same turns.

The portal runs on BENCH_DATABASE_URL (PostgreSQL; emptied first) or a new SQLite file, with
Redis for the rate limits' counters when BENCH_REDIS_URL is given (production settings),
otherwise with the development settings.
"""

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from flask_migrate import upgrade

from bench import world as bench_world
from bench.serving import (
    Browser,
    database_url,
    empty_database,
    form_fields,
    gunicorn,
    portal_env,
    settle_database,
    typed_fields,
)
from portal import create_app
from portal.config import TestConfig
from portal.extensions import db

#: The least share of the bare app's requests per second each kind of page must reach.
SECTION_SHARE = 0.10
BIG_SECTION_SHARE = 0.05
SAVE_SHARE = 0.05
REVIEW_SHARE = 0.05
QUEUE_SHARE = 0.05
FACTORY_TABLE_SHARE = 0.05
CONNECTIONS = 4
WARM_UP_REQUESTS = 10
#: wrk's printed figures.
_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors:.*")
_UNEXPECTED = re.compile(r"unexpected status: (\d+)")

#: The page script keeps the session cookie as a browser does: the portal signs it again at
#: most once a minute, and a client that kept sending the first one would have it signed anew
#: on every request after that minute. The save script sends the cookie it was given (fresh,
#: since the section's page was just read) with every save: each save's reply carries the
#: cookie with its "saved" message added, which a browser would drop on following the
#: redirect, and keeping it would make every later request carry all the earlier messages.
COOKIE_LUA = """
local headers = nil

local function escaped(text)
  return (string.gsub(text, "%p", "%%%0"))
end

function with_cookie()
  if headers == nil then
    headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
  end
  return headers
end

function keep_cookie(received)
  local set = received["Set-Cookie"] or received["set-cookie"]
  if set == nil then return end
  local pair = string.match(set, "^([^;]+)")
  local name = string.match(pair, "^([^=]+)=")
  local current = with_cookie()["Cookie"] or ""
  local value = string.gsub(pair, "%%", "%%%%")
  local replaced, count = string.gsub(current, escaped(name) .. "=[^;]*", value)
  if count == 0 then replaced = pair .. "; " .. current end
  headers["Cookie"] = replaced
end
"""

PAGE_SCRIPT = (
    COOKIE_LUA
    + """
request = function()
  return wrk.format("GET", nil, with_cookie())
end

response = function(status, received, body)
  keep_cookie(received)
end
"""
)

SAVE_SCRIPT = (
    COOKIE_LUA
    + """
local counter = 0
-- A global, so that `done` (run in wrk's main state) can read each thread's count.
unexpected = 0
local body = [==[BODY]==]
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

request = function()
  local sent = with_cookie()
  sent["Content-Type"] = "application/x-www-form-urlencoded"
  counter = counter + 1
  local filled = string.gsub(body, "ZZCOUNTERZZ", tostring(counter))
  return wrk.format("POST", nil, sent, filled)
end

response = function(status, received, body)
  if status ~= 302 then unexpected = unexpected + 1 end
end

done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("unexpected") end
  io.write(string.format("unexpected status: %d\\n", total))
end
"""
)


@dataclass
class Figure:
    label: str
    rate: float
    bare: float
    least: float
    #: Each turn's share of the bare app's rate (page over bare in the same turn): how far
    #: the turns lie apart tells whether a verdict near the line is more than chance.
    turn_shares: tuple[float, ...] = ()

    @property
    def share(self) -> float:
        return self.rate / self.bare if self.bare else 0.0

    @property
    def spread(self) -> str:
        """The lowest and highest turn's share, as "0.081–0.097"; empty for one turn."""
        if len(self.turn_shares) < 2:
            return ""
        return f"{min(self.turn_shares):.3f}–{max(self.turn_shares):.3f}"

    @property
    def ok(self) -> bool:
        return self.share >= self.least


def wrk_missing() -> str | None:
    if shutil.which("wrk"):
        return None
    return "wrk is not installed (Debian: apt-get install wrk; `make bench` installs it)"


def run_wrk(url: str, seconds: float, headers: dict[str, str], script: Path | None = None):
    """wrk against `url`; (requests per second, problems)."""
    args = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds:g}s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    if script is not None:
        args += ["-s", str(script)]
    out = subprocess.run(
        [*args, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    rate = float(_RATE.search(out).group(1))
    problems = []
    if m := _NON_2XX.search(out):
        problems.append(f"{m.group(1)} replies were not 2xx/3xx")
    if m := _SOCKET_ERRORS.search(out):
        problems.append(m.group(0))
    if (m := _UNEXPECTED.search(out)) and int(m.group(1)):
        problems.append(f"{m.group(1)} saves were not answered with a redirect")
    return rate, problems


def _seed(url: str, env: dict[str, str]) -> bench_world.World:
    config = type(
        "ServerBenchConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TOTP_ENCRYPTION_KEYS": env["TOTP_ENCRYPTION_KEYS"],
            "EVIDENCE_STORAGE_URL": env["EVIDENCE_STORAGE_URL"],
            "ARGON2_PROFILE": "CHEAPEST",
        },
    )
    app = create_app(config)
    with app.app_context():
        upgrade()
        built = bench_world.build()
        db.session.remove()
        db.engine.dispose()
    settle_database(url)
    return built


_NUMBER = re.compile(r"\s*-?\d+([.,]\d+)?\s*")


def _save_script(folder: Path, browser: Browser, path: str) -> Path:
    """A wrk script that saves the section at `path` as its form would, every answer typed
    in words changed on every request, so that each save writes. Each save must stay valid,
    or it would answer with the page that says what is wrong instead of a redirect: numbers
    are left alone (digits added would soon pass their limit), and so are empty fields (a
    table's empty rows would become rows with cells missing)."""
    html = browser.page(path)
    typed = typed_fields(html, path)

    def changed(name: str, value: str) -> bool:
        return (
            name in typed
            and name.startswith("q_")
            and value.strip() != ""
            and not _NUMBER.fullmatch(value)
        )

    fields = [
        [name, f"{value} ZZCOUNTERZZ" if changed(name, value) else value]
        for name, value in form_fields(html, path)
    ]
    if not any(name in typed for name, _ in fields):
        raise AssertionError(f"{path}: no answer to type into")
    script = folder / "save.lua"
    body = urlencode([(name, value) for name, value in fields])
    script.write_text(SAVE_SCRIPT.replace("BODY", body), encoding="utf-8")
    return script


def _measure(server_url, bare_url, seconds, label, path, least, headers, script=None):
    """The page's and the bare app's requests per second, each the mean of `seconds` turns
    of one second taken alternately."""
    turns = max(1, round(seconds))
    bare_rates, rates, problems = [], [], []
    for _ in range(turns):
        bare, bare_problems = run_wrk(bare_url + "/", 1, {})
        rate, page_problems = run_wrk(server_url + path, 1, headers, script)
        bare_rates.append(bare)
        rates.append(rate)
        problems += bare_problems + page_problems
    if problems:
        raise AssertionError(f"{label}: " + "; ".join(sorted(set(problems))))
    pairs = zip(rates, bare_rates, strict=True)
    shares = tuple(rate / bare if bare else 0.0 for rate, bare in pairs)
    return Figure(label, sum(rates) / turns, sum(bare_rates) / turns, least, shares)


def report_line(figure: Figure) -> str:
    """A page's line: its rate, its share of the bare app's, the turns' spread of shares,
    the share it is held to and the verdict."""
    verdict = "ok" if figure.ok else "TOO SLOW"
    turns = f"; turns {figure.spread}" if figure.spread else ""
    return (
        f"{figure.label:<46} {figure.rate:8.1f} req/s  {figure.share:6.3f} of bare "
        f"({figure.bare:7.1f}{turns}; held to {figure.least:.2f})  {verdict}"
    )


def main() -> bool:
    """Run the server bench; True when a page is under its share."""
    missing = wrk_missing()
    if missing:
        print(f"server bench: {missing}")
        return True
    seconds = max(1, int(os.environ.get("BENCH_SECONDS", "3")))
    with tempfile.TemporaryDirectory(prefix="bench-server-") as name:
        folder = Path(name)
        url = database_url(folder)
        empty_database(url)
        settings = {}
        if os.environ.get("BENCH_REDIS_URL"):
            settings["RATELIMIT_STORAGE_URI"] = os.environ["BENCH_REDIS_URL"]
        env = portal_env(url, folder, **settings)
        print(f"server bench: gunicorn, 2 workers, {url.split(':')[0]}; wrk for {seconds:g} s")
        built = _seed(url, env)
        with (
            gunicorn("wsgi:app", env, folder / "portal.log") as portal,
            gunicorn("bench.bare:app", env, folder / "bare.log") as bare,
        ):
            try:
                return _bench(portal, bare, built, folder, seconds)
            except BaseException:
                print(portal.log.read_text(errors="replace")[-6000:])
                raise


def _bench(portal, bare, built, folder: Path, seconds: float) -> bool:
    supplier = Browser(portal.port)
    supplier.sign_in(built.supplier_email, bench_world.PASSWORD)
    reviewer = Browser(portal.port)
    reviewer.sign_in(built.reviewer_email, bench_world.PASSWORD, built.reviewer_totp)
    pages = [
        *((f"section {label}", path, SECTION_SHARE, supplier) for label, path in built.sections),
        (
            f"section of {bench_world.BIG_QUESTIONS} questions",
            built.big_section,
            BIG_SECTION_SHARE,
            supplier,
        ),
        ("reviewer's page, full response", built.review_page, REVIEW_SHARE, reviewer),
        (
            f"review queue, {bench_world.QUEUE_RESPONSES:,} responses",
            built.queue_page,
            QUEUE_SHARE,
            reviewer,
        ),
        (
            f"factory table, {bench_world.FACTORIES:,} factories",
            built.factory_table,
            FACTORY_TABLE_SHARE,
            reviewer,
        ),
    ]
    page_script = folder / "page.lua"
    page_script.write_text(PAGE_SCRIPT, encoding="utf-8")
    failed = False
    for label, path, least, browser in pages:
        for _ in range(WARM_UP_REQUESTS):
            browser.page(path)
        headers = {"Cookie": browser.cookie_header, "Accept-Language": "en"}
        figure = _measure(
            portal.base_url, bare.base_url, seconds, label, path, least, headers, page_script
        )
        print(report_line(figure), flush=True)
        failed |= not figure.ok
    script = _save_script(folder, supplier, built.save_section)
    headers = {"Cookie": supplier.cookie_header, "Accept-Language": "en"}
    label = f"save section {built.save_section.rsplit('/', 1)[1]}"
    figure = _measure(
        portal.base_url,
        bare.base_url,
        seconds,
        label,
        built.save_section,
        SAVE_SHARE,
        headers,
        script,
    )
    print(report_line(figure), flush=True)
    return failed or not figure.ok

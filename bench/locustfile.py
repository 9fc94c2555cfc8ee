"""The simulated suppliers of `make load`; bench/load.py runs Locust with this file.

Each simulated user is one supplier's owner. It signs in and takes its responses one after
the other: it starts each (its first one the seed started and answered but for one section)
and works through the sections still to answer as the pages let a person: it types half the
answers and the page saves them by itself (autosave, with the page's `seen` versions, taken
again from each reply as the page's script does), types the rest and the page saves again;
on the section with an evidence slot it goes to attach a small PDF and comes back; then it
presses "Save and go to the next section". Then it submits from the overview and takes the
next response; the last one it never submits but goes on editing, a few answers a visit,
until the run ends.

Every save is written into the ledger before it is sent and marked acknowledged when the
portal answers it as it should (a redirect after a full save; JSON without conflicts, whose
`seen` fingerprints are those of the values sent, after an autosave). Each section page is
compared with what was last acknowledged: an answer shown otherwise is a stale page. The
ledger is written to LOAD_LEDGER, the figures to LOAD_STATS, when Locust quits.
"""

import itertools
import json
import os
import random
import re
import secrets
from collections import Counter
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import gevent
from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

from bench.load import Ledger, Save, acknowledged_otherwise, retyped, stale_keys, typed_into
from bench.serving import form_fields
from portal.questionnaires.fieldtypes import REGISTRY

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
LEDGER = Ledger()
_ACCOUNTS = iter(PLAN["suppliers"])
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
#: The share of editing visits on which Save is pressed while the page's autosave is still
#: under way, without waiting for it (LOAD_OVERLAP, 0 to 1). None by default: the page's script
#: holds a Save until its autosave has answered; a client that does not wait may see its
#: older autosave stored after its Save.
OVERLAP = float(os.environ.get("LOAD_OVERLAP", "0"))
#: A person's pause between two requests, in seconds: LOAD_PAUSE="shortest,longest".
THINK = between(*(float(s) for s in os.environ.get("LOAD_PAUSE", "0.1,0.6").split(",")))


# One response as the supplier knows it -----------------------------------------------------------
class Draft:
    """A response and the answers the portal last acknowledged for it."""

    def __init__(self, response_id: int):
        self.id = response_id
        self.plan = PLAN["definitions"][PLAN["versions"][str(response_id)]]
        self.stored: dict = dict(PLAN["prefilled"].get(str(response_id), {}))
        self.files: Counter = Counter()
        if self.stored:  # stored by the seed: the check holds them to it as well
            LEDGER.record(Save(response_id, "seeded", "seed", dict(self.stored), True))

    def sections_to_answer(self) -> list[dict]:
        """The sections with answers to give that are not stored yet."""
        answers = self.plan["answers"]
        return [
            section
            for section in self.plan["sections"]
            if any(
                q["key"] in answers and q["key"] not in self.stored for q in section["questions"]
            )
        ]

    def path(self, section: str = "") -> str:
        return f"/responses/{self.id}/sections/{section}" if section else f"/responses/{self.id}"


class Page:
    """A section page as loaded, and what has been typed into its form since."""

    def __init__(self, draft: Draft, section: dict, html: str):
        self.draft = draft
        self.section = section
        self.questions = {q["key"]: q for q in section["questions"]}
        self.fields = form_fields(html, None)
        self.values = {key: draft.stored.get(key) for key in self.questions}
        stale = stale_keys(self.fields, section["questions"], self.values)
        if stale:
            LEDGER.stale_pages.append(
                {"response_id": draft.id, "section": section["key"], "keys": stale}
            )

    def type(self, key: str, value) -> None:
        """Type `value` (as stored) into the question's fields, as a person would."""
        question = self.questions[key]
        value = REGISTRY[question["type"]].keep(value, self.values[key])
        self.values[key] = value
        self.fields = typed_into(self.fields, question, value)

    def seen(self) -> str:
        return next((value for name, value in self.fields if name == "seen"), "")

    def set_seen(self, seen: str) -> None:
        for pair in self.fields:
            if pair[0] == "seen":
                pair[1] = seen


class Supplier(FastHttpUser):
    wait_time = THINK

    def on_start(self):
        # The portal's cookies are Secure (production); here they travel over plain HTTP.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("http", "https")))
        # Redirects are followed here, as their own requests. Never by the client: its
        # allow_redirects=False changes this setting for the time of a request, which two
        # requests under way at once (a save during an autosave) would undo for each other.
        self.client.client.redirect_response_codes = frozenset()
        self.account = next(_ACCOUNTS, None)
        self.edits = itertools.count(1)
        self.random = random.Random()  # noqa: S311 - which answers to edit, not a secret

    @task
    def work(self):
        if self.account is None:  # more users than suppliers
            raise StopUser
        self.sign_in()
        drafts = [Draft(response_id) for response_id in self.account["responses"]]
        for draft in drafts[:-1]:
            self.fill(draft)
            self.submit(draft)
        self.fill(drafts[-1])
        while True:
            self.edit(drafts[-1])

    # Requests ------------------------------------------------------------------------------------
    def call(self, kind, method, path, *, expect=200, check=None, **kwargs):
        """One request, named by its kind; (status, headers, text). A status other than
        `expect`, or a problem `check(text)` names, fails it and ends this user."""
        with self.client.request(
            method, path, name=kind, catch_response=True, allow_redirects=False, **kwargs
        ) as reply:
            text = reply.text or ""
            problem = None
            if reply.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
                problem = f"{method} {path}: {reply.status_code}, not {expect}: {_gist(text)}"
            elif check is not None:
                try:
                    problem = check(text)
                except (ValueError, KeyError) as error:
                    problem = f"{method} {path}: {error!r} in {_gist(text)}"
            if problem:
                reply.failure(problem)
            else:
                reply.success()
        if problem:
            raise StopUser
        return reply.status_code, reply.headers, text

    def get(self, kind, path):
        """A page, following redirects as a browser does (each a request of this kind)."""
        for _ in range(5):
            status, headers, text = self.call(kind, "GET", path, expect=(200, 302))
            if status == 200:
                return text
            path = self.follow(headers)
        raise StopUser

    def follow(self, headers) -> str:
        return urlsplit(headers.get("Location", "")).path

    def sign_in(self):
        fields = filled(
            form_fields(self.get("sign-in page", "/login"), None),
            email=self.account["email"],
            password=PLAN["password"],
        )
        self.wait()
        _, headers, _ = self.call(
            "sign-in", "POST", "/login", expect=302, data=encoded(fields), headers=FORM
        )
        self.get("home page", self.follow(headers))
        self.wait()
        self.get("response list", "/responses")
        self.wait()

    # A response ----------------------------------------------------------------------------------
    def fill(self, draft: Draft):
        """Start the response (unless it is started) and answer its sections in order."""
        overview = self.get("overview", draft.path())
        start = f"{draft.path()}/start"
        # Without the box that carries answers over from an earlier response ticked.
        fields = [p for p in form_fields(overview, start) if p[0] != "carry_over"]
        if fields:
            self.wait()
            _, headers, _ = self.call(
                "start", "POST", start, expect=302, data=encoded(fields), headers=FORM
            )
            self.get("overview", self.follow(headers))
        keys = [s["key"] for s in draft.plan["sections"]]
        sections = draft.sections_to_answer()
        path = draft.path(sections[0]["key"]) if sections else draft.path()
        for index, section in enumerate(sections):
            following = sections[index + 1]["key"] if index + 1 < len(sections) else None
            after = keys[keys.index(section["key"]) + 1 :][:1]
            next_ = "next" if following and [following] == after else "overview"
            path = self.answer(draft, section, path, next_)
            if following and path == draft.path():
                self.get("overview", path)
                path = draft.path(following)
        if path == draft.path():
            self.get("overview", path)

    def answer(self, draft: Draft, section: dict, path: str, next_: str) -> str:
        """Answer a section: half the answers, the rest, each half saved by the page itself,
        a document when the section has the slot, then Save; where the portal goes next."""
        self.wait()
        page = self.open(draft, section, path)
        answers = draft.plan["answers"]
        answered = [k for k in page.questions if k in answers]
        first, rest = answered[: len(answered) // 2], answered[len(answered) // 2 :]
        uploading = draft.plan["upload_to"] in page.questions
        overlap = bool(rest) and not uploading and self.random.random() < OVERLAP
        # With an overlap, the second half's autosave is under way when Save is pressed.
        for part, autosaved in ((first, True), (rest[:-1] if overlap else rest, not overlap)):
            if part:
                for key in part:
                    page.type(key, answers[key])
                self.wait()
                if autosaved:
                    self.autosave(page)
        if overlap:
            return self.save_while_autosaving(page, rest[-1], answers[rest[-1]], next_)
        if uploading:
            # Away to the upload page and back: the section page as now stored.
            self.wait()
            page = self.upload(page, draft.plan["upload_to"])
        self.wait()
        return self.save(page, next_)

    def save_while_autosaving(self, page: Page, key: str, value, next_: str) -> str:
        """The page begins to save the changes by itself; one more change, and Save is
        pressed while that autosave is under way (the page's script does not wait for it)."""
        autosaving = gevent.spawn(self.autosave, page)
        gevent.sleep(self.random.uniform(0, 0.05))
        page.type(key, value)
        path = self.save(page, next_)
        autosaving.get()
        page.draft.stored.update(page.values)  # what was sent last
        return path

    def edit(self, draft: Draft):
        """Open a section, change a few answers, let them autosave, then save."""
        retyped_keys = set(draft.plan["retyped"])
        retyped_keys &= set(draft.plan["answers"])
        sections = [
            s for s in draft.plan["sections"] if retyped_keys & {q["key"] for q in s["questions"]}
        ]
        section = self.random.choice(sections)
        page = self.open(draft, section, draft.path(section["key"]))
        answers = draft.plan["answers"]
        keys = [k for k in page.questions if k in retyped_keys and k in answers]

        def type_again(key):
            page.type(key, retyped(page.questions[key], answers[key], next(self.edits)))

        for _ in range(self.random.randint(1, 2)):
            for key in self.random.sample(keys, min(len(keys), self.random.randint(1, 3))):
                type_again(key)
            self.wait()
            self.autosave(page)
        type_again(self.random.choice(keys))
        self.wait()
        if self.random.random() < OVERLAP:
            key = self.random.choice(keys)
            value = retyped(page.questions[key], answers[key], next(self.edits))
            path = self.save_while_autosaving(page, key, value, "")
        else:
            path = self.save(page, "")
        # "Save draft" brings the same section back, as now stored.
        self.open(draft, section, path)
        self.wait()

    def open(self, draft: Draft, section: dict, path: str) -> Page:
        return Page(draft, section, self.get("section page", path))

    def autosave(self, page: Page) -> None:
        """What the page's script does a moment after a change."""
        draft = page.draft
        values = dict(page.values)  # the page may change while this is under way
        sent_seen = page.seen()
        save = LEDGER.record(Save(draft.id, page.section["key"], "autosave", values))
        reply = {}

        def check(text):
            reply.update(json.loads(text))
            if reply.get("conflicts"):
                return f"autosave of response {draft.id}: conflicts {reply['conflicts']}"
            wrong = acknowledged_otherwise(values, sent_seen, reply["seen"])
            if wrong:
                return f"autosave of response {draft.id} acknowledged other values of {wrong}"
            return None

        self.call(
            "autosave",
            "POST",
            f"{draft.path(page.section['key'])}/autosave",
            data=encoded(page.fields),
            headers={**FORM, "Accept": "application/json"},
            check=check,
        )
        save.acknowledged = True
        draft.stored.update(values)
        page.set_seen(reply["seen"])

    def save(self, page: Page, next_: str) -> str:
        """A Save button; the address the portal sends the browser on to."""
        draft = page.draft
        save = LEDGER.record(Save(draft.id, page.section["key"], "full save", dict(page.values)))
        _, headers, _ = self.call(
            "full save",
            "POST",
            draft.path(page.section["key"]),
            expect=302,
            data=encoded([*page.fields, ["next", next_]]),
            headers=FORM,
        )
        save.acknowledged = True
        draft.stored.update(page.values)
        return self.follow(headers)

    def upload(self, page: Page, key: str) -> Page:
        """Attach a small PDF to an evidence slot; the section page the portal returns to."""
        draft = page.draft
        path = f"/responses/{draft.id}/evidence/{key}"
        fields = form_fields(self.get("upload page", path), None)
        self.wait()
        content = f"%PDF-1.4\n% load test {secrets.token_hex(8)}\n%%EOF\n".encode()
        body, content_type = _multipart(fields, "file", f"evidence {key}.pdf", content)
        files = draft.files[key] + 1
        value = {**(draft.stored.get(key) or {}), "files": files}
        save = LEDGER.record(Save(draft.id, key, "upload", {key: value}))
        LEDGER.uploaded(draft.id, key, acknowledged=False)
        _, headers, _ = self.call(
            "upload", "POST", path, expect=302, data=body, headers={"Content-Type": content_type}
        )
        save.acknowledged = True
        LEDGER.uploaded(draft.id, key)
        draft.files[key] = files
        draft.stored[key] = value
        return self.open(draft, page.section, self.follow(headers))

    def submit(self, draft: Draft) -> None:
        self.wait()
        overview = self.get("overview", draft.path())
        action = f"{draft.path()}/submit"
        self.wait()
        LEDGER.submit_attempts.append(draft.id)
        _, headers, _ = self.call(
            "submit",
            "POST",
            action,
            expect=302,
            data=encoded(form_fields(overview, action)),
            headers=FORM,
        )
        LEDGER.submitted.append(draft.id)
        self.get("overview", self.follow(headers))


def _multipart(fields, file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def filled(fields: list[list[str]], **values: str) -> list[list[str]]:
    """The form's fields with these typed in."""
    return [[name, values.get(name, value)] for name, value in fields]


def encoded(fields) -> str:
    """[name, value] pairs as a browser sends a form."""
    return urlencode([(name, value) for name, value in fields])


def _gist(text: str) -> str:
    """The start of a reply, or of the problem summary on a page that has one."""
    summary = _SUMMARY.search(text)
    if summary:
        text = re.sub(r"<[^>]+>", " ", summary.group(0))
    return " ".join(text.split())[:500]


_SUMMARY = re.compile(r'<div class="error-summary".*?</div>', re.DOTALL)


@events.quitting.add_listener
def _write_results(environment, **_kwargs):
    LEDGER.dump(Path(os.environ["LOAD_LEDGER"]))
    stats = environment.stats
    kinds = {entry.name: _figures(entry) for entry in stats.entries.values() if entry.num_requests}
    errors = [
        {"name": e.name, "error": str(e.error), "occurrences": e.occurrences}
        for e in stats.errors.values()
    ]
    exceptions = [
        {"count": e["count"], "traceback": f"{e['traceback']}{e['msg']}"}
        for e in environment.runner.exceptions.values()
    ]
    result = {
        "kinds": kinds,
        "total": _figures(stats.total),
        "errors": errors,
        "exceptions": exceptions,
    }
    Path(os.environ["LOAD_STATS"]).write_text(json.dumps(result), encoding="utf-8")


def _figures(entry) -> dict:
    return {
        "requests": entry.num_requests,
        "errors": entry.num_failures,
        "p50": entry.get_response_time_percentile(0.5) or 0,
        "p95": entry.get_response_time_percentile(0.95) or 0,
    }

"""Versioned definitions: data files reviewed like code, published into the database.

Questionnaires, the worker-empowerment ladder and any later kind of versioned content live as
questionnaires/<key>/v<N>.yaml. What they share lives here, once: reading a file (bounded in
size), the checks every kind makes (format version, key and version against the file's place),
the content hash, the `--folder` option, and the one publishing rule:

- a (key, version) not stored yet is stored;
- the same content again changes nothing;
- different content replaces a stored version only while nothing refers to it (no responses,
  no marks); once something does, the version never changes and the file is refused.

A feature plugs in its content by describing it as a `Kind`.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import click
import yaml
from flask import current_app
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from portal.extensions import db
from portal.texts import text_in

#: The definitions the portal ships; QUESTIONNAIRES_FOLDER points here unless configured.
ROOT = Path(__file__).resolve().parent.parent / "questionnaires"
#: A definition is read whole into memory; the shipped ones are about a tenth of this.
MAX_BYTES = 2 * 1024 * 1024
#: The most values (mappings, lists, keys and scalars) a definition may hold with its aliases
#: expanded; the shipped ones hold about 5,000. A few lines of aliases can stand for billions.
MAX_VALUES = 500_000
_FILE = re.compile(r"^v(\d+)\.yaml$")

#: Keys inside a definition (sections, questions, options, milestones).
KEY = validate.Regexp(r"^[a-z0-9_]+$", error="Use lower-case letters, digits and _ only.")


# Reading files ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One problem in a definition file, at a path inside its content."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


def definition_files(root: Path = ROOT) -> list[Path]:
    """Every <root>/<key>/v<N>.yaml, in key and version order."""
    found = [p for p in root.glob("*/v*.yaml") if _FILE.match(p.name)]
    return sorted(found, key=lambda p: (p.parent.name, int(_FILE.match(p.name).group(1))))


def file_for(key: str, number: int, root: Path = ROOT) -> Path:
    """Where version `number` of `key` lives under `root`."""
    return root / key / f"v{number}.yaml"


def read_yaml(path: Path) -> tuple[dict | None, str]:
    """The top-level mapping of a YAML file, or None and why not. Files over MAX_BYTES are
    refused unread."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            return None, f"The file is larger than {MAX_BYTES // 2**20} MB."
        raw = _parse_yaml(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return None, f"Not readable YAML: {error}"
    if not isinstance(raw, dict):
        return None, "The file must hold a mapping at the top level."
    if _holds_more_values(raw, MAX_VALUES):
        return None, (
            f"The file holds more than {MAX_VALUES:,} values with its aliases (*name) expanded, "
            "or an alias inside what it names."
        )
    return raw, ""


def _holds_more_values(content, limit: int) -> bool:
    """Whether `content` holds more than `limit` values as a tree, each alias counted as a
    copy of what it names. The parser shares one object between an anchor and its aliases,
    so the file is small in memory, but reading it as a tree (checking, hashing) walks every
    copy; this counts them without walking further than `limit`, also through an alias that
    names something around itself."""
    count = 0
    pending = [content]
    while pending:
        value = pending.pop()
        count += 1
        if count > limit:
            return True
        if isinstance(value, dict):
            pending += value.keys()
            pending += value.values()
        elif isinstance(value, list):
            pending += value
    return False


#: libyaml's safe loader when PyYAML has it (its wheels do): about nine times faster than
#: PyYAML's own, which matters as every publish and check reads the files again.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_yaml(text: str):
    """`text` parsed as YAML's safe subset. A file that is not valid YAML is parsed again by
    PyYAML's own loader, whose message shows the line at fault and points at the place."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        return yaml.safe_load(text)


def declared_kind(path: Path) -> str | None:
    """The `kind:` a definition file declares (e.g. "ladder"); None for a questionnaire, which
    declares none, or for a file that cannot be read."""
    raw, _ = read_yaml(path)
    kind = raw.get("kind") if raw else None
    return kind if isinstance(kind, str) else None


def _flatten(messages, path="") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            step = f"[{key}]" if isinstance(key, int) else (f".{key}" if path else str(key))
            out += _flatten(value, path + step)
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(path or "(file)", m) for m in messages]
    return [(path or "(file)", str(messages))]


# Checking ---------------------------------------------------------------------------------------
class Text(Schema):
    """A text in both languages."""

    class Meta:
        unknown = RAISE

    sv = fields.String(required=True, validate=validate.Length(min=1))
    en = fields.String(required=True, validate=validate.Length(min=1))


def unknown_format(value, expected: int | tuple[int, ...], name: str = "") -> str:
    """The message for a format_version this portal cannot read ("" when it can); `expected`
    is the one version a kind reads, or every version it reads, oldest first."""
    readable = expected if isinstance(expected, tuple) else (expected,)
    if value in readable:
        return ""
    versions = " or ".join(str(v) for v in readable)
    return f"Unknown format_version {value!r}; this portal reads {name}format_version {versions}."


class VersionedSchema(Schema):
    """The top level every definition shares: its format, key, version and title. A kind
    subclasses it, adds its own fields and sets FORMAT_VERSION, the one it reads or a tuple of
    all it reads (and FORMAT_NAME, which the format message names, e.g. "ladder ")."""

    FORMAT_VERSION: ClassVar[int | tuple[int, ...]]
    FORMAT_NAME: ClassVar[str] = ""

    class Meta:
        unknown = RAISE

    format_version = fields.Integer(required=True)
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9-]+$"))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    title = fields.Nested(Text, required=True)

    @validates_schema(pass_original=True)
    def known_format(self, data, original, **kwargs):
        # Checked first and alone: a newer format cannot be validated against this one.
        message = unknown_format(
            original.get("format_version"), self.FORMAT_VERSION, self.FORMAT_NAME
        )
        if message:
            raise ValidationError(message, "format_version")


def load_definition(
    path: Path, schema: VersionedSchema, check: Callable[[dict], list[tuple[str, str]]]
) -> tuple[dict | None, list[Problem]]:
    """Read a definition file: YAML, the format version, the shape (`schema`), then the
    checks no schema can make (`check(content)` returning (path, message) pairs), then the
    key and version against the folder and file name. Returns the content, or None and every
    problem found."""
    name = (
        str(path.relative_to(path.parent.parent.parent)) if path.parent.parent.parent else str(path)
    )
    raw, unreadable = read_yaml(path)
    if raw is None:
        return None, [Problem(name, "(file)", unreadable)]
    message = unknown_format(raw.get("format_version"), schema.FORMAT_VERSION, schema.FORMAT_NAME)
    if message:
        return None, [Problem(name, "format_version", message)]
    try:
        content = schema.load(raw)
    except ValidationError as error:
        return None, [Problem(name, p, m) for p, m in _flatten(error.messages)]
    problems = [Problem(name, p, m) for p, m in check(content)]
    match = _FILE.match(path.name)
    if content["key"] != path.parent.name:
        problems.append(Problem(name, "key", f"Must be {path.parent.name!r}, the folder name."))
    if match and content["version"] != int(match.group(1)):
        problems.append(Problem(name, "version", f"Must be {match.group(1)}, as in the file name."))
    return (None if problems else content), problems


def canonical_json(content: dict) -> str:
    """The content as JSON with sorted keys and no spaces: equal content, equal text."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(content: dict) -> str:
    """SHA-256 of the canonical JSON: what tells a changed definition from the stored one."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


class VersionedContent:
    """What every published definition has: a key, a version number and a title."""

    def __init__(self, content: dict):
        self.content = content

    @property
    def key(self) -> str:
        return self.content["key"]

    @property
    def version(self) -> int:
        return self.content["version"]

    def title(self, lang: str) -> str:
        return text_in(self.content["title"], lang)


# Publishing -------------------------------------------------------------------------------------
class PublishError(Exception):
    """A definition that cannot be published, with the reasons."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


def _nothing_more(row, content: dict) -> None:
    return None


def _no_details(row, content: dict) -> str:
    return ""


@dataclass(frozen=True)
class Kind:
    """One kind of versioned content, as publishing and checking need to know it."""

    #: The `kind:` its files declare at the top level; None for questionnaires.
    tag: str | None
    #: Reads and checks one file: the content, or None and every problem.
    load: Callable[[Path], tuple[dict | None, list[Problem]]]
    #: The row class: `key`, `number`, `content` and `content_hash`, unique by key and number.
    model: type
    #: Whether anything refers to a stored row; from then on it never changes.
    in_use: Callable[[Any], bool]
    #: What refers to a row, as the refusal names it: "responses", "marks".
    used_by: str
    #: Sets what a row takes from its content besides the content and its hash (titles), and
    #: forgets anything it read from earlier content. Called on new and corrected rows.
    fill: Callable[[Any, dict], None] = _nothing_more
    #: What differs between a row in use and a changed file, as a sentence for the refusal.
    changes: Callable[[Any, dict], str] = _no_details


def folder_or_default(folder: Path | None) -> Path:
    """The folder given, or QUESTIONNAIRES_FOLDER."""
    return Path(folder or current_app.config["QUESTIONNAIRES_FOLDER"])


def publish(kind: Kind, key: str, number: int, *, root: Path | None = None) -> tuple[Any, str]:
    """Load <root>/<key>/v<number>.yaml into the database (root: QUESTIONNAIRES_FOLDER).

    Returns the row and what happened: "published" (stored for the first time), "unchanged"
    (stored with the same content hash) or "updated" (corrected while nothing referred to it).
    Raises PublishError for a missing or faulty file, and for changed content of a version in
    use, which never changes. Adds and flushes; the caller commits.
    """
    path = file_for(key, number, folder_or_default(root))
    if not path.exists():
        raise PublishError([f"{path} does not exist."])
    content, problems = kind.load(path)
    if content is None:
        raise PublishError([str(p) for p in problems])
    digest = content_hash(content)
    existing = db.session.scalar(
        db.select(kind.model).where(kind.model.key == key, kind.model.number == number)
    )
    if existing is None:
        row = kind.model(key=key, number=number, content=content, content_hash=digest)
        kind.fill(row, content)
        db.session.add(row)
        db.session.flush()
        return row, "published"
    if existing.content_hash == digest:
        return existing, "unchanged"
    if kind.in_use(existing):
        changes = kind.changes(existing, content)
        raise PublishError(
            [
                f"{key} v{number} already has {kind.used_by} and cannot change. "
                + (f"{changes} " if changes else "")
                + f"Publish the change as v{number + 1} instead."
            ]
        )
    existing.content, existing.content_hash = content, digest
    kind.fill(existing, content)
    return existing, "updated"


# Commands ---------------------------------------------------------------------------------------
FOLDER = click.option(
    "--folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The folder holding <key>/v<N>.yaml files (default: QUESTIONNAIRES_FOLDER).",
)


def publish_and_report(
    kind: Kind,
    key: str,
    number: int,
    folder: Path | None,
    *,
    size: Callable[[Any], str],
    subject: str = "",
) -> None:
    """Publish one version for a command and commit, or roll back and fail naming every
    problem. `size` describes a stored row ("12 questions"); `subject` names what was not
    published (default: "<key> v<number>")."""
    try:
        row, outcome = publish(kind, key, number, root=folder)
    except PublishError as error:
        db.session.rollback()
        for message in error.messages:
            click.echo(message, err=True)
        raise click.ClickException(f"{subject or f'{key} v{number}'} was not published.") from error
    db.session.commit()
    messages = {
        "published": f"Published {row.label} ({size(row)}).",
        "unchanged": f"{row.label} is already published and unchanged.",
        "updated": f"Updated {row.label}: it had no {kind.used_by} yet.",
    }
    click.echo(messages[outcome])


def check_command(*kinds: Kind) -> click.Command:
    """`check`: every definition file under the folder, each read by the kind it declares."""
    by_tag = {kind.tag: kind for kind in kinds}

    @click.command("check")
    @FOLDER
    def check(folder):
        """Check every questionnaires/<key>/v<N>.yaml and list every problem with its path."""
        files = definition_files(folder_or_default(folder))
        problems = []
        for path in files:
            # An unknown kind is read as a questionnaire, whose schema then names the stray key.
            kind = by_tag.get(declared_kind(path), by_tag[None])
            problems += kind.load(path)[1]
        for problem in problems:
            click.echo(str(problem), err=True)
        if problems:
            raise click.ClickException(f"{len(problems)} problem(s) in {len(files)} file(s).")
        click.echo(f"{len(files)} definition file(s), no problems.")

    return check

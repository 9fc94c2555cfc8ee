"""What an uploaded evidence file really is, decided from its content alone.

The browser's content type is never looked at, and the file's name only has to agree with what
the content shows. Everything that is not one of the ALLOWED types is refused: markup (HTML,
SVG, XML), programs and scripts, archives, and anything unknown. Only what is needed is read:
the first 64 KiB, the zip directory of an office file and its tiny `mimetype` member; nothing is
ever unpacked.
"""

import codecs
import re
import zipfile
import zlib
from pathlib import Path

from flask_babel import lazy_gettext as _l

#: Type key -> the content type the file is stored and served with.
ALLOWED = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "csv": "text/csv",
    "txt": "text/plain",
}
#: Type key -> the extensions (lower case, without the dot) a file of that type may have.
EXTENSIONS = {
    "pdf": {"pdf"},
    "png": {"png"},
    "jpeg": {"jpg", "jpeg"},
    "xlsx": {"xlsx"},
    "docx": {"docx"},
    "odt": {"odt"},
    "ods": {"ods"},
    "csv": {"csv"},
    "txt": {"txt"},
}

MAX_ZIP_MEMBERS = 1000
#: Sum of the uncompressed sizes the zip directory declares.
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
#: How much of a file is read to recognise it, and to check that text is text.
TEXT_SAMPLE = 64 * 1024
#: An OpenDocument `mimetype` member is about 40 bytes; nothing longer is read.
MIMETYPE_MAX = 100

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_PDF = b"%PDF-"
# Local file header, end of an empty archive's directory, spanned-archive marker.
_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Old Office files (.doc, .xls) and password-protected OOXML are OLE compound documents.
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PROGRAMS = (
    b"MZ",  # Windows PE and DOS executables
    b"\x7fELF",  # Linux and other Unix executables
    b"\xfe\xed\xfa\xce",  # Mach-O 32-bit, big-endian
    b"\xfe\xed\xfa\xcf",  # Mach-O 64-bit, big-endian
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit, little-endian
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit, little-endian
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary, and Java class files
)
_ARCHIVES = {
    b"Rar!\x1a\x07": "RAR",
    b"7z\xbc\xaf\x27\x1c": "7z",
    b"\x1f\x8b": "gzip",
    b"\xfd7zXZ\x00": "xz",
}
_ODF = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}
# Tags a browser sniffs as HTML (WHATWG MIME Sniffing, "identifying a resource with an unknown
# MIME type"), followed by a space or ">".
_HTML = re.compile(
    r"<(!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--)"
    r"[\s>]",
    re.IGNORECASE,
)
# Whitespace and stray byte-order marks or zero-width spaces before the first visible character.
_LEADING = re.compile(r"[\s\ufeff\u200b]*")

_CONTENT = {
    "pdf": _l("a PDF document"),
    "png": _l("a PNG image"),
    "jpeg": _l("a JPEG image"),
    "xlsx": _l("an Excel workbook (XLSX)"),
    "docx": _l("a Word document (DOCX)"),
    "odt": _l("an OpenDocument text (ODT)"),
    "ods": _l("an OpenDocument spreadsheet (ODS)"),
    "text": _l("plain text"),
}


class RefusedFile(Exception):  # noqa: N818 - a refusal, named as the API promises
    """The file cannot be accepted; the message (English, translated) says why to the user."""


def detect(path: Path, filename: str) -> str:
    """The type key (from ALLOWED) of the file at `path`, decided from its content.

    `filename` is the name the browser sent; its extension must be one of EXTENSIONS for the
    detected type, and it is used for nothing else. Raises RefusedFile, with a message for the
    user, for any file that is not of an allowed type or whose name does not agree.
    """
    with path.open("rb") as file:
        sample = file.read(TEXT_SAMPLE)
        complete = not file.read(1)
    if not sample:
        raise RefusedFile(str(_l("The file is empty.")))
    kind = _binary_kind(sample)
    if kind is None and sample.startswith(_ZIP):
        kind = _office_kind(path)
    if kind is None:
        kind = _text_kind(sample, complete)
    return _agree_with_name(kind, filename)


def _binary_kind(sample: bytes) -> str | None:
    """The allowed type a binary signature shows; None if it shows none (zip or text maybe)."""
    if sample.startswith(_PDF):
        return "pdf"
    if sample.startswith(_PNG):
        return "png"
    if sample.startswith(_JPEG):
        return "jpeg"
    if sample.startswith(_PROGRAMS):
        raise RefusedFile(
            str(_l("This file is a program. Programs and scripts cannot be uploaded."))
        )
    for magic, name in _ARCHIVES.items():
        if sample.startswith(magic):
            raise _archive(name)
    if sample.startswith(_OLE):
        raise RefusedFile(
            str(
                _l(
                    "This is an old Office file (.doc, .xls, .ppt) or a password-protected "
                    "document. Save it as PDF, DOCX or XLSX without a password and upload that."
                )
            )
        )
    return None


def _office_kind(path: Path) -> str:
    """xlsx, docx, odt or ods for a zip that is one of them and safe to open; refuses the rest.

    Only the zip's central directory is read (and the `mimetype` member of an OpenDocument
    file, at most MIMETYPE_MAX bytes): the declared sizes are checked before anything else, and
    Python's zipfile never inflates a member beyond its declared size.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_zip_size(members)
            mimetype = None
            if members and members[0].filename == "mimetype":
                mimetype = _read_mimetype(archive, members[0])
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        ValueError,
        OSError,
        EOFError,
        RuntimeError,  # an encrypted member
        NotImplementedError,  # an unknown compression method
    ) as error:
        raise RefusedFile(
            str(
                _l(
                    "The file looks like an office document but could not be read. Save it "
                    "again and upload that file."
                )
            )
        ) from error
    names = [member.filename for member in members]
    if mimetype is not None:
        kind = _ODF.get(mimetype)
        if kind is None:
            raise _unknown()
        # Basic/ holds StarBasic macros, Scripts/ macros in other languages.
        if any(name.startswith(("Basic/", "Scripts/")) for name in names):
            raise _macros()
        return kind
    if "[Content_Types].xml" in names:
        is_docx = any(name.startswith("word/") for name in names)
        is_xlsx = any(name.startswith("xl/") for name in names)
        if is_docx == is_xlsx:
            raise _unknown()  # PowerPoint, Visio, or something that pretends to be both
        # vbaProject.bin holds VBA macros (.xlsm, .docm); macro sheets hold Excel 4.0 macros.
        if any(
            name.rsplit("/", 1)[-1].lower() == "vbaproject.bin"
            or name.startswith("xl/macrosheets/")
            for name in names
        ):
            raise _macros()
        return "docx" if is_docx else "xlsx"
    raise _archive("ZIP")


def _check_zip_size(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise RefusedFile(str(_l("The office file has too many parts to be checked safely.")))
    if sum(member.file_size for member in members) > MAX_ZIP_UNCOMPRESSED:
        raise RefusedFile(
            str(_l("The office file holds too much data when unpacked to be checked safely."))
        )


def _read_mimetype(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> str:
    """The text of an OpenDocument `mimetype` member; "" if it is too long to be one."""
    if member.file_size > MIMETYPE_MAX:
        return ""
    with archive.open(member) as stream:
        data = stream.read(MIMETYPE_MAX + 1)
    return data.decode("ascii", errors="replace").strip()


def _text_kind(sample: bytes, complete: bool) -> str:
    """`text` if the sample decodes as text and is not markup or a script; refuses the rest.

    `complete` tells whether the sample is the whole file: if not, a character cut in two at
    its end is not an error.
    """
    text = _decode(sample, complete)
    if text is None:
        raise _unknown()
    start = text[_LEADING.match(text).end() :]
    if start.startswith("<"):
        raise _markup(start)
    if start.startswith("#!"):
        raise RefusedFile(
            str(_l("This file is a script. Programs and scripts cannot be uploaded."))
        )
    if "\x00" in text:
        # Binary content decodes as Windows-1252 but holds NUL bytes; so does UTF-16 without
        # a byte-order mark.
        raise _unknown()
    return "text"


def _decode(sample: bytes, complete: bool) -> str | None:
    """The sample as text: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252."""
    if sample.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    elif sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        # Excel on Windows saves "CSV" in the ANSI code page, Windows-1252 in the West.
        encodings = ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            return codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
    return None


def _markup(start: str) -> RefusedFile:
    """The refusal for text that starts with "<": a browser could run it as a page."""
    lowered = start.lower()
    if lowered.startswith("<svg") or (
        lowered.startswith(("<?xml", "<!doctype svg")) and "<svg" in lowered
    ):
        message = _l("This file is an SVG image. Upload the image as PNG or JPEG instead.")
    elif _HTML.match(lowered):
        message = _l("This file is an HTML page. Upload the document as PDF instead.")
    elif lowered.startswith(("<?xml", "<!doctype")):
        message = _l(
            "This file is XML. Upload the document as PDF, or the data as XLSX or CSV, instead."
        )
    else:
        message = _l(
            'This file starts with "<" as web pages do, so it cannot be uploaded. Upload the '
            "document as PDF instead."
        )
    return RefusedFile(str(message))


def _agree_with_name(kind: str, filename: str) -> str:
    """`kind` (or csv/txt for text) if the name's extension fits it; refuses otherwise."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind == "text" and extension in {"csv", "txt"}:
        return extension
    if kind != "text" and extension in EXTENSIONS[kind]:
        return kind
    if not extension:
        raise RefusedFile(
            str(
                _l(
                    "The file's content is %(content)s but its name has no extension. Rename "
                    "it or upload the right file.",
                    content=_CONTENT[kind],
                )
            )
        )
    raise RefusedFile(
        str(
            _l(
                "The file's content is %(content)s but its name ends in .%(extension)s. Rename "
                "it or upload the right file.",
                content=_CONTENT[kind],
                extension=extension[:20],
            )
        )
    )


def _archive(name: str) -> RefusedFile:
    return RefusedFile(
        str(
            _l(
                "This file is a compressed archive (%(name)s). Upload each document on its own "
                "instead.",
                name=name,
            )
        )
    )


def _macros() -> RefusedFile:
    return RefusedFile(str(_l("Spreadsheets and documents with macros cannot be uploaded.")))


def _unknown() -> RefusedFile:
    return RefusedFile(
        str(
            _l(
                "Files of this type cannot be uploaded. Allowed: PDF, PNG, JPEG, XLSX, DOCX, "
                "ODT, ODS, CSV and TXT."
            )
        )
    )

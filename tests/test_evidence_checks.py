"""Evidence files are recognised from their content: the allowed types pass, markup, programs,
archives, macros, zip bombs and mislabelled files are refused with a message for the user."""

import base64
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from flask_babel import force_locale

from portal.evidence import checks
from portal.evidence.checks import ALLOWED, EXTENSIONS, RefusedFile, detect

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# A 1x1 pixel PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + bytes(64)
    + b"\xff\xd9"
)
CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/"/>'

UNKNOWN = (
    "Files of this type cannot be uploaded. Allowed: PDF, PNG, JPEG, XLSX, DOCX, ODT, ODS, CSV "
    "and TXT."
)
PROGRAM = "This file is a program. Programs and scripts cannot be uploaded."
MACROS = "Spreadsheets and documents with macros cannot be uploaded."
TOO_LARGE = "The office file holds too much data when unpacked to be checked safely."


@pytest.fixture(autouse=True)
def _english(app_context):
    """The messages are lazy strings, made into text (English here) when a refusal is raised."""
    with force_locale("en"):
        yield


def utf16_be_with_bom(text: str) -> bytes:
    return b"\xfe\xff" + text.encode("utf-16-be")


def forbidden(*args, **kwargs):
    raise AssertionError("nothing may be decompressed or extracted here")


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "upload.tmp"
    path.write_bytes(data)
    return path


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            # OpenDocument requires its mimetype member first and stored uncompressed.
            stored = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=stored)
    return buffer.getvalue()


def docx(**extra: bytes) -> bytes:
    return zipped(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document/>",
            **extra,
        }
    )


def xlsx(**extra: bytes) -> bytes:
    return zipped(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": b"<Relationships/>",
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"<worksheet/>",
            **extra,
        }
    )


def opendocument(mimetype: bytes, **extra: bytes) -> bytes:
    return zipped(
        {
            "mimetype": mimetype,
            "content.xml": b"<office:document-content/>",
            "META-INF/manifest.xml": b"<manifest:manifest/>",
            **extra,
        }
    )


def openpyxl_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Factory", "Country"])
    workbook.active.append(["Shenzhen Plant 3", "CN"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def refusal(tmp_path: Path, data: bytes, filename: str) -> str:
    with pytest.raises(RefusedFile) as caught:
        detect(write(tmp_path, data), filename)
    return str(caught.value)


def test_every_allowed_type_has_extensions():
    assert set(EXTENSIONS) == set(ALLOWED)


@pytest.mark.parametrize(
    ("data", "filename", "kind"),
    [
        pytest.param(PDF, "audit-report.pdf", "pdf", id="pdf"),
        pytest.param(PNG, "certificate.png", "png", id="png"),
        pytest.param(JPEG, "photo.jpg", "jpeg", id="jpg"),
        pytest.param(JPEG, "PHOTO.JPEG", "jpeg", id="jpeg-upper-case"),
        pytest.param(PDF, "C:\\Users\\anna\\Report.PDF", "pdf", id="windows-path"),
        pytest.param(openpyxl_workbook(), "factories.xlsx", "xlsx", id="xlsx-openpyxl"),
        pytest.param(xlsx(), "factories.xlsx", "xlsx", id="xlsx"),
        pytest.param(docx(), "policy.docx", "docx", id="docx"),
        pytest.param(
            opendocument(b"application/vnd.oasis.opendocument.text"), "policy.odt", "odt", id="odt"
        ),
        pytest.param(
            opendocument(b"application/vnd.oasis.opendocument.spreadsheet"),
            "factories.ods",
            "ods",
            id="ods",
        ),
        pytest.param(
            "\ufeffName;Country\nFabrik Müller;DE\n".encode(), "list.csv", "csv", id="csv-utf8-bom"
        ),
        pytest.param(
            "Name;Country\nUsine Française;FR\n".encode("cp1252"),
            "list.csv",
            "csv",
            id="csv-cp1252",
        ),
        pytest.param(
            "Name\tCountry\n工厂\tCN\n".encode("utf-16"), "list.csv", "csv", id="csv-utf16-bom"
        ),
        pytest.param(
            utf16_be_with_bom("Notes: 工厂 visited"), "notes.txt", "txt", id="txt-utf16-be"
        ),
        pytest.param(b"Visited on 3 March.\n", "notes.TXT", "txt", id="txt-ascii"),
        pytest.param("Čeština – Ё\n".encode(), "notes.txt", "txt", id="txt-utf8-not-cp1252"),
    ],
)
def test_allowed_files_are_recognised(tmp_path, data, filename, kind):
    assert detect(write(tmp_path, data), filename) == kind


def test_text_cut_in_a_character_at_the_end_of_the_sample_is_still_text(tmp_path):
    # The byte-order mark and 32,766 letters fill 65,534 bytes; the emoji's four bytes (a
    # surrogate pair) straddle the end of what is read.
    text = "a" * (checks.TEXT_SAMPLE // 2 - 2) + "\U0001f600 more text"
    data = b"\xff\xfe" + text.encode("utf-16-le")
    assert data[checks.TEXT_SAMPLE - 2 : checks.TEXT_SAMPLE + 2] == "\U0001f600".encode("utf-16-le")
    assert detect(write(tmp_path, data), "notes.txt") == "txt"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        pytest.param(
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
            "report.pdf",
            "This file is an HTML page. Upload the document as PDF instead.",
            id="html-named-pdf",
        ),
        pytest.param(
            b"\xef\xbb\xbf \r\n\t<html>\n<body>hello</body></html>",
            "notes.txt",
            "This file is an HTML page. Upload the document as PDF instead.",
            id="html-after-bom-and-whitespace",
        ),
        pytest.param(
            "<html><body>hi</body></html>".encode("utf-16"),
            "notes.txt",
            "This file is an HTML page. Upload the document as PDF instead.",
            id="html-in-utf16",
        ),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "logo.png",
            "This file is an SVG image. Upload the image as PNG or JPEG instead.",
            id="svg-named-png",
        ),
        pytest.param(
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
            "logo.png",
            "This file is an SVG image. Upload the image as PNG or JPEG instead.",
            id="svg-with-xml-declaration",
        ),
        pytest.param(
            b'<?xml version="1.0"?>\n<factories><factory/></factories>',
            "factories.txt",
            "This file is XML. Upload the document as PDF, or the data as XLSX or CSV, instead.",
            id="xml-named-txt",
        ),
        pytest.param(
            b"<Factory name>;Country\n",
            "list.csv",
            'This file starts with "<" as web pages do, so it cannot be uploaded. Upload the '
            "document as PDF instead.",
            id="other-markup-named-csv",
        ),
        pytest.param(
            b"#!/bin/sh\nrm -rf /\n",
            "notes.txt",
            "This file is a script. Programs and scripts cannot be uploaded.",
            id="shell-script-named-txt",
        ),
        pytest.param(b"MZ" + bytes(510), "report.pdf", PROGRAM, id="exe-named-pdf"),
        pytest.param(b"\x7fELF\x02\x01\x01" + bytes(57), "list.csv", PROGRAM, id="elf-named-csv"),
        pytest.param(b"\xcf\xfa\xed\xfe" + bytes(28), "notes.txt", PROGRAM, id="mach-o"),
        pytest.param(b"\xca\xfe\xba\xbe\x00\x00\x00\x41" + bytes(24), "a.pdf", PROGRAM, id="java"),
        pytest.param(
            zipped({"report.pdf": PDF, "notes.txt": b"hello"}),
            "policy.docx",
            "This file is a compressed archive (ZIP). Upload each document on its own instead.",
            id="plain-zip-named-docx",
        ),
        pytest.param(
            b"\x1f\x8b\x08\x00" + bytes(16),
            "report.pdf",
            "This file is a compressed archive (gzip). Upload each document on its own instead.",
            id="gzip",
        ),
        pytest.param(
            b"Rar!\x1a\x07\x01\x00" + bytes(16),
            "report.pdf",
            "This file is a compressed archive (RAR). Upload each document on its own instead.",
            id="rar",
        ),
        pytest.param(
            b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(24),
            "report.pdf",
            "This file is a compressed archive (7z). Upload each document on its own instead.",
            id="7z",
        ),
        pytest.param(
            xlsx(**{"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"}),
            "factories.xlsx",
            MACROS,
            id="xlsm-named-xlsx",
        ),
        pytest.param(
            docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro"}),
            "policy.docx",
            MACROS,
            id="docm-named-docx",
        ),
        pytest.param(
            xlsx(**{"xl/macrosheets/sheet2.xml": b"<xm:macrosheet/>"}),
            "factories.xlsx",
            MACROS,
            id="excel-4-macro-sheet",
        ),
        pytest.param(
            opendocument(
                b"application/vnd.oasis.opendocument.spreadsheet",
                **{"Basic/Standard/Module1.xml": b"<script:module/>"},
            ),
            "factories.ods",
            MACROS,
            id="ods-with-basic-macros",
        ),
        pytest.param(
            opendocument(b"application/vnd.oasis.opendocument.presentation"),
            "slides.odt",
            UNKNOWN,
            id="odp-named-odt",
        ),
        pytest.param(
            zipped({"[Content_Types].xml": CONTENT_TYPES, "ppt/presentation.xml": b"<p/>"}),
            "slides.docx",
            UNKNOWN,
            id="pptx-named-docx",
        ),
        pytest.param(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
            "factories.xlsx",
            "This is an old Office file (.doc, .xls, .ppt) or a password-protected document. "
            "Save it as PDF, DOCX or XLSX without a password and upload that.",
            id="ole-old-office-or-encrypted",
        ),
        pytest.param(
            b"PK\x03\x04" + b"not really a zip" * 8,
            "factories.xlsx",
            "The file looks like an office document but could not be read. Save it again and "
            "upload that file.",
            id="broken-zip",
        ),
        pytest.param(bytes(range(256)) * 4, "data.pdf", UNKNOWN, id="unknown-binary"),
        pytest.param(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image.png", UNKNOWN, id="gif"),
        pytest.param(b"Name;Country\x00\x00\n", "list.csv", UNKNOWN, id="nul-in-text"),
        pytest.param(b"\x81\x8d\x8f\x90\x9d" * 4, "notes.txt", UNKNOWN, id="not-any-encoding"),
        pytest.param(b"", "report.pdf", "The file is empty.", id="empty"),
    ],
)
def test_refused_files(tmp_path, data, filename, message):
    assert refusal(tmp_path, data, filename) == message


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (
            PNG,
            "report.pdf",
            "The file's content is a PNG image but its name ends in .pdf. "
            "Rename it or upload the right file.",
        ),
        (
            PDF,
            "report.html",
            "The file's content is a PDF document but its name ends in .html. "
            "Rename it or upload the right file.",
        ),
        (
            xlsx(),
            "policy.docx",
            "The file's content is an Excel workbook (XLSX) but its name ends in .docx. "
            "Rename it or upload the right file.",
        ),
        (
            b"Visited on 3 March.\n",
            "notes.pdf",
            "The file's content is plain text but its name ends in .pdf. "
            "Rename it or upload the right file.",
        ),
        (
            PDF,
            "report",
            "The file's content is a PDF document but its name has no extension. "
            "Rename it or upload the right file.",
        ),
        (
            JPEG,
            "photo.jpg.exe",
            "The file's content is a JPEG image but its name ends in .exe. "
            "Rename it or upload the right file.",
        ),
    ],
)
def test_name_must_agree_with_content(tmp_path, data, filename, message):
    assert refusal(tmp_path, data, filename) == message


def test_zip_bomb_is_refused_from_the_zip_directory_alone(tmp_path, monkeypatch):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        # 300 MiB of zeros that deflate to about 300 KiB.
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    assert path.stat().st_size < 2 * 1024 * 1024

    for method in ("open", "read", "extract", "extractall"):
        monkeypatch.setattr(zipfile.ZipFile, method, forbidden)
    with pytest.raises(RefusedFile) as caught:
        detect(path, "factories.xlsx")
    assert str(caught.value) == TOO_LARGE


def test_opendocument_bomb_is_refused_before_its_mimetype_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "MAX_ZIP_UNCOMPRESSED", 1000)
    data = opendocument(b"application/vnd.oasis.opendocument.text", **{"content.xml": bytes(2000)})
    monkeypatch.setattr(zipfile.ZipFile, "open", forbidden)
    assert refusal(tmp_path, data, "policy.odt") == TOO_LARGE


def test_office_file_with_too_many_members_is_refused(tmp_path):
    members = {f"xl/worksheets/sheet{number}.xml": b"" for number in range(1001)}
    data = xlsx(**members)
    assert refusal(tmp_path, data, "factories.xlsx") == (
        "The office file has too many parts to be checked safely."
    )


def test_office_file_at_the_member_limit_is_accepted(tmp_path):
    # xlsx() adds four members of its own.
    members = {f"xl/worksheets/sheet{number}.xml": b"" for number in range(2, 998)}
    data = xlsx(**members)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert len(archive.infolist()) == checks.MAX_ZIP_MEMBERS
    assert detect(write(tmp_path, data), "factories.xlsx") == "xlsx"


def test_long_mimetype_member_is_not_read(tmp_path, monkeypatch):
    data = opendocument(b"application/vnd.oasis.opendocument.text" + b" " * 100)
    monkeypatch.setattr(zipfile.ZipFile, "open", forbidden)
    assert refusal(tmp_path, data, "policy.odt") == UNKNOWN


def test_text_is_checked_in_its_first_64_kib(tmp_path):
    # A NUL byte after the sample is not seen: the check reads what it needs, nothing more.
    data = b"a" * checks.TEXT_SAMPLE + b"\x00"
    assert detect(write(tmp_path, data), "notes.txt") == "txt"
    assert refusal(tmp_path, b"a" * (checks.TEXT_SAMPLE - 1) + b"\x00", "notes.txt") == UNKNOWN


def test_refusal_is_in_the_users_language(tmp_path):
    with force_locale("sv"):
        assert refusal(tmp_path, b"", "report.pdf") == "Filen är tom."

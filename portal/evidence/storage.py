"""Where evidence files live, behind one small interface.

The default is a local folder. The backend is chosen by URL (EVIDENCE_STORAGE_URL):
``file:///srv/portal/evidence`` for a folder; an S3-compatible backend would implement the
same four methods for ``s3://bucket/prefix``. Keys are made by the server; content is written
to a temporary file in the same folder and moved into place, so a half-written file is never
visible and nothing is overwritten.
"""

import hashlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlparse

CHUNK = 1024 * 1024


class TooLarge(Exception):  # noqa: N818 - reads as a condition, like werkzeug's
    """The content went past the size limit while it was being stored."""


class Storage(Protocol):
    def receive(self, stream: BinaryIO, max_size: int) -> tuple[Path, str, int]:
        """Copy a stream to a temporary file; returns (path, sha256, size)."""

    def keep(self, temporary: Path) -> str:
        """Move a received file into place under a new server-made key; returns the key."""

    def open(self, key: str) -> BinaryIO:
        """The stored content, for reading."""

    def discard(self, temporary: Path) -> None:
        """Remove a received file that is not kept."""


class LocalStorage:
    """Files in a folder, sharded by the first characters of the key."""

    def __init__(self, root: Path):
        self.root = root

    def _incoming(self) -> Path:
        folder = self.root / "incoming"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def receive(self, stream: BinaryIO, max_size: int) -> tuple[Path, str, int]:
        digest = hashlib.sha256()
        size = 0
        handle, name = tempfile.mkstemp(dir=self._incoming(), prefix="up-")
        path = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_size:
                        raise TooLarge
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path, digest.hexdigest(), size

    def keep(self, temporary: Path) -> str:
        key = secrets.token_hex(20)
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # never overwrite; a clash of 160 random bits means a bug
            raise FileExistsError(key)
        shutil.move(temporary, target)
        return key

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def discard(self, temporary: Path) -> None:
        temporary.unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("storage keys are made by the server")
        return self.root / key[:2] / key[2:4] / key


def storage_from_url(url: str) -> Storage:
    """The backend for EVIDENCE_STORAGE_URL."""
    parts = urlparse(url)
    if parts.scheme == "file":
        return LocalStorage(Path(parts.path))
    raise ValueError(
        f"No evidence storage backend for {parts.scheme!r} URLs in this version; "
        "use file:///path/to/folder."
    )

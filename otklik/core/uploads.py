"""The fields every stored file shares (ticket, chat and article attachments, imported files)."""

from __future__ import annotations

import mimetypes
import secrets
from typing import TypedDict

from otklik.core.text import safe_filename


class StoredFileFields(TypedDict):
    token: str
    filename: str
    content_type: str
    size: int


def stored_file_fields(filename: str, content_type: str | None, content: bytes) -> StoredFileFields:
    """A random token (it names the file on disk and in download links, so names cannot be guessed), a
    cleaned file name, the declared type or one guessed from the name, and the size."""
    name = safe_filename(filename)
    kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return {"token": secrets.token_urlsafe(24), "filename": name, "content_type": kind[:200], "size": len(content)}

"""The one way a stored ticket file leaves the server, for every download route (web pages, the security
download route, mail inline images, the REST API).

The type comes from the file's own bytes (`uploads.judge`), never from the uploader's claim: markup,
script, SVG and XML go out as application/octet-stream; every response is a download with a sandbox
CSP, and only real images are shown inline, and only when the link asks for it with `?inline=1`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Protocol

from asgiref.sync import sync_to_async
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest

from otklik.security.uploads import PREVIEWABLE_TYPES, SNIFF_BYTES, judge

logger = logging.getLogger(__name__)

SANDBOX_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def wants_preview(request: HttpRequest) -> bool:
    """Inline display is opt-in per link (docs/security.md): `?inline=1`, nothing else."""
    return request.GET.get("inline") == "1"


def header_safe(filename: str) -> str:
    """The name for Content-Disposition: no quotes, backslashes or control characters to confuse parsers."""
    cleaned = "".join("_" if char in '"\\;' or ord(char) < 32 or ord(char) == 127 else char for char in filename)
    return cleaned.strip() or "attachment"


class StoredFile(Protocol):
    """What a download reads of a stored file row: ticket attachments and chat files both have it."""

    @property
    def pk(self) -> object: ...

    @property
    def file(self) -> FieldFile: ...

    @property
    def filename(self) -> str: ...

    @property
    def content_type(self) -> str: ...


def _next_block(blocks: Iterator[bytes]) -> bytes | None:
    return next(blocks, None)


class AttachmentFileResponse(FileResponse):
    """A FileResponse that also streams under ASGI.

    Django serves a file's synchronous iterator to an ASGI server by reading it whole into memory first
    (and warns "StreamingHttpResponse must consume synchronous iterators..."). Here each block is read
    in a worker thread as the server asks for it: constant memory, no warning. Under WSGI nothing changes."""

    block_size = 64 * 1024  # a thread hop per block: larger than Django's 4 KiB

    async def __aiter__(self) -> AsyncIterator[bytes]:
        blocks: Iterator[bytes] = iter(self.streaming_content)  # type: ignore[arg-type]
        read = sync_to_async(_next_block, thread_sensitive=False)
        while (block := await read(blocks)) is not None:
            yield block


def attachment_file_response(attachment: StoredFile, *, preview: bool) -> FileResponse:
    """The file as a response: the served type judged from its bytes, a download unless `preview` is
    asked and the bytes are a real image. Raises Http404 when the file is missing from storage."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError, ValueError) as exc:
        logger.error("attachment %s has no file in storage", attachment.pk)
        raise Http404 from exc
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    verdict = judge(attachment.filename, head, attachment.content_type)
    inline = preview and verdict.served_type in PREVIEWABLE_TYPES
    response = AttachmentFileResponse(
        handle, as_attachment=not inline, filename=header_safe(attachment.filename),
        content_type=verdict.served_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser ever rendered it, the file could run nothing and reach nothing.
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response

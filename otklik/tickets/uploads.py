"""The one upload check for every channel (web, API, mail, Telegram, chat, knowledge base) and storing
checked files on a message: the size limit by the uploader's role and the refused risky file types."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from otklik.accounts.models import Role, User
from otklik.core.errors import InvalidInput
from otklik.core.text import safe_filename
from otklik.core.uploads import stored_file_fields
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Attachment, Message, Ticket


def upload_limit(uploader: User | None) -> int:
    """The largest file this person may upload, in bytes: the one limit of every channel (portal and agent
    forms, API, mail, Telegram, chat). Requesters and unknown senders have the smaller one."""
    if uploader is None or uploader.role == Role.REQUESTER:
        return int(settings.OTKLIK_MAX_REQUESTER_UPLOAD_BYTES)
    return int(settings.OTKLIK_MAX_UPLOAD_BYTES)


def _blocked_extension(filename: str) -> str:
    """The file's extension when requesters may not upload it (settings.OTKLIK_BLOCKED_UPLOAD_EXTENSIONS), else "".

    The last extension decides ("invoice.pdf.exe" is an .exe); trailing dots and spaces, which Windows
    ignores, are ignored here too."""
    name = filename.strip().rstrip(". ").lower()
    extension = name.rsplit(".", 1)[1] if "." in name else ""
    blocked = {item.strip().lstrip(".").lower() for item in settings.OTKLIK_BLOCKED_UPLOAD_EXTENSIONS}
    return extension if extension and extension in blocked else ""


def attachments_check(files: Sequence[InboundAttachment], uploader: User | None) -> None:
    """Refuse before anything is written, so a broken upload leaves no half-made reply.

    Requesters (and unknown senders) may not send risky file types; staff may, e.g. a vetted installer."""
    limit = upload_limit(uploader)
    for item in files:
        if (uploader is None or uploader.role == Role.REQUESTER) and (extension := _blocked_extension(item.filename)):
            raise InvalidInput(
                _("%(name)s: files of type .%(extension)s cannot be uploaded. Put it in a ZIP archive or ask "
                  "support for another way.") % {"name": safe_filename(item.filename), "extension": extension},
                errors={"attachments": _("This file type is not allowed.")},
            )
        if len(item.content) > limit:
            raise InvalidInput(
                _("%(name)s is larger than the allowed %(limit)s MB.")
                % {"name": safe_filename(item.filename), "limit": round(limit / 1024 / 1024, 1)}
            )


def attachments_store(
    *, ticket: Ticket, message: Message | None, files: Iterable[InboundAttachment], uploader: User | None,
    now: datetime,
) -> list[Attachment]:
    stored = []
    for item in files:
        attachment = Attachment(
            ticket=ticket, message=message, uploaded_by=uploader, created_at=now,
            **stored_file_fields(item.filename, item.content_type, item.content),
        )
        attachment.file.save(attachment.token, ContentFile(item.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored

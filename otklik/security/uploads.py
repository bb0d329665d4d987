"""What an uploaded file really is, judged by its bytes, and the type it may be served as.

Pure Python, no Django: the ticket services can use it when storing, and the download view uses it when
serving. The uploader's declared type and the file name are claims; only the content decides, and only a
short list of inert types is ever served as anything but application/octet-stream.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass

OCTET_STREAM = "application/octet-stream"
SNIFF_BYTES = 2048

# Leading bytes of common formats.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"MZ", "application/vnd.microsoft.portable-executable"),
    (b"\x7fELF", "application/x-elf"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"{\\rtf", "application/rtf"),
)

# Markup a browser would treat as a document if it ever rendered the file (the WHATWG sniffing table).
_MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|svg|object|embed|img|a\s|div|style|title|table|"
    rb"font|br|p[\s>]|h1|b[\s>]|\?xml|!--|meta|link|base|form|math|xsl)",
    re.IGNORECASE,
)

# Types served with their own Content-Type (always as downloads, images may also be previewed).
INERT_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff",
    "application/pdf", "application/zip", "application/gzip", "application/x-7z-compressed",
    "application/vnd.rar", "audio/ogg", "audio/mpeg", "video/mp4", "application/rtf",
    "text/plain", "text/csv",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
})
PREVIEWABLE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# Declared types that would run script or render markup if a browser displayed them.
_ACTIVE_TYPES = frozenset({
    "text/xml", "application/xml", "text/xsl", "application/x-shockwave-flash", "application/pdf+html",
    "text/x-component", "application/hta", "text/cache-manifest",
})
_ACTIVE_WORDS = ("html", "javascript", "ecmascript", "svg")

# Containers whose inner format is told by the name: Office files are ZIPs (or OLE) inside.
_CONTAINER_FAMILIES: dict[str, frozenset[str]] = {
    "application/zip": frozenset({
        "application/zip", "application/x-zip-compressed",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
        "application/epub+zip", "application/java-archive",
    }),
    "application/x-ole-storage": frozenset({
        "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
        "application/vnd.ms-outlook", "application/x-ole-storage",
    }),
}


def sniff(head: bytes) -> str | None:
    """The format the first bytes show, or None when they show nothing recognisable."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\xfe\xff \t\r\n\x00")
    if _MARKUP.search(text[:1024]):
        return "text/html"
    if _looks_like_text(head):
        return "text/plain"
    return None


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        if exc.start < len(head) - 4:
            return False
    return True


def _base(content_type: str) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_active_type(content_type: str) -> bool:
    base = _base(content_type)
    # Any "+xml" type may carry XHTML with script (image/svg+xml, application/rss+xml, ...).
    return base in _ACTIVE_TYPES or base.endswith("+xml") or any(word in base for word in _ACTIVE_WORDS)


@dataclass(frozen=True)
class UploadVerdict:
    content_type: str  # what the file is, as far as can be told (to store)
    served_type: str  # what it may be served as (always with Content-Disposition: attachment)
    mislabelled: bool  # the declared type or the name's extension contradicts the content
    active: bool  # markup or script that a browser could run if it were ever rendered


def judge(filename: str, head: bytes, declared: str = "") -> UploadVerdict:
    """Compare the claims (declared type, file extension) with the first bytes of the content."""
    sniffed = sniff(head[:SNIFF_BYTES])
    declared_base = _base(declared)
    by_name = _base(mimetypes.guess_type(filename or "")[0] or "")
    claims = {claim for claim in (declared_base, by_name) if claim and claim != OCTET_STREAM}
    active = sniffed == "text/html" or any(is_active_type(claim) for claim in claims)

    if sniffed in _CONTAINER_FAMILIES:
        family = _CONTAINER_FAMILIES[sniffed]
        specific = next((claim for claim in (by_name, declared_base) if claim in family), sniffed)
        mislabelled = any(claim not in family for claim in claims)
        content_type = specific
    elif sniffed == "text/plain":
        textual = {claim for claim in claims if claim.startswith("text/") or claim in {"application/json"}}
        mislabelled = bool(claims) and not textual
        content_type = "text/csv" if "text/csv" in claims else "text/plain"
    elif sniffed is not None:
        mislabelled = bool(claims) and sniffed not in claims
        content_type = sniffed
    else:
        mislabelled = False
        content_type = declared_base or by_name or OCTET_STREAM

    if active:
        served = OCTET_STREAM
    elif content_type in INERT_TYPES and sniffed is not None:
        served = content_type
    else:
        served = OCTET_STREAM
    if served in {"text/plain", "text/csv"}:
        served = f"{served}; charset=utf-8"
    return UploadVerdict(content_type=content_type, served_type=served, mislabelled=mislabelled, active=active)

"""Raw RFC 5322 bytes to a plain `ParsedMail`. Pure Python, no Django.

`parse_mail` never raises on bad input: whatever cannot be read is recorded in `defects`, so one
broken message is stored, explained and skipped, never a crash of the mailbox.
"""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser

from otklik.mail.charsets import decode_bytes, strip_controls

MAX_PARTS = 500
MAX_DEPTH = 20
# Headers added on the way (by relays, by IMAP servers); they differ between two copies of one message.
TRACE_HEADERS = frozenset(
    {"received", "return-path", "delivered-to", "x-original-to", "x-gmail-labels", "authentication-results",
     "arc-seal", "arc-message-signature", "arc-authentication-results", "x-received", "envelope-to",
     "x-spam-status", "x-spam-flag", "x-spam-score", "x-spam-level", "x-spam-checker-version", "status",
     "x-status", "x-keywords", "x-uid", "content-length", "lines", "x-otklik-received"}
)
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=")
_ENCODED_GAP = re.compile(r"(\?=)[ \t\r\n]+(=\?)")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_ID = re.compile(r"<([^<>]+)>")


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content: bytes
    content_type: str
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class DeliveryStatus:
    recipient: str
    action: str
    status: str
    diagnostic: str


@dataclass
class ParsedMail:
    message_id: str = ""
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    subject: str = ""
    from_name: str = ""
    from_email: str = ""
    reply_to: tuple[str, ...] = ()
    to: tuple[tuple[str, str], ...] = ()
    cc: tuple[tuple[str, str], ...] = ()
    envelope_to: tuple[str, ...] = ()
    return_path: str | None = None
    date: datetime | None = None
    headers: dict[str, list[str]] = field(default_factory=dict)
    content_type: str = "text/plain"
    report_type: str = ""
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    delivery_status: list[DeliveryStatus] = field(default_factory=list)
    enclosed_ids: list[str] = field(default_factory=list)
    part_types: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""


# ---------------------------------------------------------------- headers


def normalize_message_id(value: str) -> str:
    """The id inside the first <...>, without spaces, domain lower-cased: '<A@B.Org>' -> 'A@b.org'."""
    match = _ID.search(value or "")
    token = match.group(1) if match else (value or "").strip().split(" ")[0] if value else ""
    token = re.sub(r"\s+", "", token).strip("<>")
    if "@" in token:
        local, _sep, domain = token.rpartition("@")
        token = f"{local}@{domain.lower()}"
    return strip_controls(token)[:900]


def message_ids(value: str) -> tuple[str, ...]:
    """All ids of an In-Reply-To/References value, in order, without duplicates."""
    found = [normalize_message_id(f"<{item}>") for item in _ID.findall(value or "")]
    if not found and value and value.strip():
        # Broken mailers write ids without angle brackets.
        found = [normalize_message_id(item) for item in value.split() if "@" in item]
    seen: dict[str, None] = {}
    for item in found:
        if item:
            seen.setdefault(item, None)
    return tuple(seen)


def decode_encoded_words(value: str) -> str:
    """RFC 2047, including adjacent words that split one multi-byte character and lying charsets."""
    if "=?" not in value:
        return value
    value = _ENCODED_GAP.sub(r"\1\2", value)
    pieces: list[str] = []
    position = 0
    pending: list[tuple[str, bytes]] = []

    def flush() -> None:
        if not pending:
            return
        charset = pending[0][0]
        data = b"".join(chunk for _label, chunk in pending)
        pieces.append(decode_bytes(data, charset))
        pending.clear()

    for match in _ENCODED_WORD.finditer(value):
        if match.start() > position:
            flush()
            pieces.append(value[position : match.start()])
        charset, encoding, payload = match.group(1), match.group(2).upper(), match.group(3)
        charset = charset.split("*", 1)[0]  # RFC 2231 language suffix
        try:
            chunk = _b64decode(payload) if encoding == "B" else _qdecode(payload)
        except ValueError:
            chunk = payload.encode("utf-8", "surrogateescape")
        if pending and pending[0][0].lower() != charset.lower():
            flush()
        pending.append((charset, chunk))
        position = match.end()
    flush()
    pieces.append(value[position:])
    return "".join(pieces)


def _b64decode(payload: str) -> bytes:
    import base64
    import binascii

    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from exc


def _qdecode(payload: str) -> bytes:
    data = payload.replace("_", " ").encode("utf-8", "surrogateescape")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)


def _raw_to_text(raw: str) -> str:
    """A header value as parsed from bytes (8-bit bytes surrogate-escaped) to clean text."""
    raw = _FOLD.sub("", raw)
    try:
        data = raw.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        data = raw.encode("utf-8", "surrogateescape")
    if not data.isascii():
        raw = decode_bytes(data)
    return raw


def _raw_header(msg: Message, name: str) -> str:
    """The first value of a header as text, without the policy's structured parsing (which can raise)."""
    for key, value in msg.raw_items():
        if key.lower() == name:
            return _raw_to_text(str(value)).strip()
    return ""


def _header_map(msg: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        text = _raw_to_text(str(value))
        headers.setdefault(str(name).strip().lower(), []).append(strip_controls(text).strip())
    return headers


def _addresses(values: list[str], *, keep_nameless: bool = False) -> list[tuple[str, str]]:
    result = []
    try:
        pairs = email.utils.getaddresses(values)
    except (TypeError, ValueError, IndexError):
        pairs = []
    for name, address in pairs:
        address = address.strip().strip("<>").strip()
        if not address and not (keep_nameless and name):
            continue
        if "@" in address:
            local, _sep, domain = address.rpartition("@")
            address = f"{local}@{domain.lower()}"
        name = strip_controls(decode_encoded_words(name)).strip().strip('"').strip()
        result.append((name[:200], address[:254]))
    return result


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


# ---------------------------------------------------------------- parts


def _leaves(msg: Message, defects: list[str]) -> list[tuple[Message, int]]:
    """Every part, depth first, iteratively (endlessly nested mail must not exhaust the stack)."""
    found: list[tuple[Message, int]] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        if len(found) >= MAX_PARTS:
            defects.append(f"more than {MAX_PARTS} MIME parts; the rest is kept only in the original")
            break
        found.append((part, depth))
        content_type = _content_type(part)
        if content_type in {"message/rfc822", "message/delivery-status"} or not part.is_multipart():
            continue
        if depth >= MAX_DEPTH:
            defects.append(f"MIME nesting deeper than {MAX_DEPTH}; the rest is kept only in the original")
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in reversed(payload) if isinstance(child, Message))
    return found


def _content_type(part: Message) -> str:
    # Asked several times per part; the policy parses the header anew each time, so the answer is kept on
    # the part (a parsed message is never changed afterwards).
    known = part.__dict__.get("_otklik_content_type")
    if known is not None:
        return str(known)
    try:
        found = part.get_content_type().lower()
    except Exception:  # a header the parser cannot read is just "unknown"
        found = "application/octet-stream"
    part.__dict__["_otklik_content_type"] = found
    return found


def _param(part: Message, name: str, header: str = "content-type") -> str:
    try:
        value = part.get_param(name, header=header)
    except Exception:
        return ""
    if isinstance(value, tuple):
        charset, _language, text = value
        try:
            raw = str(text).encode("latin-1", "surrogateescape")
        except UnicodeEncodeError:
            return str(text)
        return decode_bytes(raw, charset or "utf-8")
    if value is None:
        return ""
    return _raw_to_text(email.utils.unquote(str(value)))


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("ascii", "surrogateescape")
    return b""


def _filename(part: Message, content_type: str, index: int, subject_of_enclosed: str = "") -> str:
    name = ""
    try:
        got = part.get_filename()
        name = str(got) if got else ""
    except Exception:
        name = ""
    if not name:
        name = _param(part, "filename", "content-disposition") or _param(part, "name")
    name = _raw_to_text(name)
    name = decode_encoded_words(name)
    if not name:
        location = _raw_header(part, "content-location")
        if location:
            name = str(location).rsplit("/", 1)[-1]
    if not name and subject_of_enclosed:
        name = f"{subject_of_enclosed[:80]}.eml"
    if not name:
        extension = ".eml" if content_type == "message/rfc822" else (mimetypes.guess_extension(content_type) or ".bin")
        name = f"attachment-{index}{extension}"
    return strip_controls(name).strip() or f"attachment-{index}"


def _enclosed_bytes(part: Message) -> tuple[bytes, Message | None]:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
    if inner is not None:
        try:
            return inner.as_bytes(policy=policy.compat32.clone(linesep="\r\n")), inner
        except Exception:
            try:
                return str(inner).encode("utf-8", "surrogateescape"), inner
            except Exception:
                return b"", inner
    return _payload_bytes(part), None


def _status_fields(text: str) -> list[DeliveryStatus]:
    """Per-recipient blocks of a message/delivery-status part (RFC 3464)."""
    found = []
    for block in re.split(r"\r?\n\s*\r?\n", text):
        recipient = re.search(r"^Final-Recipient:\s*(?:[\w.-]+\s*;)?\s*<?([^\s>]+)>?", block, re.I | re.M)
        if recipient is None:
            recipient = re.search(r"^Original-Recipient:\s*(?:[\w.-]+\s*;)?\s*<?([^\s>]+)>?", block, re.I | re.M)
        if recipient is None:
            continue
        action = re.search(r"^Action:\s*(\S+)", block, re.I | re.M)
        status = re.search(r"^Status:\s*(\d\.\d{1,3}\.\d{1,3})", block, re.I | re.M)
        diagnostic = re.search(r"^Diagnostic-Code:\s*(.+(?:\r?\n[ \t].+)*)", block, re.I | re.M)
        found.append(DeliveryStatus(
            recipient=recipient.group(1).strip().lower()[:254],
            action=(action.group(1).lower() if action else "")[:40],
            status=status.group(1) if status else "",
            diagnostic=" ".join(diagnostic.group(1).split())[:500] if diagnostic else "",
        ))
    return found


def _delivery_status_text(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        chunks = []
        for block in payload:
            if isinstance(block, Message):
                chunks.append("\n".join(f"{k}: {_raw_to_text(str(v))}" for k, v in block.raw_items()))
        return "\n\n".join(chunks)
    return decode_bytes(_payload_bytes(part))


def _ids_of_headers(headers: Message) -> list[str]:
    ids: list[str] = []
    for name, value in headers.raw_items():
        if name.lower() in {"message-id", "in-reply-to", "references"}:
            ids.extend(message_ids(_raw_to_text(str(value))))
    return ids


# ---------------------------------------------------------------- the message


def parse_mail(raw: bytes) -> ParsedMail:
    parsed = ParsedMail()
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the stdlib parser is lenient; this is the last line of defence
        parsed.defects.append(f"unparsable message: {type(exc).__name__}: {exc}")
        return parsed
    parsed.defects.extend(type(defect).__name__ for defect in msg.defects)
    try:
        _parse_message(msg, parsed)
    except Exception as exc:  # keep what was read; the raw bytes stay the full truth
        parsed.defects.append(f"parser error: {type(exc).__name__}: {exc}")
    return parsed


def _parse_message(msg: Message, parsed: ParsedMail) -> None:
    headers = _header_map(msg)
    parsed.headers = headers

    def first(name: str) -> str:
        values = headers.get(name)
        return values[0] if values else ""

    parsed.message_id = normalize_message_id(first("message-id"))
    parsed.in_reply_to = message_ids(" ".join(headers.get("in-reply-to", [])))
    parsed.references = message_ids(" ".join(headers.get("references", [])))
    parsed.subject = " ".join(strip_controls(decode_encoded_words(first("subject"))).split())[:998]
    senders = _addresses(headers.get("from", []), keep_nameless=True) or _addresses(headers.get("sender", []))
    if senders:
        parsed.from_name, parsed.from_email = senders[0]
    parsed.reply_to = tuple(address for _name, address in _addresses(headers.get("reply-to", [])))
    parsed.to = tuple(_addresses(headers.get("to", [])))
    parsed.cc = tuple(_addresses(headers.get("cc", [])))
    envelope = [
        *headers.get("delivered-to", []), *headers.get("x-original-to", []), *headers.get("envelope-to", [])
    ]
    parsed.envelope_to = tuple(address for _name, address in _addresses(envelope))
    if "return-path" in headers:
        path = first("return-path").strip()
        parsed.return_path = "" if path in {"<>", ""} else path.strip("<>").strip().lower()
    parsed.date = _date(first("date"))
    parsed.content_type = _content_type(msg)
    parsed.report_type = _param(msg, "report-type").lower()
    _parse_parts(msg, parsed)


def _parse_parts(msg: Message, parsed: ParsedMail) -> None:
    texts: list[str] = []
    htmls: list[str] = []
    for index, (part, _depth) in enumerate(_leaves(msg, parsed.defects)):
        content_type = _content_type(part)
        parsed.part_types.append(content_type)
        if part.is_multipart() and content_type not in {"message/rfc822", "message/delivery-status"}:
            continue
        if part.defects and part is not msg:
            parsed.defects.extend(type(defect).__name__ for defect in part.defects)
        if content_type == "message/delivery-status":
            parsed.delivery_status.extend(_status_fields(_delivery_status_text(part)))
            continue
        if content_type in {"text/rfc822-headers", "message/rfc822-headers"}:
            try:
                enclosed_headers = BytesHeaderParser(policy=policy.default).parsebytes(_payload_bytes(part))
                parsed.enclosed_ids.extend(_ids_of_headers(enclosed_headers))
            except Exception as exc:
                parsed.defects.append(f"unreadable enclosed headers: {type(exc).__name__}")
            continue
        disposition = ""
        try:
            disposition = (part.get_content_disposition() or "").lower()
        except Exception:
            disposition = ""
        has_name = bool(_param(part, "filename", "content-disposition") or _param(part, "name"))
        if content_type == "message/rfc822":
            data, inner = _enclosed_bytes(part)
            subject = ""
            if inner is not None:
                parsed.enclosed_ids.extend(_ids_of_headers(inner))
                subject = decode_encoded_words(_raw_header(inner, "subject"))
            subject = re.sub(r"[^\w\s.-]", "", subject).strip()
            parsed.attachments.append(ParsedAttachment(
                filename=_filename(part, content_type, index, subject), content=data, content_type=content_type,
            ))
            continue
        is_body = content_type in {"text/plain", "text/html"} and disposition != "attachment" and not has_name
        if is_body:
            data = _payload_bytes(part)
            text = strip_controls(decode_bytes(data, _param(part, "charset"), html=content_type == "text/html"))
            (htmls if content_type == "text/html" else texts).append(text)
            continue
        content_id = _raw_header(part, "content-id").strip().strip("<>").strip()
        parsed.attachments.append(ParsedAttachment(
            filename=_filename(part, content_type, index),
            content=_payload_bytes(part),
            content_type=content_type,
            content_id=strip_controls(_raw_to_text(content_id))[:300],
            inline=disposition == "inline" or (bool(content_id) and disposition != "attachment"),
        ))
    parsed.text = "\n\n".join(text for text in texts if text.strip())
    parsed.html = "\n".join(html for html in htmls if html.strip())


# ---------------------------------------------------------------- identity of the bytes


def content_fingerprint(raw: bytes) -> str:
    """SHA-256 of the message without trace headers and with line endings normalised, so the copy an
    IMAP server hands back (CRLF, NUL bytes as 0x80) and the copy a relay adds headers to are equal."""
    data = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\x00", b"\x80")
    head, separator, body = data.partition(b"\n\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\n"):
        if line[:1] in {b" ", b"\t"}:
            if not skipping:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        skipping = name in TRACE_HEADERS or name.startswith("x-spam-")
        if not skipping:
            kept.append(line)
    digest = hashlib.sha256(b"\n".join(kept) + separator + body.rstrip(b"\n"))
    return digest.hexdigest()


def synthetic_message_id(fingerprint: str) -> str:
    """For mail without a Message-ID: stable for the same content, so a re-fetch is still a duplicate."""
    return f"{fingerprint[:32]}@missing.otklik"

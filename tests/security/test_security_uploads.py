"""Uploads judged by their bytes, and served only as downloads with a type the bytes justify."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse

from otklik.security.uploads import OCTET_STREAM, judge, sniff
from otklik.testing.personas import Personas
from otklik.tickets import services
from otklik.tickets.inbound import InboundAttachment
from otklik.tickets.models import Attachment

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
HTML = b"<!DOCTYPE html><html><body><script>alert('xss')</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 40
DOCX = b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40


@pytest.mark.parametrize(("name", "content", "declared", "stored", "served", "mislabelled", "active"), [
    ("photo.png", PNG, "image/png", "image/png", "image/png", False, False),
    ("photo.png", HTML, "image/png", "text/html", OCTET_STREAM, True, True),
    ("report.html", HTML, "text/html", "text/html", OCTET_STREAM, False, True),
    ("logo.svg", SVG, "image/svg+xml", "text/html", OCTET_STREAM, True, True),
    ("invoice.pdf", EXE, "application/pdf", "application/vnd.microsoft.portable-executable", OCTET_STREAM, True,
     False),
    ("letter.docx", DOCX, "application/octet-stream",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", False, False),
    ("notes.txt", "Привет, мир".encode(), "text/plain", "text/plain", "text/plain; charset=utf-8", False, False),
    ("notes.txt", PNG, "text/plain", "image/png", "image/png", True, False),
    ("data.bin", b"\x00\x01\x02\x03", "", OCTET_STREAM, OCTET_STREAM, False, False),
    ("page.txt", b"  <html><script>1</script>", "text/plain", "text/html", OCTET_STREAM, True, True),
])
def test_judging_uploads(name: str, content: bytes, declared: str, stored: str, served: str, mislabelled: bool,
                         active: bool) -> None:
    verdict = judge(name, content, declared)
    assert (verdict.content_type, verdict.served_type, verdict.mislabelled, verdict.active) == (
        stored, served, mislabelled, active
    )


def test_sniffing_ignores_byte_order_marks_and_whitespace() -> None:
    assert sniff(b"\xef\xbb\xbf \n<HTML>") == "text/html"
    assert sniff(b"GIF89a....") == "image/gif"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"


@pytest.fixture
def uploaded(people: Personas, now: datetime) -> dict[str, Attachment]:
    files = {
        "html_as_png": InboundAttachment("holiday.png", HTML, "image/png"),
        "svg": InboundAttachment("logo.svg", SVG, "image/svg+xml"),
        "png": InboundAttachment("screen.png", PNG, "image/png"),
        "exe": InboundAttachment("invoice.pdf", EXE, "application/pdf"),
        "quotes": InboundAttachment('evil"; filename="x.html\r\nX-Injected: 1.txt', b"text", "text/plain"),
    }
    ticket = services.ticket_create(actor=people.alice, requester=people.alice, subject="files", body_text="files",
                                    attachments=tuple(files.values()), now=now)
    stored = {a.filename: a for a in Attachment.objects.filter(ticket=ticket)}
    by_key = {}
    for key, item in files.items():
        by_key[key] = next(a for name, a in stored.items() if a.size == len(item.content) and (
            name.endswith(item.filename[-8:].replace("\r", "").replace("\n", "")) or key == "quotes"))
    return by_key


def _download(people: Personas, attachment: Attachment, query: str = "") -> object:
    client = Client()
    client.force_login(people.alice)
    return client.get(reverse("security:attachment_download", args=[attachment.token]) + query)


@pytest.mark.parametrize("key", ["html_as_png", "svg", "exe"])
def test_dangerous_files_are_stored_but_only_ever_downloaded_as_bytes(people: Personas,
                                                                      uploaded: dict[str, Attachment],
                                                                      key: str) -> None:
    for query in ("", "?inline=1"):
        response = _download(people, uploaded[key], query)
        assert response.status_code == 200  # type: ignore[attr-defined]
        assert response["Content-Type"] == OCTET_STREAM  # type: ignore[index]
        assert response["Content-Disposition"].startswith("attachment;")  # type: ignore[index]
        assert response["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
        assert "sandbox" in response["Content-Security-Policy"]  # type: ignore[index]
        assert "default-src 'none'" in response["Content-Security-Policy"]  # type: ignore[index]


def test_a_real_image_may_be_previewed_inline(people: Personas, uploaded: dict[str, Attachment]) -> None:
    response = _download(people, uploaded["png"], "?inline=1")
    assert response["Content-Type"] == "image/png"  # type: ignore[index]
    assert response["Content-Disposition"].startswith("inline;")  # type: ignore[index]
    assert _download(people, uploaded["png"])["Content-Disposition"].startswith("attachment;")  # type: ignore[index]


def test_file_names_cannot_inject_headers(people: Personas, uploaded: dict[str, Attachment]) -> None:
    response = _download(people, uploaded["quotes"])
    disposition = response["Content-Disposition"]  # type: ignore[index]
    assert "\r" not in disposition and "\n" not in disposition
    assert not response.has_header("X-Injected")  # type: ignore[attr-defined]
    assert disposition.count('"') == 2  # one quoted name, no quote inside it to end it early
    assert "\\" not in disposition


def test_a_file_missing_from_storage_is_a_404_not_a_crash(people: Personas, uploaded: dict[str, Attachment]) -> None:
    attachment = uploaded["png"]
    attachment.file.storage.delete(attachment.file.name or "")
    assert _download(people, attachment).status_code == 404  # type: ignore[attr-defined]

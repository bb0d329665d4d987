"""Parsing real-world mail: charsets (Russian first), encoded names, HTML, quotes and signatures."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from otklik.mail.bodies import build_body, sanitize_mail_html, split_quoted_html, split_quoted_text
from otklik.mail.charsets import decode_bytes
from otklik.mail.parsing import content_fingerprint, message_ids, normalize_message_id, parse_mail
from tests.mail.mailtools import CORPUS, corpus_file

RUSSIAN = "Привет! Принтер на третьем этаже не печатает документы."


def _raw(content_type: str, body: bytes, *, subject: bytes = b"Test", cte: str = "8bit") -> bytes:
    return (
        b"From: Ivan <ivan@c.example>\r\nTo: support@otklik.test\r\nSubject: " + subject +
        b"\r\nMessage-ID: <x1@c.example>\r\nMIME-Version: 1.0\r\n"
        + f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n".encode() + body
    )


@pytest.mark.parametrize("codec, label", [
    ("koi8_r", "koi8-r"), ("cp1251", "windows-1251"), ("mac_cyrillic", "x-mac-cyrillic"), ("cp866", "cp866"),
    ("utf-8", "utf-8"),
])
def test_mail_declared_russian_charsets_decode(codec, label):
    parsed = parse_mail(_raw(f"text/plain; charset={label}", RUSSIAN.encode(codec)))

    assert parsed.text == RUSSIAN


@pytest.mark.parametrize("codec", ["koi8_r", "cp1251", "utf-8"])
def test_mail_undeclared_8bit_body_and_subject_are_guessed(codec):
    parsed = parse_mail(_raw("text/plain", RUSSIAN.encode(codec), subject="Не печатает принтер".encode(codec)))

    assert parsed.text == RUSSIAN
    assert parsed.subject == "Не печатает принтер"


@pytest.mark.parametrize("declared, codec", [("koi8-r", "cp1251"), ("windows-1251", "koi8_r"),
                                             ("iso-8859-1", "cp1251"), ("us-ascii", "koi8_r")])
def test_mail_mislabeled_charsets_are_corrected(declared, codec):
    parsed = parse_mail(_raw(f"text/plain; charset={declared}", RUSSIAN.encode(codec)))

    assert parsed.text == RUSSIAN


def test_mail_unknown_charset_labels_do_not_crash_and_still_decode():
    parsed = parse_mail(_raw("text/plain; charset=x-unknown", RUSSIAN.encode("cp1251")))
    typo = parse_mail(_raw('text/plain; charset="uft-8"', RUSSIAN.encode("utf-8")))

    assert parsed.text == RUSSIAN
    assert typo.text == RUSSIAN


def test_mail_western_text_stays_western():
    assert decode_bytes("Café crème, naïve résumé".encode("cp1252")) == "Café crème, naïve résumé"


def test_mail_rfc2047_subject_split_inside_a_multibyte_character_joins():
    data = "Принтер не печатает".encode()
    first, second = base64.b64encode(data[:7]).decode(), base64.b64encode(data[7:]).decode()
    parsed = parse_mail(_raw("text/plain; charset=utf-8", b"x",
                             subject=f"=?UTF-8?B?{first}?=\r\n =?UTF-8?B?{second}?=".encode()))

    assert parsed.subject == "Принтер не печатает"


def test_mail_rfc2231_and_rfc2047_attachment_names():
    body = (
        b'--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached\r\n'
        b"--B\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
        b'--B\r\nContent-Type: text/plain; name="=?koi8-r?B?' + base64.b64encode("счёт.txt".encode("koi8_r"))
        + b'?="\r\nContent-Disposition: attachment\r\n\r\n123\r\n--B--\r\n'
    )
    parsed = parse_mail(_raw('multipart/mixed; boundary="B"', body))

    assert [item.filename for item in parsed.attachments] == ["отчёт.pdf", "счёт.txt"]
    assert parsed.attachments[0].content == b"%PDF-"
    assert parsed.text == "See attached"


def test_mail_message_ids_are_normalised():
    assert normalize_message_id(" <Abc.Def@Mail.Example.COM> ") == "Abc.Def@mail.example.com"
    assert message_ids("<a@x.example>\r\n <b@Y.example> <a@x.example>") == ("a@x.example", "b@y.example")
    assert message_ids("broken@x.example") == ("broken@x.example",)


def test_mail_fingerprint_ignores_transport_differences_but_not_content():
    raw = b"From: a@b.example\nSubject: hi\nMessage-ID: <1@b.example>\n\nbody\x00\n"
    crlf = raw.replace(b"\n", b"\r\n").replace(b"\x00", b"\x80")
    relayed = b"Received: from x\r\nDelivered-To: s@o.example\r\n" + crlf

    assert content_fingerprint(raw) == content_fingerprint(relayed)
    assert content_fingerprint(raw) != content_fingerprint(raw.replace(b"body", b"bodY"))


def test_mail_html_is_sanitized_cid_rewritten_and_remote_images_blocked():
    html = (
        '<p onclick="steal()">Hi<script>alert(1)</script></p><img src="cid:logo@x">'
        '<img src="https://tracker.example/pixel.gif"><a href="javascript:alert(1)">x</a>'
    )
    cleaned = sanitize_mail_html(html, {"logo@x": "/mail/inbound/5/inline/0/"})

    assert "<script" not in cleaned and "onclick" not in cleaned and "javascript:" not in cleaned
    assert 'src="/mail/inbound/5/inline/0/"' in cleaned
    assert "tracker.example" not in cleaned


@pytest.mark.parametrize("attribution", [
    "On Mon, Mar 2, 2026 at 10:00 AM Otklik <support@otklik.test> wrote:",
    "пн, 2 мар. 2026 г. в 10:00, Otklik <support@otklik.test>:",
    '02.03.2026, 10:00, "Otklik" <support@otklik.test>:',
    "Понедельник, 2 марта 2026, 10:00 +03:00 от Otklik <support@otklik.test>:",
    "Иван Петров пишет:",
    "Служба поддержки написал(а):",
    "-----Original Message-----",
    "-----Исходное сообщение-----",
])
def test_mail_quoted_history_is_folded_for_russian_and_english_attributions(attribution):
    text = f"Спасибо, всё работает.\n\n{attribution}\n> Перезагрузите принтер.\n> Otklik"
    reply, quoted = split_quoted_text(text)

    assert reply == "Спасибо, всё работает."
    assert "Перезагрузите принтер" in quoted


def test_mail_outlook_header_block_in_russian_is_folded():
    text = ("Готово.\n\nОт: Служба поддержки <support@otklik.test>\nОтправлено: 2 марта 2026 г. 10:00\n"
            "Кому: Иван\nТема: RE: Принтер\n\nПерезагрузите принтер.")
    reply, quoted = split_quoted_text(text)

    assert reply == "Готово."
    assert quoted.startswith("От:")


def test_mail_signature_is_folded_and_bottom_posting_keeps_the_answer():
    reply, quoted = split_quoted_text("Hello\n\n-- \nIvan Petrov\n+7 900 000-00-00")
    bottom, bottom_quoted = split_quoted_text("On Mon, Apr 2 Ivan wrote:\n> Hi\nHello there")

    assert (reply, quoted) == ("Hello", "-- \nIvan Petrov\n+7 900 000-00-00")
    assert (bottom, bottom_quoted) == ("Hello there", "On Mon, Apr 2 Ivan wrote:\n> Hi")


def test_mail_inline_answers_are_not_folded():
    text = "> Which floor?\nThird.\n> Which printer?\nThe HP one."

    assert split_quoted_text(text) == (text, "")


def test_mail_gmail_html_quote_folded_under_details_full_text_kept():
    html = ('<div>Спасибо!</div><div class="gmail_quote"><div class="gmail_attr">пн, 2 мар. 2026 г. в 10:00, '
            'Otklik:</div><blockquote>Перезагрузите</blockquote></div>')
    body = build_body(text="", html=html, cid_urls={}, quoted_label="Show quoted text")

    assert body.text == "Спасибо!"
    assert '<details class="otklik-quoted"><summary>Show quoted text</summary>' in body.html
    assert "Перезагрузите" in body.quoted_text


def test_mail_talon_replies_are_stripped_to_the_answer():
    folder = corpus_file("mailgun-talon/standard_replies")
    for path in sorted(folder.glob("*.eml")):
        parsed = parse_mail(path.read_bytes())
        reply, _quoted = split_quoted_text(parsed.text)
        assert reply.startswith("Hello"), path.name
        assert "wrote:" not in reply and "From:" not in reply, path.name
    for path in sorted((folder.parent / "html_replies").glob("*.html")):
        visible, quoted = split_quoted_html(path.read_text(errors="replace"))
        assert quoted, path.name
        assert "Hello! How are you?" not in visible, path.name


@pytest.mark.parametrize("relative, expected", [
    ("request-tracker/emails/russian-subject-no-content-type", "тест"),
    ("freescout/message-4-null-bytes.eml", ""),
    ("mailgun-flanker/russian-attachment-yahoo.eml", ""),
])
def test_mail_corpus_charset_cases(relative, expected):
    path: Path = corpus_file(relative)
    parsed = parse_mail(path.read_bytes())

    assert "\ufffd" not in parsed.subject
    assert "\x00" not in parsed.text
    assert expected.lower() in parsed.subject.lower()
    if relative.endswith("yahoo.eml"):
        assert any(any("а" <= char <= "я" for char in item.filename.lower()) for item in parsed.attachments)


def test_mail_corpus_parses_without_raising():
    if not CORPUS.is_dir():
        pytest.skip("the email corpus: ../shared is not present (it is only in CI)")
    for path in sorted(CORPUS.rglob("*.eml"))[:400]:
        parse_mail(path.read_bytes())

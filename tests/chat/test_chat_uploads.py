"""Files with a chat message from the web: the tickets' one upload rule, the one download response, and only
members of the conversation (or the chat's staff) get the file."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from otklik.chat.models import ChatAttachment, ChatMessage, Conversation

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _upload(client, chat, **data):
    return client.post(f"/chat/{chat.pk}/upload/", data)


def test_requester_uploads_staff_and_she_download_others_do_not(people, chats, client):
    client.force_login(people.alice)
    response = _upload(
        client, chats.org_a, text="screenshot", files=[SimpleUploadedFile("error.png", PNG, "image/png")]
    )
    assert response.status_code == 201
    payload = response.json()["message"]
    assert payload["text"] == "screenshot" and payload["attachments"][0]["filename"] == "error.png"
    url = payload["attachments"][0]["url"]

    assert client.get(url).status_code == 200
    client.force_login(people.fiona)  # serves the chat
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PNG
    for outsider in (people.bob, people.carol, people.sam):  # same org but not her thread; other org; other desk
        client.force_login(outsider)
        assert client.get(url).status_code == 404


def test_staff_answer_with_a_file_in_a_conversation(people, chats, client):
    client.force_login(people.alice)
    _upload(client, chats.org_a, text="", files=[SimpleUploadedFile("a.txt", b"hello", "text/plain")])
    conversation = Conversation.objects.get(requester=people.alice)
    client.force_login(people.fiona)
    response = _upload(
        client,
        chats.org_a,
        conversation=conversation.pk,
        text="here is the fix",
        files=[SimpleUploadedFile("fix.txt", b"do this", "text/plain")],
    )
    assert response.status_code == 201
    assert response.json()["message"]["from_staff"] is True
    assert ChatMessage.objects.filter(conversation=conversation).count() == 2


def test_refusals_write_nothing(people, chats, client, settings):
    settings.OTKLIK_MAX_REQUESTER_UPLOAD_BYTES = 10
    client.force_login(people.alice)
    too_big = _upload(client, chats.org_a, files=[SimpleUploadedFile("big.txt", b"x" * 11, "text/plain")])
    assert too_big.status_code == 400 and "big.txt" in too_big.json()["error"]
    risky = _upload(client, chats.org_a, files=[SimpleUploadedFile("tool.exe", b"MZ", "application/octet-stream")])
    assert risky.status_code == 400 and ".exe" in risky.json()["error"]
    assert _upload(client, chats.org_a, text="no file").status_code == 400
    client.force_login(people.carol)  # not a member of Org A's chat
    outsider = _upload(client, chats.org_a, files=[SimpleUploadedFile("a.txt", b"hi", "text/plain")])
    assert outsider.status_code == 404
    client.logout()
    assert _upload(client, chats.org_a, files=[SimpleUploadedFile("a.txt", b"hi", "text/plain")]).status_code == 404
    assert not ChatMessage.objects.exists() and not ChatAttachment.objects.exists()


def test_a_widget_guest_uploads_into_their_own_conversation(people, chats, client):
    client.post(f"/chat/widget/{chats.everyone.pk}/guest/", {"name": "Gus", "email": "gus@example.com"})
    response = _upload(client, chats.everyone, text="log", files=[SimpleUploadedFile("log.txt", b"boom", "text/plain")])
    assert response.status_code == 201
    url = response.json()["message"]["attachments"][0]["url"]
    assert client.get(url).status_code == 200
    other = Client()  # another browser: no guest key in its session
    other.force_login(people.carol)
    assert other.get(url).status_code == 404

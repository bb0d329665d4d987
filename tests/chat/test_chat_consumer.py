"""The live chat socket with the in-memory layer: delivery, privacy, typing, commands, resume."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from otklik.chat import services
from otklik.chat.models import ChatMessage
from tests.chat.ws import Socket, in_own_loop

# The consumer reads the database from its own thread: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@in_own_loop
async def _conversation(people, chat_id):
    agent, alice, bob = Socket(people.fiona, chat_id), Socket(people.alice, chat_id), Socket(people.bob, chat_id)
    for socket in (agent, alice, bob):
        assert (await socket.connect())[0]
        await socket.send({"type": "resume", "after": 0})
        await socket.receive_until("resumed")
    await alice.send({"type": "typing"})
    typing = await agent.receive()
    await alice.send({"type": "message", "text": "VPN is down"})
    agent_sees = (await agent.receive())["message"]
    alice_sees = (await alice.receive())["message"]
    conversation = agent_sees["conversation"]
    await agent.send({"type": "message", "text": "checking AD", "conversation": conversation, "internal": True})
    remark = (await agent.receive())["message"]
    await agent.send({"type": "message", "text": "Reconnect please", "conversation": conversation})
    answer = await agent.receive()
    alice_answer = (await alice.receive())["message"]
    bob_quiet = await bob.receive_nothing(timeout=0.3)
    await agent.send({"type": "message", "text": "/ticket"})
    command = await agent.receive()
    await agent.send({"type": "ticket", "message": agent_sees["id"]})
    made = await agent.receive_until("ticket")
    card = await alice.receive()
    await alice.send({"type": "message", "text": "/my"})
    mine = await alice.receive()
    await bob.send({"type": "ticket", "message": agent_sees["id"]})
    refused = await bob.receive()
    for socket in (agent, alice, bob):
        await socket.close()
    return locals()


def test_messages_flow_live_with_privacy(people, chats):
    seen = _conversation(people, chats.org_a.pk)
    assert seen["typing"] == {"kind": "typing", "name": "Alice", "staff": False, "conversation": seen["conversation"]}
    assert seen["agent_sees"]["text"] == seen["alice_sees"]["text"] == "VPN is down"
    assert seen["remark"]["is_internal"] is True
    assert seen["alice_answer"]["text"] == "Reconnect please"  # the remark never reached Alice
    assert seen["answer"]["dialog"]["answer_message"] == seen["answer"]["message"]["id"]
    assert seen["bob_quiet"] is True  # Bob's socket hears nothing of Alice's conversation
    assert [m["text"] for m in seen["command"]["messages"]] == ["VPN is down"]
    assert seen["made"][-1]["kind"] == "ticket"
    assert seen["card"]["kind"] == "message_changed" and seen["card"]["message"]["ticket"]["number"]
    assert [row["number"] for row in seen["mine"]["groups"]["watching"]] == [seen["made"][-1]["number"]]
    assert seen["refused"]["kind"] == "error"


@in_own_loop
async def _resume(people, chat_id, after):
    socket = Socket(people.alice, chat_id)
    await socket.connect()
    await socket.send({"type": "resume", "after": after})
    frames = await socket.receive_until("resumed")
    await socket.close()
    return [frame["message"]["text"] for frame in frames if frame["kind"] == "message"]


def test_reconnect_resumes_after_the_last_message_without_gaps_or_twins(people, chats, now):
    posted = [
        services.chat_message_post(chat=chats.org_a, author=people.alice, text=f"m{i}", now=now) for i in range(5)
    ]
    assert _resume(people, chats.org_a.pk, posted[1].pk) == ["m2", "m3", "m4"]
    assert _resume(people, chats.org_a.pk, posted[-1].pk) == []


@in_own_loop
async def _connects(user, chat_id, query=""):
    socket = Socket(user, chat_id, query)
    connected, code = await socket.connect()
    if connected:
        await socket.close()
    return connected, code


def test_who_may_connect(people, chats, now):
    assert _connects(people.fiona, chats.org_a.pk) == (True, None)
    assert _connects(people.alice, chats.org_a.pk) == (True, None)
    assert _connects(people.carol, chats.org_a.pk) == (False, 4403)  # org B never reads org A's chat
    assert _connects(people.sam, chats.org_a.pk) == (False, 4403)  # another desk's agent
    assert _connects(AnonymousUser(), chats.org_a.pk) == (False, 4403)
    assert _connects(AnonymousUser(), 999999) == (False, 4403)
    guest = services.guest_conversation_start(chat=chats.everyone, name="Gus", email="gus@x.example", now=now)
    assert _connects(AnonymousUser(), chats.everyone.pk, f"guest={guest.guest_key}") == (True, None)
    assert _connects(AnonymousUser(), chats.everyone.pk, "guest=wrong") == (False, 4403)
    assert _connects(AnonymousUser(), chats.org_a.pk, f"guest={guest.guest_key}") == (False, 4403)


@in_own_loop
async def _bad_input(people, chat_id):
    socket = Socket(people.alice, chat_id)
    await socket.connect()
    await socket.send({"type": "message", "text": "   "})
    empty = await socket.receive()
    await socket.send({"type": "history", "before": "x"})
    malformed = await socket.receive()
    await socket.send({"type": "launch"})
    unknown = await socket.receive()
    await socket.close()
    return empty, malformed, unknown


def test_bad_input_gets_a_clear_error_and_writes_nothing(people, chats):
    empty, malformed, unknown = _bad_input(people, chats.org_a.pk)
    assert empty["kind"] == malformed["kind"] == unknown["kind"] == "error"
    assert empty["code"] == "invalid_input"
    assert ChatMessage.objects.count() == 0

"""Signals other channels subscribe to, so the chat app never imports them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by `services.chat_message_post` inside its transaction, once per newly stored message (not for a
# repeated external_id), with `message` (a ChatMessage). A receiver that writes rows (an outbox) writes
# them in the same transaction; anything leaving the process waits for the commit.
chat_message_posted = Signal()

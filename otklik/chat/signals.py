"""Signals other channels subscribe to, so the chat app never imports them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by `services.chat_message_post` inside its transaction, once per newly stored message (not for a
# repeated external_id), with `message` (a ChatMessage). A receiver that writes rows (an outbox) writes
# them in the same transaction; anything leaving the process waits for the commit.
chat_message_posted = Signal()

# Sent inside the writing transaction when a dialog opens (`change="opened"`), is answered ("answered"), or
# the sweep finds it near ("due_soon") or past ("overdue") the chat's first-line target; with `dialog`
# (a Dialog) and `at` (the instant of the change).
chat_dialog_changed = Signal()

"""The shipped notification templates, English and Russian.

They seed the NotificationTemplate rows (data migration) and stand in when a row is missing or an
admin's edit no longer renders. Templates use Django template syntax over plain strings only:

    recipient_name, ticket_number, ticket_subject, ticket_url, rating_url, status, status_kind,
    previous_status, priority, team, assignee_name, actor_name, message_text, event_kind,
    sla_target, due_at, minutes, custom_subject, custom_body, site_name, chat_name, chat_url
"""

from __future__ import annotations

from otklik.notifications import topics

# A status kind in plain words, for requesters who do not know our workflow.
_STATUS_PLAIN_EN = (
    '{% if status_kind == "new" %}has been registered and is waiting for a specialist'
    '{% elif status_kind == "open" %}is being worked on'
    '{% elif status_kind == "waiting_customer" %}is waiting for your answer'
    '{% elif status_kind == "on_hold" %}is paused for now; we will come back to it'
    '{% elif status_kind == "resolved" %}has been resolved'
    '{% elif status_kind == "closed" %}has been closed'
    "{% else %}is now: {{ status }}{% endif %}"
)
_STATUS_PLAIN_RU = (
    '{% if status_kind == "new" %}зарегистрирована и ждёт специалиста'
    '{% elif status_kind == "open" %}в работе'
    '{% elif status_kind == "waiting_customer" %}ждёт вашего ответа'
    '{% elif status_kind == "on_hold" %}пока приостановлена, мы к ней вернёмся'
    '{% elif status_kind == "resolved" %}решена'
    '{% elif status_kind == "closed" %}закрыта'
    "{% else %}теперь в статусе «{{ status }}»{% endif %}"
)
_WATCHER_WHAT_EN = (
    '{% if event_kind == "created" %}A new request was created'
    '{% elif event_kind == "replied" %}{{ actor_name }} replied'
    '{% elif event_kind == "note_added" %}{{ actor_name }} added an internal note'
    '{% elif event_kind == "status_changed" %}The status changed to {{ status }}'
    "{% else %}The ticket was updated{% endif %}"
)
_WATCHER_WHAT_RU = (
    '{% if event_kind == "created" %}Создана новая заявка'
    '{% elif event_kind == "replied" %}{{ actor_name }} ответил(а)'
    '{% elif event_kind == "note_added" %}{{ actor_name }} добавил(а) внутренний комментарий'
    '{% elif event_kind == "status_changed" %}Статус изменён на «{{ status }}»'
    "{% else %}Заявка изменена{% endif %}"
)
_QUOTE = "{% if message_text %}\n\n{{ message_text }}\n{% endif %}"

# topic -> language -> (subject, body)
DEFAULT_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    topics.REQUESTER_RECEIVED: {
        "en": (
            "[#{{ ticket_number }}] We received your request: {{ ticket_subject }}",
            "Hello {{ recipient_name }},\n\nwe received your request #{{ ticket_number }} "
            "“{{ ticket_subject }}”. A specialist will answer you soon.\n\n"
            "You can follow it here: {{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Ваша заявка принята: {{ ticket_subject }}",
            "Здравствуйте, {{ recipient_name }}!\n\nМы получили вашу заявку №{{ ticket_number }} "
            "«{{ ticket_subject }}». Специалист скоро ответит вам.\n\n"
            "Следить за заявкой можно здесь: {{ ticket_url }}\n",
        ),
    },
    topics.REQUESTER_REPLIED: {
        "en": (
            "Re: [#{{ ticket_number }}] {{ ticket_subject }}",
            "{{ message_text }}\n\n--\n{{ actor_name }}, {{ site_name }}\n"
            "Request #{{ ticket_number }}: {{ ticket_url }}\n",
        ),
        "ru": (
            "Re: [#{{ ticket_number }}] {{ ticket_subject }}",
            "{{ message_text }}\n\n--\n{{ actor_name }}, {{ site_name }}\n"
            "Заявка №{{ ticket_number }}: {{ ticket_url }}\n",
        ),
    },
    topics.REQUESTER_STATUS_CHANGED: {
        "en": (
            "[#{{ ticket_number }}] Your request " + _STATUS_PLAIN_EN,
            "Hello {{ recipient_name }},\n\nyour request #{{ ticket_number }} “{{ ticket_subject }}” "
            + _STATUS_PLAIN_EN + ".\n\n{{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Ваша заявка " + _STATUS_PLAIN_RU,
            "Здравствуйте, {{ recipient_name }}!\n\nВаша заявка №{{ ticket_number }} «{{ ticket_subject }}» "
            + _STATUS_PLAIN_RU + ".\n\n{{ ticket_url }}\n",
        ),
    },
    topics.REQUESTER_NEEDS_CLARIFICATION: {
        "en": (
            "[#{{ ticket_number }}] We need more information: {{ ticket_subject }}",
            "Hello {{ recipient_name }},\n\nto continue with your request #{{ ticket_number }} "
            "“{{ ticket_subject }}” we need a few more details from you. Please reply to this email "
            "or answer here: {{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Нужно уточнение: {{ ticket_subject }}",
            "Здравствуйте, {{ recipient_name }}!\n\nЧтобы продолжить работу по заявке №{{ ticket_number }} "
            "«{{ ticket_subject }}», нам нужны уточнения. Ответьте на это письмо "
            "или напишите здесь: {{ ticket_url }}\n",
        ),
    },
    topics.REQUESTER_RESOLVED: {
        "en": (
            "[#{{ ticket_number }}] Your request has been resolved",
            "Hello {{ recipient_name }},\n\nyour request #{{ ticket_number }} “{{ ticket_subject }}” "
            "has been resolved.\n\nPlease rate our answer: {{ rating_url }}\n\n"
            "If the problem is still there, just reply to this email and we will reopen the request.\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Ваша заявка решена",
            "Здравствуйте, {{ recipient_name }}!\n\nВаша заявка №{{ ticket_number }} «{{ ticket_subject }}» "
            "решена.\n\nОцените, пожалуйста, наш ответ: {{ rating_url }}\n\n"
            "Если проблема осталась, просто ответьте на это письмо, и мы вернём заявку в работу.\n",
        ),
    },
    topics.REQUESTER_CLARIFICATION_REMINDER: {
        "en": (
            "[#{{ ticket_number }}] Reminder: we are waiting for your answer",
            "Hello {{ recipient_name }},\n\nwe are still waiting for your answer on request #{{ ticket_number }} "
            "“{{ ticket_subject }}”. Without an answer the request will be closed automatically.\n\n"
            "{{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Напоминание: мы ждём вашего ответа",
            "Здравствуйте, {{ recipient_name }}!\n\nМы всё ещё ждём вашего ответа по заявке №{{ ticket_number }} "
            "«{{ ticket_subject }}». Если ответа не будет, заявка закроется автоматически.\n\n"
            "{{ ticket_url }}\n",
        ),
    },
    topics.ASSIGNEE_ASSIGNED: {
        "en": (
            "[#{{ ticket_number }}] Assigned to you: {{ ticket_subject }}",
            "Ticket #{{ ticket_number }} “{{ ticket_subject }}” is now yours.\n"
            "Priority: {{ priority }}. Team: {{ team }}.\n\n{{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Назначена вам: {{ ticket_subject }}",
            "Заявка №{{ ticket_number }} «{{ ticket_subject }}» назначена вам.\n"
            "Приоритет: {{ priority }}. Группа: {{ team }}.\n\n{{ ticket_url }}\n",
        ),
    },
    topics.ASSIGNEE_REQUESTER_REPLIED: {
        "en": (
            "[#{{ ticket_number }}] {{ actor_name }} replied: {{ ticket_subject }}",
            "{{ actor_name }} replied on ticket #{{ ticket_number }}." + _QUOTE + "\n{{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] {{ actor_name }} ответил(а): {{ ticket_subject }}",
            "{{ actor_name }} ответил(а) по заявке №{{ ticket_number }}." + _QUOTE + "\n{{ ticket_url }}\n",
        ),
    },
    topics.STAFF_NOTE_ADDED: {
        "en": (
            "[#{{ ticket_number }}] Internal note from {{ actor_name }}",
            "{{ actor_name }} added an internal note on ticket #{{ ticket_number }}." + _QUOTE
            + "\n{{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Внутренний комментарий от {{ actor_name }}",
            "{{ actor_name }} добавил(а) внутренний комментарий к заявке №{{ ticket_number }}." + _QUOTE
            + "\n{{ ticket_url }}\n",
        ),
    },
    topics.SLA_WARNING: {
        "en": (
            "[#{{ ticket_number }}] SLA deadline approaching",
            "The {{ sla_target }} deadline of ticket #{{ ticket_number }} “{{ ticket_subject }}” "
            "is {{ due_at }}.\n\n{{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Скоро истечёт срок SLA",
            "Срок «{{ sla_target }}» по заявке №{{ ticket_number }} «{{ ticket_subject }}» "
            "истекает {{ due_at }}.\n\n{{ ticket_url }}\n",
        ),
    },
    topics.SLA_BREACHED: {
        "en": (
            "[#{{ ticket_number }}] SLA breached",
            "The {{ sla_target }} deadline of ticket #{{ ticket_number }} “{{ ticket_subject }}” "
            "was {{ due_at }} and has passed.\n\n{{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Нарушен срок SLA",
            "Срок «{{ sla_target }}» по заявке №{{ ticket_number }} «{{ ticket_subject }}» "
            "истёк {{ due_at }}.\n\n{{ ticket_url }}\n",
        ),
    },
    topics.PREVIOUS_ASSIGNEE_REASSIGNED: {
        "en": (
            "[#{{ ticket_number }}] Reassigned: {{ ticket_subject }}",
            "Ticket #{{ ticket_number }} “{{ ticket_subject }}” is no longer assigned to you"
            "{% if assignee_name %}; it is now with {{ assignee_name }}{% endif %}.\n\n{{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Переназначена: {{ ticket_subject }}",
            "Заявка №{{ ticket_number }} «{{ ticket_subject }}» больше не назначена вам"
            "{% if assignee_name %}; теперь ею занимается {{ assignee_name }}{% endif %}.\n\n{{ ticket_url }}\n",
        ),
    },
    topics.LEAD_SLA_BREACHED: {
        "en": (
            "[#{{ ticket_number }}] SLA breached in team {{ team }}",
            "Ticket #{{ ticket_number }} “{{ ticket_subject }}” (assignee: "
            "{{ assignee_name|default:'nobody' }}) missed its {{ sla_target }} deadline {{ due_at }}.\n\n"
            "{{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Нарушен SLA в группе {{ team }}",
            "Заявка №{{ ticket_number }} «{{ ticket_subject }}» (исполнитель: "
            "{{ assignee_name|default:'не назначен' }}) нарушила срок «{{ sla_target }}» {{ due_at }}.\n\n"
            "{{ ticket_url }}\n",
        ),
    },
    topics.LEAD_UNASSIGNED_TOO_LONG: {
        "en": (
            "[#{{ ticket_number }}] Unassigned for {{ minutes }} minutes",
            "Ticket #{{ ticket_number }} “{{ ticket_subject }}” in team {{ team|default:'(none)' }} "
            "has had no assignee for {{ minutes }} minutes.\n\n{{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Без исполнителя {{ minutes }} мин.",
            "Заявка №{{ ticket_number }} «{{ ticket_subject }}» в группе {{ team|default:'(нет)' }} "
            "уже {{ minutes }} мин. без исполнителя.\n\n{{ ticket_url }}\n",
        ),
    },
    topics.LEAD_NO_ASSIGNEE_FOUND: {
        "en": (
            "[#{{ ticket_number }}] Nobody could be assigned automatically",
            "The assignment rules could not find an available person for ticket #{{ ticket_number }} "
            "“{{ ticket_subject }}” (team: {{ team|default:'(none)' }}). Please assign it by hand.\n\n"
            "{{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] Не удалось назначить исполнителя автоматически",
            "Правила назначения не нашли доступного сотрудника для заявки №{{ ticket_number }} "
            "«{{ ticket_subject }}» (группа: {{ team|default:'(нет)' }}). Назначьте исполнителя вручную.\n\n"
            "{{ ticket_url }}\n",
        ),
    },
    topics.WATCHER_UPDATE: {
        "en": (
            "[#{{ ticket_number }}] {{ ticket_subject }}",
            _WATCHER_WHAT_EN + " on ticket #{{ ticket_number }} “{{ ticket_subject }}”." + _QUOTE
            + "\n{{ ticket_url }}\n",
        ),
        "ru": (
            "[#{{ ticket_number }}] {{ ticket_subject }}",
            _WATCHER_WHAT_RU + " (заявка №{{ ticket_number }} «{{ ticket_subject }}»)." + _QUOTE
            + "\n{{ ticket_url }}\n",
        ),
    },
    topics.AUTOMATION_NOTICE: {
        "en": ("{{ custom_subject }}", "{{ custom_body }}\n\n{{ ticket_url }}\n"),
        "ru": ("{{ custom_subject }}", "{{ custom_body }}\n\n{{ ticket_url }}\n"),
    },
    topics.CHAT_DIALOG_DUE_SOON: {
        "en": (
            "[{{ chat_name }}] A question waits for an answer",
            "{{ requester_name }} asked in {{ chat_name }} and nobody has answered yet. "
            "The first-line target is {{ due_at }}.\n\n{{ chat_url }}\n",
        ),
        "ru": (
            "[{{ chat_name }}] Вопрос ждёт ответа",
            "{{ requester_name }} спросил(а) в чате «{{ chat_name }}», ответа ещё нет. "
            "Срок первой линии — {{ due_at }}.\n\n{{ chat_url }}\n",
        ),
    },
    topics.CHAT_DIALOG_OVERDUE: {
        "en": (
            "[{{ chat_name }}] A question passed its first-line target",
            "{{ requester_name }} asked in {{ chat_name }} and is still waiting: the first-line target "
            "was {{ due_at }}.\n\n{{ chat_url }}\n",
        ),
        "ru": (
            "[{{ chat_name }}] Просрочен ответ первой линии",
            "{{ requester_name }} спросил(а) в чате «{{ chat_name }}» и всё ещё ждёт: срок первой линии "
            "был {{ due_at }}.\n\n{{ chat_url }}\n",
        ),
    },
}

LANGUAGES = ("en", "ru")

# SLA metric codes (otklik.sla.models.Metric) as words for {{ sla_target }}.
SLA_TARGET_WORDS: dict[str, dict[str, str]] = {
    "reaction": {"en": "first response", "ru": "реакция"},
    "resolution": {"en": "resolution", "ru": "решение"},
}

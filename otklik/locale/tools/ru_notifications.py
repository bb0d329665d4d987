# ruff: noqa: E501  (a translation table reads best one pair per line)
"""Russian translations of the notification strings (topics, bell, preferences, admin), applied with
fill_po.py. The shipped email texts themselves are in otklik/notifications/defaults.py."""

RU: dict[str, str | list[str]] = {
    "Notifications": "Уведомления",
    # admin
    "Django template syntax. Available: recipient_name, ticket_number, ticket_subject, ticket_url, rating_url, status, status_kind, previous_status, priority, team, assignee_name, actor_name, message_text, event_kind, sla_target, due_at, minutes, custom_subject, custom_body, site_name.":
        "Синтаксис шаблонов Django. Доступны: recipient_name, ticket_number, ticket_subject, ticket_url, rating_url, status, status_kind, previous_status, priority, team, assignee_name, actor_name, message_text, event_kind, sla_target, due_at, minutes, custom_subject, custom_body, site_name.",
    "This template does not compile: %(problem)s": "Шаблон содержит ошибку: %(problem)s",
    "Restore the shipped text": "Восстановить исходный текст",
    "%(count)d templates restored.": "Восстановлено шаблонов: %(count)d.",
    "Retry the selected failed events": "Повторить обработку выбранных событий с ошибкой",
    "%(count)d events will be handled again.": "Событий будет обработано повторно: %(count)d.",
    # models
    "topic": "тема уведомления", "subject / title": "тема / заголовок", "body": "текст",
    "Inactive rows use the shipped text.": "Для неактивных записей используется исходный текст.",
    "notification template": "шаблон уведомления", "notification templates": "шаблоны уведомлений",
    "email": "эл. почта", "in the app": "в приложении", "notification preference": "настройка уведомлений",
    "notification preferences": "настройки уведомлений", "link": "ссылка", "read": "прочитано",
    "notification": "уведомление", "notifications": "уведомления", "outbox cursor": "позиция обработки событий",
    "outbox cursors": "позиции обработки событий", "Done": "Выполнено", "Skipped": "Пропущено",
    "outbox receipt": "отметка обработки события", "outbox receipts": "отметки обработки событий",
    # services
    "Unknown notification topic %(topic)s.": "Неизвестная тема уведомлений %(topic)s.",
    "Unknown notification topics: %(topics)s.": "Неизвестные темы уведомлений: %(topics)s.",
    # bell, list, preferences
    "%(counter)s unread notification": [
        "%(counter)s непрочитанное уведомление", "%(counter)s непрочитанных уведомления",
        "%(counter)s непрочитанных уведомлений"],
    "Mark all as read": "Отметить все как прочитанные", "Notification settings": "Настройки уведомлений",
    "No notifications yet.": "Уведомлений пока нет.", "Page %(number)s of %(total)s": "Страница %(number)s из %(total)s",
    "Tell me when": "Сообщать, когда", "In the app": "В приложении",
    "Your notification preferences were saved.": "Настройки уведомлений сохранены.",
    # topics
    "My request was received": "Моя заявка принята", "Support replied to my request": "Поддержка ответила на мою заявку",
    "The status of my request changed": "Изменился статус моей заявки",
    "Support needs more information from me": "Поддержке нужны уточнения от меня",
    "My request was resolved": "Моя заявка решена",
    "Reminder: support is waiting for my answer": "Напоминание: поддержка ждёт моего ответа",
    "A ticket was assigned to me": "Мне назначена заявка", "The requester replied on my ticket": "Заявитель ответил по моей заявке",
    "An internal note was added to my ticket": "К моей заявке добавлен внутренний комментарий",
    "SLA deadline approaching": "Скоро истекает срок SLA", "SLA deadline breached": "Нарушен срок SLA",
    "My ticket was reassigned to someone else": "Моя заявка переназначена другому исполнителю",
    "A ticket of my team breached its SLA": "Заявка моей группы нарушила SLA",
    "A ticket of my team has been unassigned too long": "Заявка моей группы слишком долго без исполнителя",
    "Nobody could be assigned to a ticket automatically": "Не удалось автоматически назначить исполнителя заявки",
    "Updates on tickets I watch": "Изменения в заявках, за которыми я наблюдаю",
    "Messages from automation rules": "Сообщения от правил автоматизации",
}

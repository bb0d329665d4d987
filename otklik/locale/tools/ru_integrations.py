# ruff: noqa: E501  (a translation table reads best one pair per line)
"""Russian translations of the integrations strings (outgoing webhooks), applied with fill_po.py."""

RU: dict[str, str | list[str]] = {
    "Integrations": "Интеграции", "Deliver again": "Доставить повторно",
    "%(count)d delivery queued again.": [
        "%(count)d доставка снова поставлена в очередь.",
        "%(count)d доставки снова поставлены в очередь.",
        "%(count)d доставок снова поставлено в очередь."],
    "Public: no internal notes or staff-only fields": "Публичный: без внутренних комментариев и служебных полей",
    "Staff: includes internal notes and staff-only fields": "Служебный: с внутренними комментариями и служебными полями",
    "URL": "URL", "signing secret": "секрет подписи",
    "Receivers verify the X-Otklik-Signature header with it.": "Получатели проверяют им заголовок X-Otklik-Signature.",
    "event kinds": "виды событий",
    'Ticket event kinds to send, e.g. ["created", "replied"]; empty sends every kind.':
        'Виды событий заявки для отправки, например ["created", "replied"]; пусто — все виды.',
    "scope": "объём данных", "webhook subscription": "подписка на вебхуки", "webhook subscriptions": "подписки на вебхуки",
    "Pending": "Ожидает", "Delivered": "Доставлено", "Failed (gave up)": "Не доставлено (попытки исчерпаны)",
    "delivery id": "идентификатор доставки", "subscription": "подписка", "event kind": "вид события", "state": "состояние",
    "attempts": "попытки", "next attempt": "следующая попытка", "payload": "содержимое",
    "last response status": "код последнего ответа", "last response body (excerpt)": "тело последнего ответа (фрагмент)",
    "last error": "последняя ошибка", "last attempt": "последняя попытка", "delivered": "доставлено",
    "webhook delivery": "доставка вебхука", "webhook deliveries": "доставки вебхуков", "attempt": "попытка",
    "started": "начало", "duration, ms": "длительность, мс", "response status": "код ответа",
    "response body (excerpt)": "тело ответа (фрагмент)", "error": "ошибка", "worker": "обработчик",
    "delivery attempt": "попытка доставки", "delivery attempts": "попытки доставки",
    "Enter an http or https URL.": "Введите URL с http или https.",
    "Unknown event kinds: %(kinds)s.": "Неизвестные виды событий: %(kinds)s.",
    "Choose public or staff.": "Выберите public или staff.",
}

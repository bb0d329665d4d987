# ruff: noqa: E501  (a translation table reads best one pair per line)
"""Russian translations of the email channel strings (mailboxes, inbound and outbound mail), applied with
fill_po.py. The email bodies themselves live in otklik/mail/templates/mail/*.ru.* and
otklik/notifications/defaults.py."""

RU: dict[str, str | list[str]] = {
    "Email channel": "Канал эл. почты",
    # admin
    "IMAP password": "Пароль IMAP", "Leave empty to keep the current password.": "Оставьте пустым, чтобы сохранить текущий пароль.",
    "Fetching (IMAP)": "Получение почты (IMAP)", "Routing": "Маршрутизация", "Answers and protection": "Ответы и защита",
    "State": "Состояние", "reason": "причина", "original message": "исходное письмо", "Download .eml": "Скачать .eml",
    "Process again (after a fix)": "Обработать повторно (после исправления)",
    "Process as a person's message (the classifier was wrong)": "Обработать как письмо от человека (классификатор ошибся)",
    "%(count)d message processed.": [
        "Обработано %(count)d письмо.", "Обработано %(count)d письма.", "Обработано %(count)d писем."],
    "%(count)d message is still quarantined.": [
        "%(count)d письмо всё ещё в карантине.", "%(count)d письма всё ещё в карантине.",
        "%(count)d писем всё ещё в карантине."],
    # mailbox
    "SSL/TLS": "SSL/TLS", "STARTTLS": "STARTTLS",
    "None (loopback or trusted network only)": "Без шифрования (только локально или в доверенной сети)",
    "Leave on the server": "Оставить на сервере", "Mark as read": "Отметить прочитанным",
    "Move to the processed folder": "Переместить в папку обработанных", "Delete": "Удалить",
    "support address": "адрес поддержки", "Customers write here; replies are sent from it.":
        "Сюда пишут клиенты; с этого адреса отправляются ответы.",
    "IMAP host": "Сервер IMAP", "IMAP port": "Порт IMAP", "IMAP security": "Шифрование IMAP", "IMAP login": "Логин IMAP",
    "folder": "папка", "after fetching": "после получения", "processed folder": "папка обработанных",
    "acknowledge new requests": "подтверждать приём новых обращений",
    "at most one acknowledgement per sender within (minutes)": "не более одного подтверждения отправителю за (минут)",
    "signed Reply-To plus-address": "подписанный plus-адрес в Reply-To",
    "support+t42.<signature>@…; needs an MTA that delivers plus-addresses to this mailbox.":
        "support+t42.<подпись>@…; нужен почтовый сервер, доставляющий plus-адреса в этот ящик.",
    "spam verdict header": "заголовок с вердиктом спам-фильтра",
    "Only trust a header your own mail server sets.": "Доверяйте только заголовку, который ставит ваш собственный почтовый сервер.",
    "spam verdict value": "значение вердикта «спам»", "show remote images": "показывать внешние изображения",
    "last polled": "последняя проверка", "mailbox": "почтовый ящик",
    # inbound
    "Received, waiting to be processed": "Получено, ожидает обработки", "Processed": "Обработано",
    "Quarantined": "В карантине", "Duplicate": "Дубликат", "Auto-reply": "Автоответ", "Bounce": "Отказ в доставке",
    "Spam": "Спам", "Ignored": "Пропущено", "Failed": "Ошибка", "IMAP": "IMAP", "Imported file": "Импортированный файл",
    "Piped by the MTA": "Передано почтовым сервером", "file": "файл", "size": "размер", "received": "получено",
    "outcome": "результат", "Message-ID": "Message-ID", "content fingerprint": "отпечаток содержимого",
    "sender": "отправитель", "ticket message": "сообщение заявки", "threaded by": "привязано по", "processed": "обработано",
    "inbound message": "входящее письмо", "inbound messages": "входящие письма",
    # outbound
    "Waiting to be sent": "Ожидает отправки", "Not sent (loop guard)": "Не отправлено (защита от зацикливания)",
    "Agent reply": "Ответ специалиста", "Acknowledgement": "Подтверждение приёма", "Notification": "Уведомление",
    "from": "от", "to": "кому", "cc": "копия", "HTML": "HTML", "headers": "заголовки",
    "outbound message": "исходящее письмо", "outbound messages": "исходящие письма", "status code": "код статуса",
    "diagnostic": "диагностика", "bounced": "возвращено", "undeliverable address": "недоставляемый адрес",
    "undeliverable addresses": "недоставляемые адреса",
    # services
    "No such inbound message.": "Такого входящего письма нет.",
    "Same message as inbound #%(id)s.": "То же письмо, что и входящее №%(id)s.",
    "Our own mail came back: %(why)s": "Наше письмо вернулось: %(why)s",
    "The sender address %(address)r is missing or not valid.": "Адрес отправителя %(address)r отсутствует или некорректен.",
    "The message claims to come from our own address %(address)s.": "Письмо выдаёт себя за отправленное с нашего адреса %(address)s.",
    "Show quoted text": "Показать цитату",
    "Attachments too large to add here (kept in the original message): %(names)s":
        "Вложения слишком большие, чтобы добавить их сюда (они сохранены в исходном письме): %(names)s",
    "(empty message)": "(пустое письмо)",
    "Ticket #%(number)s is closed or not open to this sender; a follow-up was opened.":
        "Заявка №%(number)s закрыта или недоступна этому отправителю; создана новая связанная заявка.",
    "Delivery to %(address)s failed (%(status)s): %(diagnostic)s": "Не удалось доставить письмо на %(address)s (%(status)s): %(diagnostic)s",
    "Delivery to %(address)s is delayed (%(status)s): %(diagnostic)s": "Доставка на %(address)s задерживается (%(status)s): %(diagnostic)s",
    "A delivery failure report without readable recipients.": "Отчёт о недоставке без читаемых адресов получателей.",
    "Unknown outbound mail kind.": "Неизвестный вид исходящего письма.",
    "The message does not belong to this ticket.": "Сообщение не относится к этой заявке.",
    "No deliverable recipient (held back: %(addresses)s).": "Нет получателей, которым можно доставить письмо (задержаны: %(addresses)s).",
    "An acknowledgement was already sent to %(address)s within %(minutes)s minutes.":
        "Подтверждение на %(address)s уже отправлялось за последние %(minutes)s мин.",
    "%(address)s already got %(count)s automatic messages this hour.": "%(address)s уже получил автоматических писем за этот час: %(count)s.",
    "Re: %(subject)s": "Re: %(subject)s",
}

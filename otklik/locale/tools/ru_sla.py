# ruff: noqa: E501  (a translation table reads best one pair per line)
"""Russian translations of the SLA strings (schedules, production calendar, policies, clocks, queues),
applied with fill_po.py. A "clock" is a таймер SLA; targets are время реакции / время решения."""

RU: dict[str, str | list[str]] = {
    "SLA": "SLA",
    # schedule admin
    "'until midnight' needs working hours": "для «до полуночи» нужны рабочие часы",
    "%(part)s is not HH:MM-HH:MM": "%(part)s не в формате ЧЧ:ММ-ЧЧ:ММ",
    '"off", "24h" or intervals such as 09:00-13:00, 14:00-18:00; 22:00-06:00 is a night shift that continues after midnight on the next day.':
        '"off" (выходной), "24h" (круглосуточно) или интервалы, например 09:00-13:00, 14:00-18:00; 22:00-06:00 — ночная смена, которая продолжается после полуночи следующего дня.',
    "until midnight (24:00)": "до полуночи (24:00)", "1 working hour": "1 рабочий час", "8 working hours": "8 рабочих часов",
    "reaction": "время реакции", "resolution": "время решения",
    "never (no working time ahead)": "никогда (впереди нет рабочего времени)",
    "A ticket created now (%(now)s) would be due at:": "Срок для заявки, созданной сейчас (%(now)s):",
    "Working hours": "Рабочие часы", "Preview": "Предпросмотр", "Due-time preview": "Предпросмотр сроков",
    # holiday calendar admin
    "No overlapping exceptions.": "Пересекающихся исключений нет.", "wins": "имеет приоритет", "exceptions": "исключения",
    "Overlaps": "Пересечения", "added": "добавлено",
    "Import the Russian production calendar: this year": "Загрузить производственный календарь РФ: текущий год",
    "Import the Russian production calendar: next year": "Загрузить производственный календарь РФ: следующий год",
    # policy admin
    "Targets": "Нормативы", "Calendar": "Календарь", "Matches tickets of (empty: any)": "Применяется к заявкам (пусто — к любым)",
    "Technical": "Служебное",
    # models
    "holiday calendar": "производственный календарь", "holiday calendars": "производственные календари",
    "An IANA name such as Europe/Moscow (not +03:00, not MSK).": "Название по IANA, например Europe/Moscow (не +03:00 и не MSK).",
    "weekly hours": "рабочие часы по дням недели", "working schedule": "график работы", "working schedules": "графики работы",
    "position": "позиция", "Applies when no other policy matches.": "Применяется, если не подошла ни одна другая политика.",
    "extra holiday calendar": "дополнительный производственный календарь",
    "reaction target, working minutes": "время реакции, рабочих минут",
    "Time to the first public reply. Empty: not tracked.": "Время до первого публичного ответа. Пусто — не отслеживается.",
    "resolution target, working minutes": "время решения, рабочих минут",
    "Time to resolve. Empty: not tracked.": "Время до решения. Пусто — не отслеживается.",
    "warn before, working minutes": "предупреждать заранее, рабочих минут",
    "Empty: 20 % of the target, at least 5 minutes.": "Пусто — 20 % от норматива, но не меньше 5 минут.",
    "responsible person": "ответственный",
    "assign breached unassigned tickets to the responsible person": "назначать просроченные заявки без исполнителя ответственному",
    "SLA policy": "политика SLA", "SLA policies": "политики SLA",
    "Day off": "Выходной день", "Working day with its own hours": "Рабочий день с особыми часами",
    "to (inclusive)": "по (включительно)", "hours": "часы",
    'Work days only: "24h" or [["09:00", "18:00"], ...].': 'Только для рабочих дней: "24h" или [["09:00", "18:00"], ...].',
    "calendar exception": "исключение календаря", "calendar exceptions": "исключения календаря",
    "calendar snapshot": "снимок календаря", "calendar snapshots": "снимки календаря",
    "Reaction": "Время реакции", "Resolution": "Время решения",
    "Running": "Идёт", "Stopped": "Остановлен", "Cancelled": "Отменён", "metric": "показатель", "due": "срок",
    "SLA clock": "таймер SLA", "SLA clocks": "таймеры SLA", "Started": "Запущен", "Resumed": "Возобновлён",
    "Policy changed": "Политика изменена", "Calendar changed": "Календарь изменён", "Due time set by hand": "Срок задан вручную",
    "Breached": "Просрочен", "Warning sent": "Отправлено предупреждение", "SLA clock event": "событие таймера SLA",
    "SLA clock events": "события таймеров SLA", "Warning": "Предупреждение", "Breach": "Нарушение",
    "SLA notice": "оповещение SLA", "SLA notices": "оповещения SLA", "requested": "запрошено",
    "clocks to re-plan": "таймеров к пересчёту", "re-planned": "пересчитано", "re-plan run": "пересчёт сроков",
    "re-plan runs": "пересчёты сроков",
    # durations
    "< 1 min": "< 1 мин", "%(n)s d": "%(n)s д", "%(n)s h": "%(n)s ч", "%(n)s min": "%(n)s мин",
    # services and views
    "Say why the due time is changed.": "Укажите, почему меняется срок.",
    "The due time needs a time zone.": "Для срока нужен часовой пояс.",
    "This SLA clock is not running.": "Этот таймер SLA не запущен.",
    "Enter the new due time as date and time.": "Введите новый срок: дату и время.",
    "Unknown SLA clock.": "Неизвестный таймер SLA.", "The due time was cleared.": "Ручной срок сброшен.",
    "The due time was set.": "Срок установлен.",
    # badge, panel, status label
    "late by %(countdown)s": "просрочено на %(countdown)s", "late": "просрочено", "SLA paused": "SLA на паузе",
    "due in %(countdown)s": "срок через %(countdown)s", "Ledger": "Журнал", "set by hand": "задан вручную",
    "%(left)s of working time left": "осталось %(left)s рабочего времени",
    "%(used)s of working time used": "израсходовано %(used)s рабочего времени",
    "about to expire": "скоро срок", "met": "в срок", "cancelled": "отменён", "running": "идёт", "paused": "на паузе",
    # queues
    "SLA queues": "Очереди SLA", "Overdue": "Просроченные", "Due soon": "Скоро срок",
    "%(counter)s clock": ["%(counter)s таймер", "%(counter)s таймера", "%(counter)s таймеров"],
    "times in": "время в часовом поясе", "Clock": "Таймер", "Due": "Срок", "Responsible": "Ответственный",
    "%(ago)s ago": "%(ago)s назад", "in %(left)s": "через %(left)s", "Nothing here. Well done.": "Здесь пусто. Отличная работа!",
    # ticket ledger page
    "SLA of #%(number)s": "SLA заявки №%(number)s", "SLA ledger": "Журнал SLA", "Times in": "Время указано в часовом поясе",
    "cycle %(n)s": "цикл %(n)s", "policy removed": "политика удалена",
    "target %(target)s of working time": "норматив: %(target)s рабочего времени",
    "in the schedule's zone": "в часовом поясе графика", "not known while paused": "неизвестен, пока таймер на паузе",
    "Working time used": "Израсходовано рабочего времени", "Working time left": "Осталось рабочего времени",
    "Late since": "Просрочено с", "Which spans counted, which were paused and which were outside working hours":
        "Какие интервалы учтены, какие были на паузе, а какие пришлись на нерабочее время",
    "Span": "Интервал", "Length": "Длительность", "counted": "учтено", "outside working hours": "вне рабочих часов",
    "stopped": "остановлено", "Only the first spans are shown.": "Показаны только первые интервалы.",
    "Event log": "Журнал событий", "not announced": "без оповещения", "Set the due time by hand": "Задать срок вручную",
    "Why": "Причина", "Set": "Установить", "Clear": "Сбросить", "No SLA applies to this ticket.": "К этой заявке SLA не применяется.",
    # recalculate open tickets from their start (SPEC 7.4)
    "Recalculated from the start": "Пересчитан с начала", "Re-plan after a calendar edit": "Пересчёт после изменения календаря",
    "Recalculate open tickets from their start": "Пересчитать открытые заявки с начала",
    "requested by": "кто запросил",
    "No SLA policy uses the selected rows; there is nothing to recalculate.": "Выбранные записи не используются ни одной политикой SLA — пересчитывать нечего.",
    "Recalculation of %(count)s open SLA clocks started in the background; its progress is shown under re-plan runs.":
        "Запущен фоновый пересчёт открытых таймеров SLA (%(count)s); ход выполнения — в разделе «Пересчёты сроков».",
}

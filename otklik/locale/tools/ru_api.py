# ruff: noqa: E501  (a translation table reads best one pair per line)
"""Russian translations of the REST API strings (tokens, pagination, docs page), applied with fill_po.py."""

RU: dict[str, str | list[str]] = {
    # authentication and tokens
    "Send the token as 'Authorization: Bearer <token>'.": "Передайте токен в заголовке 'Authorization: Bearer <token>'.",
    "The token is not valid.": "Токен недействителен.",
    "The token is not valid, revoked or expired.": "Токен недействителен, отозван или просрочен.",
    "A personal API token (otk_…), created under /api/tokens/ or with `otklik apitoken create`.":
        "Личный токен API (otk_…), созданный на странице /api/tokens/ или командой `otklik apitoken create`.",
    "Read": "Чтение", "Write": "Запись", "Administer": "Администрирование",
    "prefix": "префикс", "scopes": "права доступа", "requests per minute": "запросов в минуту",
    "Empty: the installation's default limit.": "Пусто — ограничение по умолчанию для этой установки.",
    "last used": "последнее использование", "expires": "действует до", "revoked": "отозван",
    "API token": "Токен API", "API tokens": "Токены API",
    "Name": "Название", "Where the token is used.": "Где используется токен.", "Scopes": "Права доступа",
    "Expires after (days)": "Срок действия (дней)", "Empty: never expires.": "Пусто — бессрочно.",
    "Token “%(name)s” revoked.": "Токен «%(name)s» отозван.",
    "The user is not active.": "Пользователь отключён.",
    "Unknown scope: %(scopes)s.": "Неизвестные права доступа: %(scopes)s.",
    "Choose among read, write and admin.": "Выберите из read, write и admin.",
    "The role of %(user)s does not allow the scope %(scopes)s.": "Роль пользователя %(user)s не допускает права доступа %(scopes)s.",
    "Not allowed for this user's role.": "Недоступно для роли этого пользователя.",
    "The expiry must be in the future.": "Срок действия должен быть в будущем.", "In the past.": "Дата в прошлом.",
    # pagination, serializers, views
    "A whole number from 1 to 100.": "Целое число от 1 до 100.",
    "This cursor is not valid for this list.": "Этот курсор не подходит для данного списка.",
    "Text contains characters that cannot be stored.": "Текст содержит символы, которые нельзя сохранить.",
    "Only support staff may set: %(fields)s.": "Только сотрудники поддержки могут задавать: %(fields)s.",
    "The file is too large.": "Файл слишком большой.",
    # docs page
    "API reference": "Справочник API", "Machine-readable schema (OpenAPI 3.1):": "Машиночитаемая схема (OpenAPI 3.1):",
    "Your API tokens": "Ваши токены API", "Operations": "Операции", "Parameter": "Параметр", "In": "Где передаётся",
    "Type": "Тип", "Required": "Обязательный", "Body": "Тело запроса", "Schemas": "Схемы", "One of:": "Одно из значений:",
    "Field": "Поле", "read-only": "только чтение",
    # tokens page
    "A token lets a script or another system use the API as you, within the scopes you choose. Send it as <code>Authorization: Bearer &lt;token&gt;</code>.":
        "Токен позволяет скрипту или другой системе работать с API от вашего имени в пределах выбранных прав. Передавайте его как <code>Authorization: Bearer &lt;token&gt;</code>.",
    "Copy the new token now: it will not be shown again.": "Скопируйте новый токен сейчас: больше он показан не будет.",
    "New token": "Новый токен", "Create token": "Создать токен", "Your tokens": "Ваши токены", "Prefix": "Префикс",
    "Last used": "Последнее использование", "Expires": "Действует до", "Revoked": "Отозван", "Revoke": "Отозвать",
    "No tokens yet.": "Токенов пока нет.",
}

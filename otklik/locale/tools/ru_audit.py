# ruff: noqa: E501  (a translation table reads best one pair per line)
"""Russian translations of the audit log and sign-in security strings, applied with fill_po.py."""

RU: dict[str, str | list[str]] = {
    # audit log
    "Audit log": "Журнал аудита", "Signed in": "Вход в систему", "Signed out": "Выход из системы",
    "Sign-in failed": "Неудачная попытка входа", "Locked out after failed sign-ins": "Блокировка после неудачных попыток входа",
    "Two-factor authentication enabled": "Двухфакторная аутентификация включена",
    "Two-factor authentication disabled": "Двухфакторная аутентификация отключена",
    "Two-factor code accepted": "Код второго фактора принят", "Two-factor code refused": "Код второго фактора отклонён",
    "Recovery codes created": "Созданы резервные коды", "Configuration created": "Настройка создана",
    "Configuration changed": "Настройка изменена", "Configuration deleted": "Настройка удалена",
    "event": "событие", "who": "кто", "who (email)": "кто (эл. почта)", "name typed at sign-in": "имя, введённое при входе",
    "IP address": "IP-адрес", "browser": "браузер", "address": "адрес", "object type": "тип объекта",
    "object id": "идентификатор объекта", "object": "объект", "details": "подробности", "when": "когда",
    "audit log entry": "запись журнала аудита", "audit log": "журнал аудита",
    # security
    "Security": "Безопасность", "Code": "Код",
    "The six digits your authenticator app shows now, or one of your recovery codes.":
        "Шесть цифр, которые сейчас показывает приложение-аутентификатор, или один из резервных кодов.",
    "Too many failed sign-in attempts. Sign-in from this address is blocked for %(minutes)s minutes; try again later, or ask an administrator to unlock your account.":
        "Слишком много неудачных попыток входа. Вход с этого адреса заблокирован на %(minutes)s мин.; попробуйте позже или попросите администратора разблокировать учётную запись.",
    "Too many failed sign-in attempts. Ask an administrator to unlock your account.":
        "Слишком много неудачных попыток входа. Попросите администратора разблокировать учётную запись.",
    "The request is too large.": "Запрос слишком большой.",
    "Confirm your sign-in with your second factor first.": "Сначала подтвердите вход вторым фактором.",
    "agents must use two-factor sign-in": "специалисты обязаны входить с двухфакторной аутентификацией",
    "auditors must use two-factor sign-in": "аудиторы обязаны входить с двухфакторной аутентификацией",
    "managers must use two-factor sign-in": "руководители обязаны входить с двухфакторной аутентификацией",
    "administrators must use two-factor sign-in": "администраторы обязаны входить с двухфакторной аутентификацией",
    "security policy": "политика безопасности", "Security policy": "Политика безопасности",
    "must use two-factor sign-in": "обязательная двухфакторная аутентификация",
    "Set by an administrator; the person cannot switch two-factor sign-in off.":
        "Устанавливает администратор; пользователь не сможет отключить двухфакторную аутентификацию.",
    "note": "примечание", "personal security setting": "личная настройка безопасности",
    "personal security settings": "личные настройки безопасности",
    "Sign-in blocked": "Вход заблокирован", "Sign-in security": "Безопасность входа",
    "Two-factor sign-in is used by support staff. Your account signs in with its password or the links in our emails.":
        "Двухфакторную аутентификацию используют сотрудники поддержки. Вы входите по паролю или по ссылкам из наших писем.",
    "Two-factor sign-in is on: after your password you enter a code from your authenticator app.":
        "Двухфакторная аутентификация включена: после пароля вы вводите код из приложения-аутентификатора.",
    "You have %(counter)s unused recovery code.": [
        "У вас остался %(counter)s неиспользованный резервный код.",
        "У вас осталось %(counter)s неиспользованных резервных кода.",
        "У вас осталось %(counter)s неиспользованных резервных кодов."],
    "Make new recovery codes": "Создать новые резервные коды",
    "Your administrator requires two-factor sign-in for your account.":
        "Администратор требует для вашей учётной записи двухфакторную аутентификацию.",
    "Switch two-factor sign-in off": "Отключить двухфакторную аутентификацию",
    "Two-factor sign-in is off. With it on, a stolen password alone does not open your account.":
        "Двухфакторная аутентификация отключена. Если её включить, одного украденного пароля для входа в вашу учётную запись будет недостаточно.",
    "Set up two-factor sign-in": "Настроить двухфакторную аутентификацию",
    "Recovery codes": "Резервные коды", "Your recovery codes": "Ваши резервные коды",
    "Keep these codes somewhere safe, apart from your phone. Each opens your account once if you lose the phone. They are shown only now.":
        "Храните эти коды в надёжном месте отдельно от телефона. Если телефон потеряется, каждый код один раз откроет вашу учётную запись. Коды показываются только сейчас.",
    "I have saved them": "Я их сохранил(а)",
    "Your administrator requires two-factor sign-in. Set it up to continue.":
        "Администратор требует двухфакторную аутентификацию. Чтобы продолжить, настройте её.",
    "Open an authenticator app on your phone (for example FreeOTP, Aegis, Google Authenticator or Microsoft Authenticator).":
        "Откройте на телефоне приложение-аутентификатор (например, FreeOTP, Aegis, Google Authenticator или Microsoft Authenticator).",
    "Scan this code, or type the key below into the app.": "Отсканируйте этот код или введите в приложение ключ, указанный ниже.",
    "QR code for your authenticator app": "QR-код для приложения-аутентификатора",
    "Enter the six-digit code the app shows.": "Введите шестизначный код из приложения.",
    "Turn on": "Включить", "Confirm your sign-in": "Подтвердите вход",
    "Enter the code from your authenticator app. If you lost your phone, enter one of your recovery codes.":
        "Введите код из приложения-аутентификатора. Если вы потеряли телефон, введите один из резервных кодов.",
    "Confirm": "Подтвердить",
    "This code is not right. Check the time on your phone and try the newest code.":
        "Код неверный. Проверьте время на телефоне и введите самый свежий код.",
    "This code is not right. After several wrong codes each new try has to wait a little longer.":
        "Код неверный. После нескольких неверных кодов перед каждой новой попыткой придётся ждать немного дольше.",
    "Two-factor sign-in is required for your account and cannot be switched off.":
        "Для вашей учётной записи двухфакторная аутентификация обязательна, отключить её нельзя.",
}

"""Demo knowledge base: bilingual IT-support articles in categories, some for agents only."""

from __future__ import annotations

from otklik.knowledge.models import Article, ArticleStatus, Audience, Category
from otklik.knowledge.services import record_revision

CATEGORIES = (
    ("accounts", "Accounts and passwords", "Учётные записи и пароли"),
    ("email", "Email and calendar", "Почта и календарь"),
    ("network", "Network and VPN", "Сеть и VPN"),
    ("printing", "Printing and scanning", "Печать и сканирование"),
    ("workplace", "Computers and software", "Компьютеры и программы"),
    ("phones", "Phones and video calls", "Телефония и видеосвязь"),
)

# (slug, category, audience, title_en, title_ru, body_en, body_ru); `kb:slug` links to another article.
ARTICLES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("reset-password", "accounts", "public", "How to reset your password", "Как сбросить пароль",
     "1. Open the sign-in page and choose **Forgot password**.\n2. Enter your work email.\n"
     "3. Follow the link in the letter within 30 minutes.\n\nThe new password needs 12 characters or more. "
     "If the letter does not come, see [Mail does not arrive](kb:mail-not-arriving).",
     "1. Откройте страницу входа и нажмите **Забыли пароль**.\n2. Введите рабочую почту.\n"
     "3. Перейдите по ссылке из письма в течение 30 минут.\n\nНовый пароль — не короче 12 символов. "
     "Если письмо не пришло, см. [Почта не приходит](kb:mail-not-arriving)."),
    ("account-locked", "accounts", "public", "My account is locked", "Учётная запись заблокирована",
     "After five wrong passwords the account locks for 15 minutes. Wait and try again, or "
     "[reset the password](kb:reset-password). Check that Caps Lock is off and the keyboard layout is right.",
     "После пяти неверных паролей учётная запись блокируется на 15 минут. Подождите или "
     "[сбросьте пароль](kb:reset-password). Проверьте Caps Lock и раскладку клавиатуры."),
    ("two-factor-new-phone", "accounts", "public", "Two-factor authentication on a new phone",
     "Двухфакторная аутентификация на новом телефоне",
     "Install the authenticator app on the new phone, then sign in on the portal with a backup code and add "
     "the new device under **Profile → Security**. Remove the old phone from the list.",
     "Установите приложение-аутентификатор на новый телефон, войдите на портал с резервным кодом и добавьте "
     "устройство в разделе **Профиль → Безопасность**. Старый телефон удалите из списка."),
    ("unlock-account-ad", "accounts", "internal", "Unlocking an account in Active Directory",
     "Разблокировка учётной записи в Active Directory",
     "Check the lockout source in the domain controller log (event 4740) before unlocking: a phone with an "
     "old password locks the account again. Unlock in *Active Directory Users and Computers*, tick "
     "**Unlock account**, and tell the user to update the password on every device.",
     "Перед разблокировкой найдите источник блокировки в журнале контроллера домена (событие 4740): телефон "
     "со старым паролем снова заблокирует учётную запись. Разблокируйте в *Active Directory — пользователи и "
     "компьютеры*, отметьте **Разблокировать учётную запись** и попросите пользователя сменить пароль на всех "
     "устройствах."),
    ("mail-not-arriving", "email", "public", "Mail does not arrive", "Почта не приходит",
     "Look in the **Junk** folder first. Check that your mailbox is not full (the limit is 50 GB). "
     "Letters from outside can take up to 10 minutes because of the spam filter.",
     "Сначала загляните в папку **Нежелательная почта**. Проверьте, не переполнен ли ящик (лимит 50 ГБ). "
     "Письма извне могут идти до 10 минут из-за спам-фильтра."),
    ("mailbox-full", "email", "public", "The mailbox is full", "Почтовый ящик переполнен",
     "Empty **Deleted items**, move old letters to an archive folder and save large attachments to the "
     "shared drive. To get more space, open a request with your manager's approval.",
     "Очистите папку **Удалённые**, перенесите старые письма в архив, большие вложения сохраните на общий "
     "диск. Чтобы увеличить ящик, оформите заявку с согласованием руководителя."),
    ("shared-mailbox", "email", "public", "Opening a shared mailbox in Outlook", "Общий почтовый ящик в Outlook",
     "Once access is granted, the shared mailbox appears in Outlook by itself within an hour. In the web "
     "version choose **Open another mailbox** from your profile menu.",
     "После выдачи доступа общий ящик сам появится в Outlook в течение часа. В веб-версии выберите "
     "**Открыть другой почтовый ящик** в меню профиля."),
    ("calendar-sharing", "email", "public", "Sharing your calendar", "Как открыть доступ к календарю",
     "In Outlook right-click the calendar, choose **Sharing permissions**, add the colleague and pick "
     "*Can view* or *Can edit*.",
     "В Outlook щёлкните календарь правой кнопкой, выберите **Разрешения на общий доступ**, добавьте коллегу "
     "и укажите *Может просматривать* или *Может редактировать*."),
    ("vpn-connect", "network", "public", "Connecting to the VPN from home", "Подключение к VPN из дома",
     "1. Start the VPN client.\n2. Enter `vpn.company.example` as the server.\n3. Sign in with your work "
     "account and confirm the push on your phone.\n\nIf it fails, see [VPN errors](kb:vpn-errors).",
     "1. Запустите VPN-клиент.\n2. Укажите сервер `vpn.company.example`.\n3. Войдите под рабочей учётной "
     "записью и подтвердите вход на телефоне.\n\nЕсли не подключается, см. [Ошибки VPN](kb:vpn-errors)."),
    ("vpn-errors", "network", "public", "VPN errors and what they mean", "Ошибки VPN и что они значат",
     "* **Authentication failed**: the password has expired; [reset it](kb:reset-password).\n"
     "* **Timeout**: the home network blocks the port; try a phone hotspot.\n"
     "* **Certificate error**: update the client from the software portal.",
     "* **Ошибка аутентификации** — истёк пароль; [сбросьте его](kb:reset-password).\n"
     "* **Превышено время ожидания** — домашняя сеть блокирует порт; попробуйте раздать интернет с телефона.\n"
     "* **Ошибка сертификата** — обновите клиент через портал программ."),
    ("wifi-guest", "network", "public", "Wi-Fi for guests", "Wi-Fi для гостей",
     "Guests connect to the *Guest* network and receive a code by SMS. The code works for 24 hours.",
     "Гости подключаются к сети *Guest* и получают код по SMS. Код действует 24 часа."),
    ("slow-internet", "network", "public", "The internet is slow", "Медленный интернет",
     "Restart the computer, close video streams and check the cable. If several colleagues are affected, "
     "open a request and name the floor and room.",
     "Перезагрузите компьютер, закройте видеотрансляции, проверьте кабель. Если тормозит у нескольких коллег, "
     "оформите заявку и укажите этаж и кабинет."),
    ("vpn-certificate-renewal", "network", "internal", "Renewing the VPN server certificate",
     "Продление сертификата VPN-сервера",
     "The certificate expires every 12 months. Issue a new one on the internal CA, upload it to both gateways "
     "during the maintenance window and check the chain with `openssl s_client`.",
     "Сертификат действует 12 месяцев. Выпустите новый во внутреннем УЦ, загрузите на оба шлюза в окно "
     "обслуживания и проверьте цепочку командой `openssl s_client`."),
    ("printer-not-printing", "printing", "public", "The printer does not print", "Принтер не печатает",
     "1. Check that the printer is on and has paper.\n2. Open the print queue and cancel stuck jobs.\n"
     "3. Turn the printer off and on.\n\nStill nothing? Open a request with the printer's number from the sticker.",
     "1. Проверьте, что принтер включён и в нём есть бумага.\n2. Откройте очередь печати и отмените зависшие "
     "задания.\n3. Выключите и включите принтер.\n\nНе помогло? Оформите заявку и укажите номер принтера с "
     "наклейки."),
    ("add-network-printer", "printing", "public", "Adding a network printer", "Как подключить сетевой принтер",
     "Open **Settings → Printers**, choose **Add printer** and pick the one named after your floor, for "
     "example `PRN-3-EAST`.",
     "Откройте **Параметры → Принтеры**, нажмите **Добавить принтер** и выберите принтер своего этажа, "
     "например `PRN-3-EAST`."),
    ("scan-to-email", "printing", "public", "Scanning to email", "Сканирование в почту",
     "Put the document on the glass, tap **Scan to email** on the printer panel, hold your badge to the "
     "reader. The scan comes to your mailbox as PDF.",
     "Положите документ на стекло, нажмите **Сканировать в почту** на панели принтера и приложите пропуск к "
     "считывателю. Скан придёт на вашу почту в PDF."),
    ("print-spooler-restart", "printing", "internal", "Restarting the print spooler on the print server",
     "Перезапуск диспетчера печати на сервере печати",
     "When the queue hangs for the whole floor, restart the *Print Spooler* service on `print01` and clear "
     "`C:\\Windows\\System32\\spool\\PRINTERS`. Warn the floor first.",
     "Если очередь зависла у всего этажа, перезапустите службу *Диспетчер печати* на `print01` и очистите "
     "`C:\\Windows\\System32\\spool\\PRINTERS`. Предупредите этаж заранее."),
    ("install-software", "workplace", "public", "Installing software", "Установка программ",
     "Approved programs are in the **Software Center**: choose the program and press Install. Anything "
     "else needs a request with the reason and your manager's approval.",
     "Разрешённые программы есть в **Центре программ**: выберите программу и нажмите «Установить». Для "
     "остальных нужна заявка с обоснованием и согласованием руководителя."),
    ("laptop-slow", "workplace", "public", "The computer is slow", "Компьютер тормозит",
     "Restart it (not just close the lid), install pending updates and close browser tabs you do not need. "
     "If the disk is almost full, clean the Downloads folder.",
     "Перезагрузите компьютер (не просто закройте крышку), установите обновления и закройте лишние вкладки "
     "браузера. Если диск почти заполнен, очистите папку «Загрузки»."),
    ("new-employee-setup", "workplace", "public", "First day: setting up your workplace",
     "Первый день: настройка рабочего места",
     "Sign in with the temporary password from your manager, change it, set up [two-factor "
     "authentication](kb:two-factor-new-phone) and [connect the printer](kb:add-network-printer).",
     "Войдите с временным паролем от руководителя, смените его, настройте [двухфакторную "
     "аутентификацию](kb:two-factor-new-phone) и [подключите принтер](kb:add-network-printer)."),
    ("bitlocker-recovery", "workplace", "internal", "BitLocker recovery key", "Ключ восстановления BitLocker",
     "Find the key in Active Directory on the computer object (tab *BitLocker Recovery*). Confirm the "
     "user's identity by a call back to the number in the HR system before reading the key out.",
     "Ключ хранится в Active Directory в объекте компьютера (вкладка *Восстановление BitLocker*). Перед тем "
     "как продиктовать ключ, подтвердите личность пользователя обратным звонком на номер из кадровой системы."),
    ("headset-not-working", "phones", "public", "The headset does not work in calls",
     "Гарнитура не работает в звонках",
     "In the call app open **Settings → Devices** and pick the headset as both speaker and microphone. "
     "Reconnect it to another USB port if it is not listed.",
     "В приложении для звонков откройте **Настройки → Устройства** и выберите гарнитуру как динамик и "
     "микрофон. Если её нет в списке, подключите к другому USB-порту."),
    ("video-call-poor-quality", "phones", "public", "Poor quality in video calls", "Плохое качество видеозвонков",
     "Turn off your camera to save bandwidth, connect by cable instead of Wi-Fi and close downloads.",
     "Выключите камеру, чтобы разгрузить канал, подключитесь кабелем вместо Wi-Fi и остановите загрузки."),
)


def seed_demo_knowledge() -> int:
    """Create (or refresh) the demo articles; safe to run again. Returns how many articles exist."""
    categories = {}
    for position, (slug, name_en, name_ru) in enumerate(CATEGORIES):
        categories[slug], _ = Category.objects.update_or_create(
            slug=slug, defaults={"name_en": name_en, "name_ru": name_ru, "position": position})
    for slug, category, audience, title_en, title_ru, body_en, body_ru in ARTICLES:
        article, created = Article.objects.update_or_create(slug=slug, defaults={
            "category": categories[category], "audience": Audience(audience), "status": ArticleStatus.PUBLISHED,
            "title_en": title_en, "title_ru": title_ru, "body_en": body_en, "body_ru": body_ru,
        })
        if created:
            record_revision(article, None)
    related = {"printer-not-printing": ["add-network-printer", "print-spooler-restart"],
               "vpn-connect": ["vpn-errors"], "reset-password": ["account-locked", "unlock-account-ad"]}
    for slug, others in related.items():
        Article.objects.get(slug=slug).related.set(Article.objects.filter(slug__in=others))
    return Article.objects.count()

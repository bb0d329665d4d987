"""Settings read once from the environment, with safe defaults for the embedded setup.

The embedded default is one data folder holding the SQLite database, the job queue,
uploaded files and the generated secret key: nothing else needs to run.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.utils.translation import gettext_lazy as _

django_stubs_ext.monkeypatch()

# One BLAS thread per process, read by OpenBLAS when numpy or scipy first loads it (the forecast imports them
# lazily, after the settings). The forecast's fits are L-BFGS-B over nine parameters: OpenBLAS's threads only
# wait for each other there, and on a busy machine that made a fit 10-20x slower (0.3-0.9 s of CPU instead of
# 40 ms, the same numbers; docs/performance.md, "Reports, round 10"). Web and job processes already run in
# parallel as processes. An operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("OTKLIK_DATA_DIR", BASE_DIR.parent / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def load_or_create_secret_key(data_dir: Path) -> str:
    """A secret generated on first run and kept in the data folder, so sessions survive restarts."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = load_or_create_secret_key(DATA_DIR)
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "otklik.core",
    "otklik.accounts",
    "otklik.tickets",
    "otklik.sla",
    "otklik.automation",
    "otklik.notifications",
    "otklik.mail",
    "otklik.search",
    "otklik.security",
    "otklik.integrations",
    "otklik.audit",
    "otklik.chat",
    "otklik.telegram",
    "otklik.reports",
    "otklik.trackers",
    "otklik.privacy",
    "otklik.knowledge",
    "otklik.imports",
    "otklik.api",
    "otklik.web",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "otklik.accounts.middleware.AccessMemoMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "otklik.urls"
ASGI_APPLICATION = "otklik.asgi.application"
WSGI_APPLICATION = "otklik.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

SQLITE_PATH = DATA_DIR / "otklik.sqlite3"


def database_config(url: str | None, *, web: bool = False) -> dict[str, Any]:
    """`web`: the settings of a web process (set by otklik/wsgi.py and asgi.py), which get a statement
    timeout; job workers and commands (migrations, loads) run without one."""
    if not url:
        url = f"sqlite:///{SQLITE_PATH}"
    # No persistent connections by default: under ASGI (`otklik run`, uvicorn) Django runs each request's
    # sync code in a fresh thread, so they pile up until PostgreSQL refuses clients (measured by
    # bench/bench_peer.py). Web processes on PostgreSQL borrow from a pool instead (postgres_options);
    # WSGI deployments may keep them (OTKLIK_DB_CONN_MAX_AGE, health-checked).
    config: dict[str, Any] = dict(dj_database_url.parse(
        url, conn_max_age=int(os.environ.get("OTKLIK_DB_CONN_MAX_AGE", "0")), conn_health_checks=True,
    ))
    if config["ENGINE"] == "django.db.backends.postgresql":
        config["OPTIONS"] = postgres_options(web=web)
        if "pool" in config["OPTIONS"]:
            config["CONN_MAX_AGE"] = 0  # Django's pool replaces persistent connections
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue up instead of failing with "database is locked" mid-transaction.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    return config


WEB_POOL_SIZE = 10  # connections per web process; size PostgreSQL's max_connections for all of them


def postgres_options(*, web: bool) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # A web process borrows connections from Django's psycopg pool: a request no longer pays PostgreSQL's
    # fork and authentication (the ASGI thread of each request returns its connection when it finishes).
    # Job workers and commands hold one long connection each and need none. 0 turns it off.
    pool_size = int(os.environ.get("OTKLIK_DB_POOL_SIZE", str(WEB_POOL_SIZE) if web else "0"))
    if pool_size > 0:
        options["pool"] = {"min_size": min(2, pool_size), "max_size": pool_size, "timeout": 10}
    prepare = os.environ.get("OTKLIK_DB_PREPARE_THRESHOLD", "")
    if prepare:
        # Server-side prepared statements skip re-planning the multi-join reads; off behind PgBouncer.
        # psycopg prepares only on server-side binding: Django's default client-side cursors never do.
        options["prepare_threshold"] = int(prepare)
        options["server_side_binding"] = True
    settings_ = []
    timeout_ms = int(os.environ.get("OTKLIK_WEB_STATEMENT_TIMEOUT_MS", "5000"))
    if web and timeout_ms > 0:
        settings_.append(f"-c statement_timeout={timeout_ms}")
    if web and not env_bool("OTKLIK_DB_JIT"):
        # JIT compiles plans for seconds-long analytics; on short web reads it only adds latency.
        settings_.append("-c jit=off")
    if settings_:
        options["options"] = " ".join(settings_)
    return options


DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"), web=env_bool("OTKLIK_WEB_PROCESS"))}
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = Path(os.environ.get("OTKLIK_MEDIA_DIR", DATA_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG and env_bool("HTTPS"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Django 6.1 mailers: one "default" mailer from the environment; SMTP options only for the SMTP backend.
# Otklik's SMTP backend: the administrators' outgoing settings (admin: Outgoing mail settings) when switched
# on, else the EMAIL_* values below (docs/email.md). Any other EMAIL_BACKEND wins over both.
EMAIL_BACKEND_PATH = os.environ.get("EMAIL_BACKEND", "otklik.mail.smtp.EmailBackend")
_smtp_options: dict[str, Any] = {
    "host": os.environ.get("EMAIL_HOST", "127.0.0.1"),
    "port": int(os.environ.get("EMAIL_PORT", "25")),
    "username": os.environ.get("EMAIL_HOST_USER", ""),
    "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
    "use_tls": env_bool("EMAIL_USE_TLS"),
    "timeout": 30,
}
MAILERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": EMAIL_BACKEND_PATH,
        "OPTIONS": _smtp_options if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend") else (
            # The demo's local mail sink (`otklik run --demo` without a mail server): one file per mail.
            {"file_path": os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "mail-sink"))}
            if EMAIL_BACKEND_PATH.endswith("filebased.EmailBackend") else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "support@otklik.localhost")

REDIS_URL = os.environ.get("REDIS_URL", "")
# Shared by every web process when Redis is there (rate limits, throttles); per process otherwise.
CACHES: dict[str, dict[str, Any]] = (
    {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)
# How long remembered configuration answers (default status, choice lists, "any webhooks?", two-factor
# state; otklik.core.lookups) live. A change drops them at once in a shared (Redis) cache; a per-process
# cache cannot hear other processes' changes, so there this bounds how late they see one. 0: off.
OTKLIK_LOOKUP_CACHE_SECONDS = int(os.environ.get("OTKLIK_LOOKUP_CACHE_SECONDS", "300" if REDIS_URL else "5"))
# The address people use to reach this desk, for links in emails and webhook payloads.
OTKLIK_BASE_URL = os.environ.get("OTKLIK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def huey_instance() -> Any:
    """The job queue follows the deployment: Redis when configured, else the main PostgreSQL, else SQLite."""
    from huey import PriorityRedisHuey, SqliteHuey

    from otklik.core.job_queue import SharedSchemaPostgresHuey

    name = os.environ.get("OTKLIK_QUEUE_NAME", "otklik")
    immediate = env_bool("OTKLIK_JOBS_IMMEDIATE")
    backend = os.environ.get("OTKLIK_JOBS_BACKEND", "")
    if backend == "redis" or (not backend and REDIS_URL):
        return PriorityRedisHuey(name, url=REDIS_URL or "redis://127.0.0.1:6379/0", immediate=immediate)
    if backend == "postgres" or (not backend and DATABASE_IS_POSTGRES):
        db = DATABASES["default"]
        return SharedSchemaPostgresHuey(
            name,
            immediate=immediate,
            host=db.get("HOST") or "127.0.0.1",
            port=int(db.get("PORT") or 5432),
            dbname=db["NAME"],
            user=db.get("USER") or "postgres",
            password=db.get("PASSWORD") or None,
        )
    return SqliteHuey(name, filename=str(DATA_DIR / "jobs.sqlite3"), immediate=immediate)


HUEY = huey_instance()
# Django's @task API runs on the same Huey queue; tasks enqueued inside a transaction wait for its commit.
TASKS = {
    "default": {
        "BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend",
        "OPTIONS": {"enqueue_on_commit": True},
    }
}

# Upload limits in bytes; requesters get a lower one because their files come from outside.
# File types requesters may not upload (any channel); comma-separated extensions, empty to allow all.
OTKLIK_BLOCKED_UPLOAD_EXTENSIONS = [
    item for item in os.environ.get(
        "OTKLIK_BLOCKED_UPLOAD_EXTENSIONS",
        "exe,msi,msp,bat,cmd,com,scr,pif,cpl,dll,sys,js,jse,vbs,vbe,wsf,wsh,ps1,psm1,hta,jar,lnk,reg,iso,img,"
        "vhd,apk,app,dmg,pkg,sh",
    ).split(",") if item.strip()
]
OTKLIK_MAX_UPLOAD_BYTES = int(os.environ.get("OTKLIK_MAX_UPLOAD_BYTES", str(25 * 1024 * 1024)))
OTKLIK_MAX_REQUESTER_UPLOAD_BYTES = int(
    os.environ.get("OTKLIK_MAX_REQUESTER_UPLOAD_BYTES", str(10 * 1024 * 1024))
)
OTKLIK_TICKET_NUMBER_START = int(os.environ.get("OTKLIK_TICKET_NUMBER_START", "1"))
# Intranet pages that may frame the "my requests" widget (/portal/widget/): comma-separated origins such as
# https://intranet.example.com; empty: the widget may not be framed anywhere.
OTKLIK_INTRANET_WIDGET_ORIGINS = [
    item.strip() for item in os.environ.get("OTKLIK_INTRANET_WIDGET_ORIGINS", "").split(",") if item.strip()
]

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"huey": {"level": "WARNING"}},
}

# Each part of the product keeps its settings in its own module (mail, API, security).
from otklik.settings import api as _api_settings  # noqa: E402
from otklik.settings import mail as _mail_settings  # noqa: E402
from otklik.settings import security as _security_settings  # noqa: E402
from otklik.settings import sso as _sso_settings  # noqa: E402
from otklik.settings import web as _web_settings  # noqa: E402

for _part in (_mail_settings, _api_settings, _security_settings, _sso_settings, _web_settings):
    _part.configure(globals())
from otklik.settings import telegram as _telegram_settings  # noqa: E402

_telegram_settings.configure(globals())

"""Test settings: the same code paths, with fast hashing and synchronous jobs by default."""

import os
import tempfile

os.environ.setdefault("OTKLIK_DATA_DIR", tempfile.mkdtemp(prefix="otklik-test-"))
os.environ.setdefault("OTKLIK_JOBS_IMMEDIATE", "1")

from otklik.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Remembered configuration (otklik.core.lookups) lives for the whole of a test (each test starts with an
# empty cache, tests/conftest.py): the 5-second default of a cache without Redis ran out in the middle of
# query-count tests on a loaded machine and failed them by chance.
OTKLIK_LOOKUP_CACHE_SECONDS = int(os.environ.get("OTKLIK_LOOKUP_CACHE_SECONDS", "300"))
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A database file (in shared memory where the machine has it), not SQLite's shared-cache memory
    # database: the browser tests' server threads and the test thread share one database, and in
    # shared-cache mode a query calling Django's Python date functions in one thread while another
    # thread opens a connection deadlocks the worker for good (seen in a run that hung for an hour).
    # mkdtemp makes a private folder (mode 0700) inside it, so the shared location is safe here.
    _shm = "/dev/shm"  # noqa: S108
    _test_db_dir = _shm if os.path.isdir(_shm) and os.access(_shm, os.W_OK) else None
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.mkdtemp(prefix="otklik-test-db-", dir=_test_db_dir), "test.sqlite3"),
    }

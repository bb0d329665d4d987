"""Test settings: the same code paths, with fast hashing and synchronous jobs by default."""

import os
import tempfile

os.environ.setdefault("OTKLIK_DATA_DIR", tempfile.mkdtemp(prefix="otklik-test-"))
os.environ.setdefault("OTKLIK_JOBS_IMMEDIATE", "1")

from otklik.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
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
    _test_db_dir = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.mkdtemp(prefix="otklik-test-db-", dir=_test_db_dir), "test.sqlite3"),
    }

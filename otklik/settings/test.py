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

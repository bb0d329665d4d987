"""`otklik createadmin`: an administrator, interactively or with --email and --password for scripts."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from otklik.accounts.models import Role, User


class Command(BaseCommand):
    help = "Create an administrator account (or promote an existing user)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email")
        parser.add_argument("--password")

    def handle(self, *args: Any, **options: Any) -> None:
        email = (options["email"] or input("Email: ")).strip().lower()
        if not email or "@" not in email:
            raise CommandError("A valid email address is required.")
        password = options["password"]
        if password is None:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_superuser(email=email, password=password)
            self.stdout.write(f"Administrator {email} created.")
        else:
            user.set_password(password)
            user.role, user.is_staff, user.is_superuser, user.is_active = Role.ADMIN, True, True, True
            user.save()
            self.stdout.write(f"{email} is now an administrator; the password was set.")

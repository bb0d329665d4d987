"""`otklik apitoken`: issue, list and revoke personal API tokens from the console.

otklik apitoken create --user EMAIL [--scope read --scope write] [--name NAME] [--expires-days N]
otklik apitoken list --user EMAIL
otklik apitoken revoke --id ID
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from otklik.accounts.models import User
from otklik.api.models import Scope
from otklik.api.tokens import token_create, token_revoke, tokens_of
from otklik.core.errors import DomainError


def _user(email: str) -> User:
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise CommandError(f"No user with the email {email}.")
    return user


class Command(BaseCommand):
    help = "Create, list or revoke personal API tokens. `create` prints the token once."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Issue a token and print it.")
        create.add_argument("--user", required=True, help="Email of the token's owner.")
        create.add_argument(
            "--scope",
            action="append",
            choices=Scope.values,
            default=None,
            help="read, write or admin; repeat for several (default: read).",
        )
        create.add_argument("--name", default="Console token")
        create.add_argument("--expires-days", type=int, default=None)
        create.add_argument("--requests-per-minute", type=int, default=None)
        listing = actions.add_parser("list", help="Tokens of a user (never their secrets).")
        listing.add_argument("--user", required=True)
        revoke = actions.add_parser("revoke", help="Revoke a token by id.")
        revoke.add_argument("--id", type=int, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        action = options["action"]
        if action == "create":
            user = _user(options["user"])
            days = options["expires_days"]
            if days is not None and days < 1:
                raise CommandError("--expires-days must be at least 1.")
            try:
                issued = token_create(
                    actor=user,
                    user=user,
                    name=options["name"],
                    scopes=options["scope"] or [Scope.READ],
                    now=now,
                    expires_at=now + timedelta(days=days) if days else None,
                    requests_per_minute=options["requests_per_minute"],
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            self.stderr.write(
                f"Token {issued.token.pk} for {user.email}, scopes {', '.join(issued.token.scopes)}. "
                "It is printed once:"
            )
            self.stdout.write(issued.secret)
        elif action == "list":
            for token in tokens_of(_user(options["user"])):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(f"{token.pk}\t{token.prefix}…\t{','.join(token.scopes)}\t{state}\t{token.name}")
        else:
            try:
                token = token_revoke(actor=None, token_id=options["id"], now=now)
            except DomainError as exc:
                raise CommandError(f"No token with id {options['id']}.") from exc
            self.stdout.write(f"Token {token.pk} revoked.")

"""`manage.py drf_create_token USER [--name NAME] [--days N]`: issue an API token.

Keeps the name and output of DRF's command, which the README, scripts and habits use; the
token is now one of several a user may hold, named and expiring, and only its digest is
stored, so the key printed here cannot be shown again.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tradeapi.tokens.models import ApiToken


class Command(BaseCommand):
    help = "Issue a new API token for USER and print its key (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The user the token acts as.")
        parser.add_argument(
            "--name", default="terminal", help="What the token is for (listed to its owner)."
        )
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Days until it expires (default: the TOKEN_TTL_DAYS setting).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        try:
            user = users._default_manager.get_by_natural_key(options["username"])
        except users.DoesNotExist as error:
            raise CommandError(f"No user named {options['username']!r}.") from error
        if options["days"] is not None and options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise CommandError("--name must be 1 to 100 characters.")
        token, key = ApiToken.objects.issue(user=user, name=name, days=options["days"])
        self.stdout.write(f"Generated token {key} for user {user.get_username()}")
        self.stderr.write(f"Named {token.name!r}, expires {token.expires:%Y-%m-%d %H:%M} UTC.")

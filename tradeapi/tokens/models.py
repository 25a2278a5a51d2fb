"""API tokens: named, expiring, stored as a hash.

The key is shown once, when the token is issued; the database keeps its SHA-256 digest, so
a copy of the database (a backup, an export) holds no usable credential. A fast hash is
enough: keys are 160 random bits, not passwords, so there is nothing to guess from a digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

# Shown in lists so a person can tell their tokens apart; far too short to use.
PREFIX_LENGTH = 6


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def valid(self) -> ApiTokenQuerySet:
        return self.filter(expires__gt=timezone.now())

    def issue(self, *, user: Any, name: str, days: int | None = None) -> tuple[ApiToken, str]:
        """A new token for `user`, and its key, which nothing stores: hand it over now."""
        key = secrets.token_hex(20)  # 40 characters, the form DRF's tokens had.
        lifetime = dt.timedelta(days=settings.TOKEN_TTL_DAYS if days is None else days)
        token = self.create(
            user=user,
            name=name,
            prefix=key[:PREFIX_LENGTH],
            digest=digest(key),
            expires=timezone.now() + lifetime,
        )
        return token, key


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. nightly-sync.")
    prefix = models.CharField(
        max_length=PREFIX_LENGTH, help_text="The key's first characters, to recognise it by."
    )
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the key.")
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def expired(self) -> bool:
        return self.expires <= timezone.now()

"""Accounts and tokens: hashed, named, expiring tokens their owner lists and revokes; admin
logins locked out after repeated failures."""

from __future__ import annotations

import datetime as dt
import logging
import types
from io import StringIO
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tradeapi.tokens.models import ApiToken, digest

pytestmark = pytest.mark.django_db


def user(name: str = "viewer") -> User:
    return User.objects.create_user(name, password="a long passphrase 42")


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- tokens ------------------------------------------------------------------------------


def test_the_command_issues_a_token_that_authenticates_and_is_stored_hashed() -> None:
    owner = user()
    out, err = StringIO(), StringIO()
    call_command("drf_create_token", "viewer", "--name", "nightly sync", stdout=out, stderr=err)
    words = out.getvalue().split()
    assert words[:2] == ["Generated", "token"]
    assert words[3:] == ["for", "user", "viewer"]
    key = words[2]

    token = ApiToken.objects.get(user=owner)
    assert token.name == "nightly sync"
    # Nothing in the database can be sent back as the key.
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert not any(key in value for value in stored)
    assert token.digest == digest(key)
    assert token.expires - timezone.now() > dt.timedelta(days=89)
    assert "expires" in err.getvalue()

    listed = client_with(key).get("/api/v1/tokens/")
    assert listed.status_code == 200
    assert [(t["name"], t["prefix"], t["current"]) for t in listed.json()["results"]] == [
        ("nightly sync", key[:6], True)
    ]


def test_the_command_refuses_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("drf_create_token", "nobody", stdout=StringIO())


def test_an_expired_token_no_longer_authenticates() -> None:
    _, key = ApiToken.objects.issue(user=user(), name="short-lived", days=1)
    assert client_with(key).get("/api/v1/tokens/").status_code == 200
    ApiToken.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    response = client_with(key).get("/api/v1/tokens/")
    assert response.status_code == 401
    assert "expired" in response.json()["errors"][0]["detail"]


def test_a_wrong_key_is_a_401() -> None:
    ApiToken.objects.issue(user=user(), name="real")
    assert client_with("0" * 40).get("/api/v1/tokens/").status_code == 401


def test_users_list_and_revoke_their_own_tokens_only() -> None:
    mine, my_key = ApiToken.objects.issue(user=user("me"), name="laptop")
    spare, _ = ApiToken.objects.issue(user=User.objects.get(username="me"), name="spare")
    theirs, _ = ApiToken.objects.issue(user=user("them"), name="theirs")
    client = client_with(my_key)

    listed = client.get("/api/v1/tokens/").json()["results"]
    assert [t["name"] for t in listed] == ["laptop", "spare"]
    assert "digest" not in listed[0]
    assert "key" not in listed[0]

    # Someone else's token: not found, and still there.
    assert client.delete(f"/api/v1/tokens/{theirs.pk}/").status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()

    assert client.delete(f"/api/v1/tokens/{spare.pk}/").status_code == 204
    assert [t["name"] for t in client.get("/api/v1/tokens/").json()["results"]] == ["laptop"]
    # Revoking the token in use works at once.
    assert client.delete(f"/api/v1/tokens/{mine.pk}/").status_code == 204
    assert client.get("/api/v1/tokens/").status_code == 401


def test_anonymous_clients_have_no_tokens_to_list() -> None:
    assert APIClient().get("/api/v1/tokens/").status_code == 401


def test_clear_text_tokens_of_the_old_table_are_carried_over_hashed() -> None:
    """The migration from DRF's token table: the old key keeps working, and is erased."""
    owner = user()
    old_key = "a" * 40
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamp with time zone NOT NULL, user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)", [old_key, timezone.now(), owner.pk]
        )
    migration = __import__(
        "tradeapi.tokens.migrations.0002_from_authtoken", fromlist=["carry_over"]
    )
    migration.carry_over(apps, types.SimpleNamespace(connection=connection))

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
        cursor.execute("DROP TABLE authtoken_token")
    assert client_with(old_key).get("/api/v1/tokens/").json()["results"][0]["name"] == (
        "carried over"
    )


# --- login lock-out ----------------------------------------------------------------------


def login(client: Client, password: str) -> Any:
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "boss", "password": password},
        REMOTE_ADDR="203.0.113.7",
    )


def test_the_admin_login_locks_out_after_repeated_failures(caplog: Any, settings: Any) -> None:
    User.objects.create_superuser("boss", password="the right passphrase 42")
    client = Client()
    with caplog.at_level(logging.WARNING):
        wrong = [
            login(client, f"guess {n}").status_code for n in range(settings.AXES_FAILURE_LIMIT)
        ]
        assert wrong == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
        # Locked out: even the right password is refused for now.
        assert login(client, "the right passphrase 42").status_code == 429
    assert "AXES: Locking out" in caplog.text

    attempt = AccessAttempt.objects.get(username="boss")
    assert attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT
    assert attempt.ip_address == "203.0.113.7"
    assert AccessFailureLog.objects.filter(username="boss", locked_out=True).exists()

    # Visible to superusers in the admin.
    other = User.objects.create_superuser("auditor", password="x" * 20)
    admin = Client()
    admin.force_login(other)
    page = admin.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert b"203.0.113.7" in page.content


def test_a_forged_forwarded_for_does_not_reset_the_count(settings: Any) -> None:
    User.objects.create_superuser("boss", password="the right passphrase 42")
    client = Client()
    statuses = [
        client.post(
            "/admin/login/",
            {"username": f"someone{n}", "password": "guess"},
            REMOTE_ADDR="203.0.113.8",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]
    # Different accounts, one client address: the client is locked out.
    assert statuses[-1] == 429


def test_a_successful_login_clears_the_count(settings: Any) -> None:
    User.objects.create_superuser("boss", password="the right passphrase 42")
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, f"guess {n}").status_code == 200
    assert login(client, "the right passphrase 42").status_code == 302
    client.logout()
    assert login(client, "one more typo").status_code == 200

"""The settings module: env-driven, safe in development, strict in production."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import django, json; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps([settings.DEBUG, db['ENGINE'], str(db['NAME']), settings.ALLOWED_HOSTS]))"
)


def run_python(
    args: list[str], env: dict[str, str], keep_database: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run `python *args` in the project, with only `env` on top of a base environment
    stripped of every setting these tests vary."""
    varied = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"} | (
        set() if keep_database else {"DATABASE_URL", "DATABASE_REPLICA_URLS"}
    )
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in varied and not key.startswith(("SECURE_", "THROTTLE_", "CORS_"))
    }
    base["DJANGO_SETTINGS_MODULE"] = "tradeapi.settings"
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def run_settings(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter."""
    return run_python(["-c", PROBE], env)


def test_development_defaults_to_sqlite_in_the_project() -> None:
    result = run_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f'[true, "django.db.backends.sqlite3", "{ROOT / "db.sqlite3"}", '
        '["127.0.0.1", "localhost", "testserver"]]'
    )


def test_database_url_selects_postgresql() -> None:
    result = run_settings(DATABASE_URL="postgres://someone@db.example:5433/trade")
    assert result.returncode == 0, result.stderr
    assert '"django.db.backends.postgresql", "trade"' in result.stdout


def test_replica_urls_add_replicas_configured_like_the_primary() -> None:
    probe = (
        "import django, json; from django.conf import settings; django.setup(); "
        "dbs = settings.DATABASES; "
        "print(json.dumps({a: [d['HOST'], d['PORT'], d['NAME'], d['OPTIONS'], d.get('TEST')] "
        "for a, d in dbs.items()}))"
    )
    result = run_python(
        ["-c", probe],
        {
            "DATABASE_URL": "postgres://app@primary.example:5432/trade",
            "DATABASE_REPLICA_URLS": "postgres://app@replica-a.example:5432/trade, "
            "postgres://app@replica-b.example:6432/trade",
        },
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert list(found) == ["default", "replica_1", "replica_2"]
    primary_options = found["default"][3]
    assert "statement_timeout" in primary_options["options"]
    for alias, host, port in (
        ("replica_1", "replica-a.example", 5432),
        ("replica_2", "replica-b.example", 6432),
    ):
        replica_host, replica_port, name, options, test = found[alias]
        assert (replica_host, replica_port, name) == (host, port, "trade")
        # The primary's timeouts and prepared statements, and a short connection timeout.
        assert options == {**primary_options, "connect_timeout": 2}
        # The test runner gives it the primary's test database (by replication) and never
        # creates or flushes one on it.
        assert test["MIRROR"] == "default"


def test_replicas_need_postgresql() -> None:
    result = run_settings(DATABASE_REPLICA_URLS="sqlite:///elsewhere.sqlite3")
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URLS needs PostgreSQL streaming replicas" in result.stderr


@pytest.mark.parametrize(
    "secret_key",
    [
        pytest.param(None, id="unset"),
        pytest.param("insecure-development-key-do-not-use-in-production", id="development-key"),
        pytest.param("short", id="too-short"),
    ],
)
def test_production_refuses_an_insecure_secret_key(secret_key: str | None) -> None:
    env = {"DEBUG": "0"}
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    result = run_settings(**env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_starts_with_a_real_secret_key() -> None:
    result = run_settings(DEBUG="0", SECRET_KEY="k" * 50, ALLOWED_HOSTS="api.example.org")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("[false,")
    assert '["api.example.org"]' in result.stdout


def test_a_malformed_boolean_is_refused() -> None:
    result = run_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "k" * 20 + "-production-secret-" + "z" * 20}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_python(["manage.py", *args], env, keep_database=True)


def test_production_passes_the_deployment_check() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_check_catches_a_weakened_production() -> None:
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, SECURE_SSL_REDIRECT="0"
    )
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("name", ["THROTTLE_ANON", "THROTTLE_USER"])
def test_a_malformed_throttle_rate_stops_start_up(name: str) -> None:
    result = run_settings(**{name: "lots"})
    assert result.returncode != 0
    assert f"{name}='lots' is not a rate" in result.stderr


def test_throttle_rates_come_from_the_environment() -> None:
    probe = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])"
    )
    result = run_python(["-c", probe], {"THROTTLE_ANON": "5/second", "THROTTLE_USER": "none"})
    assert result.stdout.strip() == "{'anon': '5/second', 'user': None}", result.stderr

"""Running in production: outages answer 503, probes, a failing throttle cache, the schema's
cost. Each test builds what it needs; none reads the shipped data."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import psycopg
import pytest
import yaml
from django.core.management import call_command
from django.db import OperationalError, connection, connections
from django.test import Client, RequestFactory, override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView
from rest_framework.test import APIClient

from tradeapi import health
from tradeapi.api import throttling
from tradeapi.api.schema_view import CachedSchemaView


def assert_outage(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert body["type"] == "server_error"
    assert [e["code"] for e in body["errors"]] == ["service_unavailable"]


@contextmanager
def database_down() -> Iterator[None]:
    """Every new query fails as it does while the server restarts (Django wraps the
    driver's error in OperationalError)."""
    error = OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(type(connections["default"]), "cursor", side_effect=error):
        yield


# --- outages answer as outages -----------------------------------------------------------


@pytest.mark.django_db
def test_a_database_outage_in_an_api_view_is_a_503() -> None:
    with database_down():
        response = APIClient(raise_request_exception=False).get("/api/v1/changes/")
    assert_outage(response)


@pytest.mark.django_db
def test_a_database_outage_outside_drf_is_a_503(admin_user: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    with database_down():
        # The admin loads the session, then the user, from the database: it fails in
        # middleware before any view runs, which only handler500 can catch.
        response = client.get("/admin/")
        assert_outage(response)
        # In a view: the middleware's process_exception.
        with mock.patch(
            "django.contrib.admin.sites.AdminSite.each_context",
            side_effect=OperationalError("terminating connection due to administrator command"),
        ):
            assert_outage(Client(raise_request_exception=False).get("/admin/login/"))


@pytest.mark.django_db
def test_other_server_errors_stay_500s_in_the_standard_shape() -> None:
    with mock.patch(
        "django.contrib.admin.sites.AdminSite.each_context", side_effect=RuntimeError("a bug")
    ):
        response = Client(raise_request_exception=False).get("/admin/login/")
    assert response.status_code == 500
    assert response.json()["type"] == "server_error"


def other_connection() -> psycopg.Connection[Any]:
    """A second session on the test database, as another process would have."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params, autocommit=False)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_engines_statements_are_prepared_on_a_generic_plan() -> None:
    # Django leaves psycopg's prepared statements off unless asked, and PostgreSQL plans a
    # prepared statement's first five runs for their values (settings.py says why not).
    connection.ensure_connection()
    assert connection.connection.prepare_threshold == 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"


@pytest.mark.postgres
@pytest.mark.django_db
def test_parallel_query_is_off_for_the_apps_connections() -> None:
    # Starting parallel workers costs a millisecond query more than it saves (settings.py).
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_held_table_lock_is_a_quick_503_not_a_stalled_worker() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "2s"  # The default DB_LOCK_TIMEOUT_MS.
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "15s"
    holder = other_connection()
    try:
        holder.execute("LOCK TABLE agreements_source IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        response = APIClient(raise_request_exception=False).get("/api/v1/sources/")
        waited = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert_outage(response)
    assert waited < 10, f"waited {waited:.1f} s behind the lock"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_cancelled_by_statement_timeout_is_a_503() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '20s'")
        cursor.execute("SET LOCAL statement_timeout = '300ms'")
    holder = other_connection()
    try:
        holder.execute("LOCK TABLE agreements_source IN ACCESS EXCLUSIVE MODE")
        response = APIClient(raise_request_exception=False).get("/api/v1/sources/")
    finally:
        holder.rollback()
        holder.close()
    assert_outage(response)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # Nothing listens there once the probe closes.


@contextmanager
def database_unreachable(django_db_blocker: Any) -> Iterator[None]:
    """The connection really goes: the server's address now refuses connections."""
    with django_db_blocker.unblock():
        connection.close()
        settings_dict = connection.settings_dict
        real = settings_dict["HOST"], settings_dict["PORT"]
        settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", closed_port()
        try:
            yield
        finally:
            connection.close()
            settings_dict["HOST"], settings_dict["PORT"] = real


@pytest.mark.postgres
def test_an_unreachable_database_is_a_503_everywhere(django_db_blocker: Any) -> None:
    with database_unreachable(django_db_blocker):
        assert_outage(APIClient(raise_request_exception=False).get("/api/v1/sources/"))
        signing_in = {"username": "someone", "password": "a long passphrase 42"}
        assert_outage(Client(raise_request_exception=False).post("/admin/login/", signing_in))
        ready = Client().get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["errors"][0]["code"] == "not_ready"
        assert Client().get("/healthz").status_code == 200


# --- probes ------------------------------------------------------------------------------


def test_healthz_touches_nothing_and_needs_no_https_or_known_host(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["api.example.org"]
    # No database fixture: any query would fail the request.
    with database_down():
        response = Client().get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_answers_200_when_the_database_answers_and_is_migrated(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/readyz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ready"


@pytest.mark.django_db
def test_readyz_is_503_until_every_migration_is_applied() -> None:
    pending = health.known_migrations() | {("agreements", "9999_not_yet")}
    with mock.patch.object(health, "known_migrations", return_value=pending):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert "agreements.9999_not_yet" in response.json()["errors"][0]["detail"]
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_does_not_answer() -> None:
    with database_down():
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert "does not answer" in response.json()["errors"][0]["detail"]


@pytest.mark.django_db
def test_probes_are_never_throttled(settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute", "user": None},
    }
    client = Client()
    statuses = {client.get(path).status_code for path in ["/healthz", "/readyz"] * 5}
    assert statuses == {200}


# --- the throttle's cache fails open -----------------------------------------------------


@pytest.mark.django_db
def test_throttling_fails_open_when_redis_is_down(settings: Any, caplog: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100/minute", "user": None},
    }
    throttling.reset_fail_open()
    before = throttling.fail_open_count()
    client = APIClient()
    with caplog.at_level(logging.ERROR, logger="tradeapi.api.throttling"):
        statuses = [client.get("/api/v1/economies/?page_size=1").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert throttling.fail_open_count() - before == 3
    assert "Throttle cache unavailable" in caplog.text
    assert client.get("/readyz").json()["throttle_fail_open"] >= 3
    throttling.reset_fail_open()


# --- the schema is built once per process ------------------------------------------------


@pytest.fixture
def no_schema_build(tmp_path: Any) -> Iterator[None]:
    with override_settings(SCHEMA_BUILD_DIR=tmp_path / "none"):
        CachedSchemaView.clear_cache()
        yield
    CachedSchemaView.clear_cache()


@pytest.mark.django_db
@pytest.mark.usefixtures("no_schema_build")
def test_the_schema_is_generated_once_and_answers_as_before() -> None:
    calls: list[Any] = []
    real = SchemaGenerator.get_schema

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(self, *args, **kwargs)

    client = Client()
    with mock.patch.object(SchemaGenerator, "get_schema", counting):
        answers = {
            accept: client.get("/api/v1/schema/", HTTP_ACCEPT=accept)
            for accept in ["application/vnd.oai.openapi", "application/vnd.oai.openapi+json"]
        }
        again = client.get("/api/v1/schema/?format=json")
    assert len(calls) == 1
    # Byte for byte what drf-spectacular's own view answers, in both formats.
    factory = RequestFactory()
    for accept, answer in answers.items():
        request = factory.get("/api/v1/schema/", HTTP_ACCEPT=accept)
        expected = SpectacularAPIView.as_view()(request, version="v1")
        expected.render()
        assert answer.status_code == 200
        assert answer["Content-Type"] == expected["Content-Type"]
        assert answer.content == expected.content
    assert yaml.safe_load(answers["application/vnd.oai.openapi"].content) == json.loads(
        again.content
    )


SCHEMA_TYPES = [
    "application/vnd.oai.openapi",
    "application/yaml",
    "application/vnd.oai.openapi+json",
    "application/json",
]


def _generated(accept: str) -> Any:
    request = RequestFactory().get("/api/v1/schema/", HTTP_ACCEPT=accept)
    expected = SpectacularAPIView.as_view()(request, version="v1")
    expected.render()
    return expected


@pytest.mark.django_db
def test_a_deployment_serves_its_schema_build_without_generating(tmp_path: Any) -> None:
    directory = tmp_path / "schema"
    with override_settings(SCHEMA_BUILD_DIR=directory):
        call_command("build_schema", stdout=None)
        CachedSchemaView.clear_cache()
        client = Client()
        try:
            with mock.patch.object(SchemaGenerator, "get_schema", side_effect=AssertionError):
                answers = {
                    accept: client.get("/api/v1/schema/", HTTP_ACCEPT=accept)
                    for accept in SCHEMA_TYPES
                }
                by_format = client.get("/api/v1/schema/?format=json")
        finally:
            CachedSchemaView.clear_cache()
    for accept, answer in answers.items():
        expected = _generated(accept)
        assert answer.status_code == 200
        assert answer["Content-Type"] == expected["Content-Type"]
        assert answer.content == expected.content
        assert answer["Content-Disposition"] == expected["Content-Disposition"]
    assert by_format.content == answers["application/vnd.oai.openapi+json"].content


@pytest.mark.django_db
@pytest.mark.parametrize("damage", ["other code", "edited file", "no manifest"])
def test_a_schema_build_that_is_not_this_codes_is_not_served(
    tmp_path: Any, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "schema"
    with override_settings(SCHEMA_BUILD_DIR=directory):
        call_command("build_schema", stdout=None)
        manifest = json.loads((directory / "manifest.json").read_text())
        if damage == "other code":
            # As a build left by the previous deployment: made from other sources.
            manifest["fingerprint"] = "0" * 64
            (directory / "manifest.json").write_text(json.dumps(manifest))
        elif damage == "edited file":
            (directory / manifest["documents"][2]["file"]).write_bytes(b'{"openapi": "3.0.0"}')
        else:
            (directory / "manifest.json").unlink()
        CachedSchemaView.clear_cache()
        calls: list[int] = []
        real = SchemaGenerator.get_schema

        def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return real(self, *args, **kwargs)

        try:
            with (
                caplog.at_level(logging.WARNING, logger="tradeapi.api.schema_build"),
                mock.patch.object(SchemaGenerator, "get_schema", counting),
            ):
                answer = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
        finally:
            CachedSchemaView.clear_cache()
    assert calls == [1]
    assert answer.content == _generated("application/json").content
    if damage != "no manifest":
        assert "generating instead" in caplog.text


def test_an_unsafe_method_on_an_unrouted_api_url_is_a_json_404() -> None:
    """Found by schemathesis: DELETE /api/v1/sources/1.5/ (no route: ids have no dot) was the
    CSRF check's HTML 403, since the catch-all 404 view is not DRF's."""
    client = APIClient(enforce_csrf_checks=True)
    response = client.delete("/api/v1/sources/3.66e-299/", HTTP_COOKIE="sessionid=whatever")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_prepared_statement_is_logged_with_its_text() -> None:
    # psycopg keeps no text of a statement it runs prepared: Django's wrapper logged None,
    # and every query assertion that reads the statements saw an empty one.
    from django.test.utils import CaptureQueriesContext

    from tradeapi.db.cursors import prepared_cursor

    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            with prepared_cursor(connection) as cursor:
                cursor.execute("SELECT %s::int + 1", [1])
                assert cursor.fetchone() == (2,)
    assert [q["sql"] for q in queries.captured_queries] == ["SELECT %s::int + 1"] * 3

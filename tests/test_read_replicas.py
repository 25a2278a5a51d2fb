"""Reads on a real streaming replica; writes, and a client's reads after its own writes, on
the primary; a replica that fails or lags is skipped with no error (tradeapi.db).

These need a PostgreSQL primary and a streaming replica of it: `make replica-test` starts
both (scripts/with_replica.sh), points DATABASE_URL and DATABASE_REPLICA_URLS at them and
runs this module. The replica gets the test database by replication (it is a test mirror of
the primary's), so each test commits for real and waits for the replica where it must.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import connections
from rest_framework.test import APIClient

from agreements.models import Source
from tradeapi.db import replicas
from tradeapi.tokens.models import ApiToken

pytestmark = [pytest.mark.replica, pytest.mark.django_db(transaction=True, databases="__all__")]
REPLICA = "replica_1"
TABLE = Source._meta.db_table


def position(alias: str, sql: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return replicas.lsn(cursor.fetchone()[0])


def wait_for_replica(timeout: float = 20.0) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    target = position("default", "SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if position(REPLICA, "SELECT pg_last_wal_replay_lsn()") >= target:
                return
        except Exception:  # Still starting after a restart.
            connections[REPLICA].close()
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up with the primary")


@contextmanager
def replay_paused() -> Iterator[None]:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")


def replica_ctl(*args: str) -> None:
    subprocess.run([*shlex.split(os.environ["REPLICA_PGCTL"]), *args], check=True)


class Served:
    """Which databases read the sources table during a block (without opening connections)."""

    def __init__(self) -> None:
        self.by: set[str] = set()

    @contextmanager
    def watch(self) -> Iterator[Served]:
        self.by.clear()

        def recorder(alias: str) -> Callable[..., Any]:
            def record(execute: Any, sql: str, *args: Any) -> Any:
                if TABLE in sql or "data_version" in sql:
                    self.by.add(alias)
                return execute(sql, *args)

            return record

        with (
            connections["default"].execute_wrapper(recorder("default")),
            connections[REPLICA].execute_wrapper(recorder(REPLICA)),
        ):
            yield self


@pytest.fixture(autouse=True)
def _fresh_routing(settings: Any) -> Iterator[None]:
    settings.REPLICA_CHECK_SECONDS = 0
    settings.REPLICA_MAX_LAG_SECONDS = 60
    settings.REPLICA_RETRY_SECONDS = 1
    replicas.reset()
    caches["default"].clear()
    # A cache that has kept its last-write records longer than they live: one just emptied
    # sends signed-in clients to the primary for that long (tested below).
    caches["default"].set(replicas.GENERATION_KEY, time.time() - 3600, timeout=None)
    yield
    replicas.reset()


@pytest.fixture
def source() -> Source:
    made = Source.objects.create(
        title="Replicated source",
        url="https://example.org/replicated",
        publisher="Test Gazette",
        note="first",
    )
    wait_for_replica()
    return made


@pytest.fixture
def writer() -> APIClient:
    user = User.objects.create_superuser("writer", password="x" * 16)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.issue(user=user, name='t')[1]}")
    return client


def client_that_sees_errors() -> APIClient:
    # An error answered by the middleware still reaches Django's got_request_exception,
    # which the test client would raise; the answer the client gets is what matters here.
    return APIClient(raise_request_exception=False)


def note_of(client: APIClient, source: Source) -> str:
    response = client.get(f"/api/v1/sources/{source.pk}/")
    assert response.status_code == 200, response.content
    return str(response.json()["note"])


def test_the_replica_is_a_standby_and_the_primary_is_not() -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (False,)


def test_reads_go_to_the_replica_and_writes_to_the_primary(
    source: Source, writer: APIClient
) -> None:
    served = Served()
    with served.watch():
        assert note_of(APIClient(), source) == "first"
    assert served.by == {REPLICA}
    with served.watch():
        response = writer.patch(f"/api/v1/sources/{source.pk}/", {"note": "second"}, format="json")
    assert response.status_code == 200, response.content
    assert served.by == {"default"}
    assert Source.objects.get(pk=source.pk).note == "second"


def test_a_client_sees_its_own_write_on_its_next_read(source: Source, writer: APIClient) -> None:
    # Many times over: replication takes about a millisecond here, so a read that went to the
    # replica too early would be caught by some round.
    for number in range(30):
        response = writer.patch(
            f"/api/v1/sources/{source.pk}/", {"note": f"note {number}"}, format="json"
        )
        assert response.status_code == 200, response.content
        assert note_of(writer, source) == f"note {number}"


def test_a_writer_reads_from_the_replica_once_it_has_replayed_the_write(
    source: Source, writer: APIClient
) -> None:
    if not replicas._last_writes_shared():
        pytest.skip("needs a shared cache (REDIS_URL): without one writers read the primary")
    writer.patch(f"/api/v1/sources/{source.pk}/", {"note": "second"}, format="json")
    wait_for_replica()
    served = Served()
    with served.watch():
        assert note_of(writer, source) == "second"
    assert served.by == {REPLICA}


def test_a_lagging_replica_is_skipped_for_the_client_that_wrote(
    source: Source, writer: APIClient
) -> None:
    served = Served()
    assert note_of(APIClient(), source) == "first"  # The replica measured caught up.
    with replay_paused():
        response = writer.patch(f"/api/v1/sources/{source.pk}/", {"note": "second"}, format="json")
        assert response.status_code == 200
        # Anonymous readers (within the lag allowed) still read the paused replica: it lags.
        with served.watch():
            assert note_of(APIClient(), source) == "first"
        assert served.by == {REPLICA}
        # The writer does not: its write is past what the replica has replayed.
        with served.watch():
            assert note_of(writer, source) == "second"
        assert served.by == {"default"}
        # And again from the cache: the anonymous answer above, read from the replica, was
        # cached under the replica's data version, never under the primary's newer one.
        assert note_of(writer, source) == "second"
        assert note_of(APIClient(), source) == "first"
    wait_for_replica()
    assert note_of(APIClient(), source) == "second"


def test_the_answer_cache_never_mixes_a_replica_answer_with_the_primary_version(
    source: Source, writer: APIClient
) -> None:
    # The order that would go wrong if the version were read from the primary: an anonymous
    # read computes from the lagging replica first, then the writer reads.
    assert note_of(APIClient(), source) == "first"  # The replica measured caught up.
    with replay_paused():
        writer.patch(f"/api/v1/sources/{source.pk}/", {"note": "second"}, format="json")
        assert note_of(APIClient(), source) == "first"
        assert note_of(writer, source) == "second"
        listing = writer.get("/api/v1/sources/").json()
        assert [item["note"] for item in listing["results"]] == ["second"]


def test_a_replica_behind_the_lag_bound_is_skipped_for_everyone(
    source: Source, settings: Any
) -> None:
    settings.REPLICA_MAX_LAG_SECONDS = 1
    served = Served()
    with served.watch():
        assert note_of(APIClient(), source) == "first"  # Measured caught up.
    assert served.by == {REPLICA}
    with replay_paused():
        Source.objects.filter(pk=source.pk).update(note="second")
        # Behind by less than the bound: still read, and stale by design (at most 1 s).
        with served.watch():
            assert note_of(APIClient(), source) == "first"
        assert served.by == {REPLICA}
        time.sleep(1.2)
        with served.watch():
            assert note_of(APIClient(), source) == "second"
        assert served.by == {"default"}
    wait_for_replica()
    with served.watch():
        assert note_of(APIClient(), source) == "second"
    assert served.by == {REPLICA}


def test_a_stopped_replica_is_skipped_with_no_error(source: Source, settings: Any) -> None:
    served = Served()
    with served.watch():
        assert note_of(APIClient(), source) == "first"
    assert served.by == {REPLICA}
    # No health check before the next request: the replica fails in the middle of it.
    settings.REPLICA_CHECK_SECONDS = 3600
    replica_ctl("stop", "-m", "fast", "-w")
    try:
        with served.watch():
            assert note_of(client_that_sees_errors(), source) == "first"
        # Tried on the replica, which failed, and answered from the primary.
        assert served.by == {REPLICA, "default"}
        # Then it is left alone: the next request does not even try it.
        attempts = Served()
        with attempts.watch():
            assert note_of(APIClient(), source) == "first"
        assert attempts.by == {"default"}
        assert replicas.health(REPLICA).down_until > time.monotonic()
    finally:
        replica_ctl("start", "-w")
    wait_for_replica()
    time.sleep(settings.REPLICA_RETRY_SECONDS)
    with served.watch():
        assert note_of(APIClient(), source) == "first"
    assert served.by == {REPLICA}


def test_a_query_cancelled_by_replay_is_answered_from_the_primary_and_keeps_the_replica(
    source: Source, settings: Any
) -> None:
    """A replica cancels a query that conflicts with what it replays (SQLSTATE 40001, as
    psycopg raises it): the replica is fine, the request is not. It is answered again from
    the primary, and the replica, which still answers, stays in use."""
    import psycopg

    settings.REPLICA_CHECK_SECONDS = 3600  # Only the failure's own probe looks at it.
    cancelled: list[str] = []

    def cancel_once(execute: Any, sql: str, *args: Any) -> Any:
        if TABLE in sql and not cancelled:
            cancelled.append(sql)
            with connections[REPLICA].wrap_database_errors:
                raise psycopg.errors.SerializationFailure(
                    "canceling statement due to conflict with recovery"
                )
        return execute(sql, *args)

    served = Served()
    with served.watch(), connections[REPLICA].execute_wrapper(cancel_once):
        assert note_of(client_that_sees_errors(), source) == "first"
    assert len(cancelled) == 1
    # Tried on the replica, cancelled there, answered from the primary.
    assert served.by == {REPLICA, "default"}
    assert replicas.health(REPLICA).down_until <= time.monotonic()
    # The next request reads the replica again.
    with served.watch():
        assert note_of(APIClient(), source) == "first"
    assert served.by == {REPLICA}


def test_a_cache_that_lost_the_last_writes_sends_writers_to_the_primary(
    source: Source, writer: APIClient
) -> None:
    """Redis restarted or emptied between a client's write and its next read, before the
    replica replayed the write: its record is gone, and the replica must not be trusted with
    that client's read. Anonymous reads keep using the replica."""
    if not replicas._last_writes_shared():
        pytest.skip("needs a shared cache (REDIS_URL): without one writers read the primary")
    assert note_of(APIClient(), source) == "first"  # The replica measured caught up.
    served = Served()
    with replay_paused():
        response = writer.patch(f"/api/v1/sources/{source.pk}/", {"note": "second"}, format="json")
        assert response.status_code == 200
        caches["default"].clear()  # The records, and when their generation began, are gone.
        with served.watch():
            assert note_of(writer, source) == "second"
        assert served.by == {"default"}
        with served.watch():
            assert note_of(APIClient(), source) == "first"
        assert served.by == {REPLICA}

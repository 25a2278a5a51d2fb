"""The read replica rules that need no replica: WAL positions, lag, and a service without
replicas (tests/test_read_replicas.py tries them against a real one)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connections

from agreements.models import Rate
from tradeapi.db import replicas
from tradeapi.db.routers import ReplicaRouter


@pytest.fixture(autouse=True)
def _no_samples() -> Iterator[None]:
    replicas.reset()
    yield
    replicas.reset()


def test_wal_positions_compare_as_positions() -> None:
    # The high word first: 1/0 is past FFFFFFFF within 0/.
    assert replicas.lsn("0/FFFFFFFF") < replicas.lsn("1/0") < replicas.lsn("1/10")
    assert replicas.lsn("16/B374D848") == (0x16 << 32) | 0xB374D848


def test_a_replica_that_replayed_the_latest_sample_does_not_lag(settings: Any) -> None:
    replicas._samples.extend([(100.0, 500), (101.0, 500)])
    # The primary idle at 500: a replica at 500 is current however old its last replay is.
    assert replicas.lag_seconds(500, now=160.0) == 0.0


def test_a_replica_is_as_stale_as_the_newest_sample_it_has_replayed() -> None:
    replicas._samples.extend([(100.0, 500), (101.0, 700), (102.0, 900)])
    assert replicas.lag_seconds(750, now=102.5) == pytest.approx(1.5)
    assert replicas.lag_seconds(500, now=102.5) == pytest.approx(2.5)
    # Behind every sample kept (older ones were dropped past the bound): too far behind.
    assert replicas.lag_seconds(400, now=102.5) == math.inf


def test_without_replicas_everything_reads_and_writes_the_primary(rf: Any) -> None:
    router = ReplicaRouter()
    state = replicas.Reads(rf.get("/api/v1/rates/"), replicas_allowed=True)
    token = replicas.begin(state)
    try:
        assert router.db_for_read(Rate) == "default"
        assert router.db_for_write(Rate) == "default"
    finally:
        replicas.end(token)
    assert router.allow_migrate("default", "agreements") is True
    assert router.allow_migrate("replica_1", "agreements") is False
    assert list(connections) == ["default"]


def test_a_write_pins_the_rest_of_the_request_to_the_primary(rf: Any) -> None:
    state = replicas.Reads(rf.get("/api/v1/rates/"), replicas_allowed=True)
    token = replicas.begin(state)
    try:
        ReplicaRouter().db_for_write(Rate)
    finally:
        replicas.end(token)
    assert state.pinned
    assert state.wrote
    assert replicas.current() is None


class FailingCache:
    def __init__(self) -> None:
        self.calls = 0

    def get_many(self, keys: list[str]) -> None:
        self.calls += 1
        raise ConnectionError("Redis is down")


def test_a_cache_outage_sends_signed_in_clients_to_the_primary(
    rf: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = FailingCache()
    monkeypatch.setattr(replicas, "_last_writes_shared", lambda: True)
    monkeypatch.setattr(replicas, "caches", {replicas.LAST_WRITE_CACHE: failing})
    request = rf.get("/api/v1/rates/")
    request.user = SimpleNamespace(is_authenticated=True, pk=7)
    # None: no replica is known to have this client's writes.
    assert replicas._needed_position(request) is None
    # And the cache is left alone for a while instead of costing every read its timeout.
    assert replicas._needed_position(request) is None
    assert failing.calls == 1
    # Anonymous clients never wrote: any replica will do.
    request.user = SimpleNamespace(is_authenticated=False)
    assert replicas._needed_position(request) == 0


class DictCache:
    """The shared cache's calls the last-write records use, over a dict."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        return {key: self.data[key] for key in keys if key in self.data}

    def add(self, key: str, value: Any, timeout: Any = None) -> bool:
        return self.data.setdefault(key, value) is value


def test_records_lost_with_the_cache_send_signed_in_clients_to_the_primary_while_they_matter(
    rf: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.REPLICA_MAX_LAG_SECONDS, settings.REPLICA_CHECK_SECONDS = 5, 1
    cache = DictCache()
    monkeypatch.setattr(replicas, "_last_writes_shared", lambda: True)
    monkeypatch.setattr(replicas, "caches", {replicas.LAST_WRITE_CACHE: cache})
    now = [1_000_000.0]
    monkeypatch.setattr(replicas.time, "time", lambda: now[0])
    request = rf.get("/api/v1/rates/")
    request.user = SimpleNamespace(is_authenticated=True, pk=7)
    # An empty cache (new, restarted or flushed): a record may be lost, so the primary; the
    # first to notice starts a new generation, which the next ones keep.
    assert replicas._needed_position(request) is None
    assert cache.data[replicas.GENERATION_KEY] == now[0]
    now[0] += 10
    assert replicas._needed_position(request) is None
    assert cache.data[replicas.GENERATION_KEY] == now[0] - 10
    # Once every record written before it would have expired (5 + 1 + 30 s), the records
    # are whole again: no record, any replica; a record, one that has replayed it.
    now[0] += 26
    assert replicas._needed_position(request) == 0
    cache.data[replicas._write_key(7)] = 12345
    assert replicas._needed_position(request) == 12345
    # Anonymous clients never wrote: any replica will do, whatever the cache holds.
    cache.data.clear()
    request.user = SimpleNamespace(is_authenticated=False)
    assert replicas._needed_position(request) == 0

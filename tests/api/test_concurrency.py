"""Concurrent writers against a live server on PostgreSQL: no lost update, no overlap.

These run through real HTTP with real threads, each request on its own database
connection, so they test the locks and constraints rather than the test client's single
connection. SQLite has no row locks and the test database shares one connection between
threads, so these run on PostgreSQL (CI runs the suite on both).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth.models import User

from agreements.models import Measure, Rate, Source
from tests.factories import GLOBAL_MEASURE, build_world
from tradeapi.tokens.models import ApiToken

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WRITERS = 8


class Server:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    def call(
        self, method: str, path: str, body: Any = None, **headers: str
    ) -> tuple[int, dict[str, str], Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Token {self.token}",
                "Content-Type": "application/json",
                **headers,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
                status, answer_headers = response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, answer_headers = error.read(), error.code, dict(error.headers)
        return status, answer_headers, json.loads(raw) if raw else None


@pytest.fixture
def server(live_server: Any) -> Server:
    # A transactional test commits its rows for real (the others read them through HTTP), and
    # the database is flushed after it: each builds the world afresh.
    build_world()
    user = User.objects.create_superuser("writer", password="x" * 16)
    return Server(live_server.url, ApiToken.objects.issue(user=user, name="tests")[1])


def test_concurrent_read_then_write_with_if_match_loses_no_update(server: Server) -> None:
    source = Source.objects.order_by("pk").first()
    assert source is not None
    path = f"/api/v1/sources/{source.pk}/"
    server.call("PATCH", path, {"note": ""})
    start = threading.Barrier(WRITERS)

    def writer(number: int) -> Counter[int]:
        statuses: Counter[int] = Counter()
        start.wait()
        for _ in range(200):
            _, headers, current = server.call("GET", path)
            marker = f"[{number}]"
            status, _, _ = server.call(
                "PATCH", path, {"note": current["note"] + marker}, **{"If-Match": headers["ETag"]}
            )
            statuses[status] += 1
            if status == 200:
                return statuses
        raise AssertionError(f"writer {number} never got its turn: {statuses}")

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(writer, range(WRITERS)))
    totals = sum(results, Counter())
    assert set(totals) <= {200, 412}, totals  # Never a 500, never a lock error.
    assert totals[200] == WRITERS
    note = Source.objects.get(pk=source.pk).note
    # None lost: every writer's marker is there, once.
    assert sorted(note.replace("][", "] [").split()) == sorted(f"[{n}]" for n in range(WRITERS))
    # Every 200 was a real change: one audited update each (after the reset above).
    history = source.history.filter(history_type="~").order_by("-history_date")  # type: ignore[attr-defined]
    assert [h.note.count("[") for h in history[:WRITERS]] == list(range(WRITERS, 0, -1))


def test_concurrent_overlapping_inserts_leave_exactly_one(server: Server) -> None:
    measure = Measure.objects.get(slug=GLOBAL_MEASURE)
    before = Rate.objects.filter(measure=measure).count()
    start = threading.Barrier(WRITERS)

    def insert(number: int) -> tuple[int, Any]:
        body = {
            "measure": measure.pk,
            "rate": f"{number + 1}.00",
            "valid_from": f"2030-01-{number + 1:02d}",
            "valid_to": "2031-01-01",
            "status": "in_force",
        }
        start.wait()
        status, _, answer = server.call("POST", "/api/v1/rates/", body)
        return status, answer

    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(insert, range(WRITERS)))
    statuses = Counter(status for status, _ in results)
    assert statuses[201] == 1, results
    refused = [answer for status, answer in results if status != 201]
    # Whether validation saw the winner's row or the exclusion constraint caught the race,
    # the loser hears the same 400 naming the colliding period.
    assert all(status == 400 for status, _ in results if status != 201), results
    for answer in refused:
        assert answer["type"] in {"validation_error", "client_error"}
        assert answer["errors"][0]["detail"]
    assert Rate.objects.filter(measure=measure).count() == before + 1


def test_options_on_a_record_describes_it_without_locking_it(server: Server) -> None:
    # DRF's OPTIONS answer fetches the record as if for a PUT, outside any transaction.
    source = Source.objects.order_by("pk").first()
    assert source is not None
    path = f"/api/v1/sources/{source.pk}/"
    status, _, body = server.call("OPTIONS", path, **{"If-Match": '"stale"'})
    assert status == 200
    assert "PUT" in body["actions"]


def test_concurrent_halves_of_a_yield_cycle_cannot_both_pass(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two programs yield to each other, neither measure has a period yet; each period
    alone is fine, the two together make a cycle. A cycle spans rows, so no constraint can
    refuse it: the check reads under a lock on the importer's row, so the second writer
    waits, then sees the first one's period."""
    from agreements.models import measures
    from tests import factories

    real = measures.stored_yieldings

    def slow(*args: Any, **kwargs: Any) -> Any:
        # Holds each writer between its read of the graph and its commit long enough for
        # the other to read too, were nothing making it wait.
        found = real(*args, **kwargs)
        time.sleep(0.2)
        return found

    monkeypatch.setattr(measures, "stored_yieldings", slow)
    pair = [
        factories.measure("xa-race-a", program="xa-race-a", yields_to=["xa-race-b"]),
        factories.measure("xa-race-b", program="xa-race-b", yields_to=["xa-race-a"]),
    ]
    start = threading.Barrier(len(pair))

    def write(job: tuple[Measure, str]) -> int:
        measure, day = job
        start.wait()
        body = {"measure": measure.pk, "rate": "5.00", "valid_from": day}
        status, _, _ = server.call("POST", "/api/v1/rates/", body)
        return status

    for day in range(1, 6):  # A race that slipped through would show within a few rounds.
        Rate.objects.filter(measure__in=pair).delete()
        jobs = [(measure, f"2030-01-{day:02d}") for measure in pair]
        with ThreadPoolExecutor(len(pair)) as pool:
            statuses = sorted(pool.map(write, jobs))
        assert statuses == [201, 400]
        assert Rate.objects.filter(measure__in=pair).count() == 1

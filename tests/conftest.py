"""Shared pytest fixtures. Tests live under tests/, grouped by the layer they exercise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

FACTS = "facts"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Fact tests last: the shipped data they read is committed once for the session (see
    # `real_data`), so every behaviour test must have run on its empty database before it.
    items.sort(key=lambda item: FACTS in item.keywords)
    for item in items:
        if FACTS in item.keywords and isinstance(item, pytest.Function):
            # Requested ahead of the test's own fixtures, so the seed is committed before
            # pytest-django opens the test's transaction, and never inside it.
            item.fixturenames.insert(0, "real_data")
    # The read replica tests need a real streaming replica, which `make replica-test` starts
    # (scripts/with_replica.sh) and a plain run has not.
    from tradeapi.db.replicas import replica_aliases

    if not replica_aliases():
        no_replica = pytest.mark.skip(
            reason="needs a streaming replica (DATABASE_REPLICA_URLS): make replica-test"
        )
        for item in items:
            if "replica" in item.keywords:
                item.add_marker(no_replica)
    # PostgreSQL-only features (exclusion constraints, EXPLAIN plans) do not exist on SQLite;
    # CI runs the suite on both, so each such test runs exactly once there.
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL; CI runs it with DATABASE_URL set")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def real_data(django_db_setup: None, django_db_blocker: Any) -> None:
    """The shipped 2025 data (fixtures/ and the reference data), for the fact tests only.

    Why one session seed plus ordering rather than a second test database: the seed takes
    seconds, and a second database would double the migrations and the settings juggling;
    committing it once, after every behaviour test has run on the empty database, costs
    one seed and keeps each fact test inside its own rolled-back transaction. Behaviour
    tests build their own rows with tests/factories.py and never request this fixture.
    """
    from agreements.seeding import seed_all

    with django_db_blocker.unblock():
        seed_all()


@pytest.fixture(autouse=True)
def _no_shipped_data_outside_fact_tests(request: pytest.FixtureRequest) -> None:
    # A behaviour test that ran after the seed would read it without saying so.
    if FACTS not in request.node.keywords and "real_data" in request.fixturenames:
        pytest.fail("only tests marked `facts` may read the shipped data")


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    """The synthetic dataset of tests/factories.py, for the modules that ask for it.

    Built once per module inside a transaction that is rolled back after the module:
    building it costs hundreds of audited writes, too many to repeat for every test. Each
    test's own transaction nests inside as a savepoint, so a test still sees the world
    exactly as built, and no module sees another's.
    """
    from tests.factories import build_world

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        built = build_world()
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _feed_without_delay(settings: Any) -> None:
    """Tests read their own writes from the changes feed at once; the delay has its own
    test (tests/api/test_audit.py)."""
    settings.CHANGES_FEED_DELAY_SECONDS = 0


@pytest.fixture(autouse=True)
def _unthrottled(settings: Any) -> None:
    """Tests fire hundreds of requests from one address within seconds; the throttling
    tests (tests/api/test_reliability.py) switch the limits back on with their own rates."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
    }


@pytest.fixture(autouse=True)
def _fresh_answer_cache() -> None:
    """Each test starts with an empty answer cache (tradeapi.api.caching): its keys hold the
    data version, which a test's rolled-back writes cannot reuse, but not the settings a
    test overrides (a page size, a feed delay), which can change an answer too."""
    from django.core.cache import caches

    from tradeapi.api.caching import CACHE_ALIAS, local_answers, reset_cache_failures

    caches[CACHE_ALIAS].clear()
    local_answers.clear()
    reset_cache_failures()

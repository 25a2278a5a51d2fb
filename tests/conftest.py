"""Shared pytest fixtures. Tests live under tests/, grouped by the layer they exercise."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # PostgreSQL-only features (exclusion constraints, EXPLAIN plans) do not exist on SQLite;
    # CI runs the suite on both, so each such test runs exactly once there.
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL; CI runs it with DATABASE_URL set")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Seed the test database once: the reference data and the real fixtures.

    Every test then runs inside a transaction on top of the real 2025 data, which it may
    read (the facts tests) or extend with its own records.
    """
    from agreements.seeding import seed_all

    with django_db_blocker.unblock():
        seed_all()


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

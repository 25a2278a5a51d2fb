"""Shared pytest fixtures. Tests live under tests/, grouped by the layer they exercise."""

from __future__ import annotations

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

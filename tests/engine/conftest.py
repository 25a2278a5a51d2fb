"""Synthetic measures on user-assigned economy codes (XA..XZ), which no real data uses, so
these tests are independent of the shipped fixtures; the builders live in tests/factories.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from agreements.models import Measure
from tests import factories

IMPORTER, ORIGIN, OTHER, BLOC = "XA", "XB", "XC", "XE"
# The HS lines the engine tests name, with their parents.
PRODUCTS = ("950300", "9503", "95", "8542", "85")


@pytest.fixture
def economies(db: Any) -> None:
    for code in (IMPORTER, ORIGIN, OTHER):
        factories.economy(code)
    factories.bloc(BLOC, members=[(ORIGIN, dt.date(2020, 1, 1), dt.date(2030, 1, 1))])
    for code in PRODUCTS:
        factories.product(code)


def make_measure(
    *,
    rates: Sequence[factories.Period],
    kind: str = "additional",
    program: str = "p",
    origin: str | None = ORIGIN,
    importer: str = IMPORTER,
    products: Sequence[str] = (),
    excluded_products: Sequence[str] = (),
    excluded_origins: Sequence[str] = (),
) -> Measure:
    """A measure with periods given as (rate, valid_from, valid_to[, status])."""
    return factories.measure(
        rates=rates,
        kind=kind,
        program=program,
        origin=origin,
        importer=importer,
        products=products,
        excluded_products=excluded_products,
        excluded_origins=excluded_origins,
    )

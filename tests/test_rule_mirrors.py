"""Rules that must exist twice, held to one answer.

The rate engine decides product scope in SQL and bloc membership in Python over rows it has
loaded, for speed; the list filters and the ORM decide the same in QuerySets. Each test
builds one set of records and asks both homes of a rule about many cases.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from agreements.engine import queries
from agreements.engine.rules import Membership
from agreements.models import BlocMembership, Economy, Measure, Product, Rate
from agreements.models.choices import EconomyKind
from agreements.validators import hs_prefixes
from tests import factories

pytestmark = pytest.mark.django_db

IMPORTER, ORIGIN, BLOC = "XA", "XB", "XE"
CODES = ["01", "0101", "010121", "01012100", "0102", "010290", "02", "0201", "020110"]
# Scopes as (products, excluded products): every shape the rule distinguishes.
SCOPES = [
    ([], []),
    (["01"], []),
    (["0101"], []),
    (["010121"], []),
    (["01"], ["0101"]),
    (["01"], ["010121"]),
    ([], ["02"]),
    (["0101", "0201"], ["020110"]),
    (["01012100"], []),
]


def product(code: str) -> Product:
    return factories.product(code)


@pytest.fixture
def scoped_measures(db: Any) -> dict[int, tuple[list[str], list[str]]]:
    for code in (IMPORTER, ORIGIN):
        factories.economy(code)
    measures = {}
    for number, (products, excluded) in enumerate(SCOPES):
        measure = Measure.objects.create(
            slug=f"mirror-{number}",
            title=f"Scope {number}",
            importer_id=IMPORTER,
            legal_basis="other",
            instrument="Test",
            program=f"p{number}",
            kind="additional",
        )
        measure.products.set([product(code) for code in products])
        measure.excluded_products.set([product(code) for code in excluded])
        Rate.objects.create(measure=measure, rate=Decimal(1), valid_from=dt.date(2025, 1, 1))
        measures[measure.pk] = (products, excluded)
    for code in CODES:
        product(code)
    return measures


@pytest.mark.parametrize("code", [*CODES, "0101210010", "03"])
def test_product_scope_is_the_same_in_sql_and_in_the_orm(
    scoped_measures: dict[int, tuple[list[str], list[str]]], code: str
) -> None:
    orm = set(
        Measure.objects.filter(pk__in=scoped_measures).covering(code).values_list("pk", flat=True)
    )
    rows = queries.fetch(
        *queries.candidates_sql(
            importer=IMPORTER,
            origins=[ORIGIN],
            prefixes=hs_prefixes(code),
            statuses=["in_force"],
            start=dt.date(2025, 6, 1),
            end=dt.date(2025, 6, 2),
        )
    )
    sql = {row[5] for row in rows if row[5] in scoped_measures}
    assert orm == sql
    # And both agree with the rule as API.md states it.
    expected = {
        pk
        for pk, (products, excluded) in scoped_measures.items()
        if (not products or any(code.startswith(p) for p in products))
        and not any(code.startswith(x) for x in excluded)
    }
    assert sql == expected


def test_bloc_membership_on_a_date_is_the_same_in_the_orm_and_the_engine(db: Any) -> None:
    Economy.objects.get_or_create(code=ORIGIN, defaults={"name": ORIGIN})
    Economy.objects.get_or_create(code=BLOC, defaults={"name": BLOC, "kind": EconomyKind.BLOC})
    periods = [(dt.date(2020, 1, 1), dt.date(2021, 3, 1)), (dt.date(2022, 6, 15), None)]
    for joined, left in periods:
        BlocMembership.objects.create(
            bloc_id=BLOC, member_id=ORIGIN, joined_on=joined, left_on=left
        )
    engine_view = [Membership(bloc=BLOC, joined_on=j, left_on=left) for j, left in periods]
    edges = [d for period in periods for d in period if d is not None]
    days = {edge + dt.timedelta(days=shift) for edge in edges for shift in (-1, 0, 1)}
    days |= {dt.date(2019, 1, 1), dt.date(2030, 1, 1)}
    for day in sorted(days):
        orm = BlocMembership.objects.on(day).filter(member_id=ORIGIN, bloc_id=BLOC).exists()
        engine = any(membership.covers(day) for membership in engine_view)
        assert orm == engine, day

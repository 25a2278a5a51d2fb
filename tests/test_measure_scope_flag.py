"""Measure.covers_all_products is derived, and the database keeps it (migration 0009): every
path that changes a measure's products, and every write of the measure row, leaves it equal
to "the measure names no products". The rate engine trusts it to find candidates."""

from __future__ import annotations

import pytest
from django.db import connection

from agreements.models import Measure
from tests import factories

pytestmark = pytest.mark.django_db
PRODUCTS = Measure.products.through._meta.db_table
MEASURE = Measure._meta.db_table


def stored(measure: Measure) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT covers_all_products FROM {MEASURE} WHERE id = %s", [measure.pk])
        (value,) = cursor.fetchone()
    return bool(value)


def test_a_new_measure_covers_all_goods_until_it_names_a_product() -> None:
    measure = factories.measure()
    assert stored(measure) is True
    measure.products.add(factories.product("8471"))
    assert stored(measure) is False


def test_the_orm_paths_keep_it() -> None:
    measure = factories.measure(products=["8471", "8517"])
    assert stored(measure) is False
    measure.products.remove(factories.product("8471"))
    assert stored(measure) is False  # One product left.
    measure.products.set([])
    assert stored(measure) is True
    measure.products.set([factories.product("9503")])
    assert stored(measure) is False
    measure.products.clear()
    assert stored(measure) is True


def test_a_stale_instance_cannot_save_a_wrong_value() -> None:
    measure = factories.measure()
    stale = Measure.objects.get(pk=measure.pk)
    measure.products.add(factories.product("8471"))
    assert stale.covers_all_products is True  # Read before the product was added.
    stale.title = "Edited elsewhere"
    stale.save()
    assert stored(measure) is False
    stale.covers_all_products = True
    stale.save(update_fields=["covers_all_products"])
    assert stored(measure) is False


def test_raw_sql_keeps_it() -> None:
    measure = factories.measure()
    other = factories.measure()
    chips = factories.product("8542")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PRODUCTS} (measure_id, product_id) VALUES (%s, %s)",
            [measure.pk, chips.pk],
        )
        assert stored(measure) is False
        cursor.execute(
            f"UPDATE {MEASURE} SET covers_all_products = %s WHERE id = %s", [True, measure.pk]
        )
        assert stored(measure) is False
        # Moving the scope row to another measure changes both.
        cursor.execute(
            f"UPDATE {PRODUCTS} SET measure_id = %s WHERE measure_id = %s", [other.pk, measure.pk]
        )
        assert (stored(measure), stored(other)) == (True, False)
        cursor.execute(f"DELETE FROM {PRODUCTS} WHERE measure_id = %s", [other.pk])
        assert stored(other) is True


def test_the_bulk_load_keeps_it() -> None:
    measures = [factories.measure() for _ in range(3)]
    through = Measure.products.through
    lines = factories.products_in_bulk(["01012100", "01012910"])
    through.objects.bulk_create(
        [through(measure_id=m.pk, product_id=p.pk) for m in measures[:2] for p in lines]
    )
    assert [stored(m) for m in measures] == [False, False, True]
    through.objects.filter(measure_id=measures[0].pk).delete()
    assert [stored(m) for m in measures] == [True, False, True]

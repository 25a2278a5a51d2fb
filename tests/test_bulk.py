"""The loaders' bulk writes (agreements.bulk): a record created in bulk is stored,
keyed and audited exactly as the history library's own bulk create would store it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, models
from django.test import RequestFactory
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history

from agreements import bulk
from agreements.models import Measure, Rate
from agreements.models.choices import LegalBasis, MeasureKind, RateStatus
from tests import factories

pytestmark = pytest.mark.django_db

STAMP = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
REASON = "test load"
# What differs between two records of the same content: their keys, and when they were made.
KEYS = {"id", "slug", "measure_id", "created_at", "updated_at", "history_id"}


@pytest.fixture(autouse=True)
def _economies(db: Any) -> None:
    factories.economy("XA")
    factories.economy("XB")


def _measures(prefix: str, count: int = 3) -> list[Measure]:
    return [
        Measure(
            slug=f"{prefix}-{number}",
            title=f"Measure {number}",
            importer_id="XA",
            origin_id="XB" if number % 2 else None,
            legal_basis=LegalBasis.MFN,
            instrument="Test act",
            program="xa-mfn",
            kind=MeasureKind.BASE,
            waived_by=["KR", "S+"] if number % 2 else [],
            note=f"Note {number}",
        )
        for number in range(count)
    ]


def _rates(measures: list[Measure]) -> list[Rate]:
    return [
        Rate(
            measure_id=measure.pk,
            rate=Decimal("2.50") * number,
            valid_from=dt.date(2025, 1, 1),
            valid_to=dt.date(2026, 1, 1) if number % 2 else None,
            status=RateStatus.IN_FORCE,
            expression=f"{number}¢/kg + 2.5%",
            specific_amount=Decimal("1.5") if number % 2 else None,
            specific_currency="USD" if number % 2 else "",
            specific_unit="kg" if number % 2 else "",
            note="From the file.",
        )
        for number, measure in enumerate(measures)
    ]


def _content(record: models.Model) -> dict[str, Any]:
    return {
        f.attname: getattr(record, f.attname)
        for f in record._meta.concrete_fields
        if f.attname not in KEYS
    }


def _stored(model: type[models.Model], objs: list[Any]) -> list[dict[str, Any]]:
    return [_content(model._default_manager.get(pk=obj.pk)) for obj in objs]


def _records(model: type[models.Model], objs: list[Any]) -> list[dict[str, Any]]:
    history = model.history  # type: ignore[attr-defined]
    return [_content(record) for obj in objs for record in history.filter(id=obj.pk)]


def test_rows_and_records_are_those_the_history_library_writes() -> None:
    ours = bulk.create(_measures("ours"), Measure, reason=REASON, stamp=STAMP)
    theirs = bulk_create_with_history(
        _measures("theirs"), Measure, default_change_reason=REASON, default_date=STAMP
    )
    assert _stored(Measure, ours) == _stored(Measure, theirs)
    assert _records(Measure, ours) == _records(Measure, theirs)
    # Decimals, dates and empty values (the rate periods) come back as they went in.
    our_rates = bulk.create(_rates(ours), Rate, reason=REASON, stamp=STAMP)
    their_rates = bulk_create_with_history(
        _rates(theirs), Rate, default_change_reason=REASON, default_date=STAMP
    )
    assert _stored(Rate, our_rates) == _stored(Rate, their_rates)
    assert _records(Rate, our_rates) == _records(Rate, their_rates)
    record = Rate.history.get(id=our_rates[1].pk)  # type: ignore[attr-defined]
    assert (record.history_type, record.history_change_reason) == ("+", REASON)
    assert (record.history_date, record.history_user) == (STAMP, None)
    stored = Rate.objects.get(pk=our_rates[1].pk)
    assert stored.created_at is not None
    assert stored.created_at == stored.updated_at


def test_each_object_gets_the_key_of_its_own_row() -> None:
    first = bulk.create(_measures("first", 2), Measure, reason=REASON, stamp=STAMP)
    # The highest key, deleted: the next rows are numbered above it all the same.
    Measure.objects.filter(pk=first[-1].pk).delete()
    later = bulk.create(_measures("later"), Measure, reason=REASON, stamp=STAMP)
    for obj in [first[0], *later]:
        assert Measure.objects.get(pk=obj.pk).slug == obj.slug
        assert not obj._state.adding
    assert min(obj.pk for obj in later) > first[-1].pk


def test_an_objects_own_change_reason_wins() -> None:
    objs = _measures("own")
    objs[1]._change_reason = "by hand"  # type: ignore[attr-defined]
    bulk.create(objs, Measure, reason=REASON, stamp=STAMP)
    reasons = [Measure.history.get(id=obj.pk).history_change_reason for obj in objs]  # type: ignore[attr-defined]
    assert reasons == [REASON, "by hand", REASON]


def test_the_records_name_the_requests_user(django_user_model: Any) -> None:
    request = RequestFactory().get("/")
    request.user = django_user_model.objects.create_user("editor")
    HistoricalRecords.context.request = request
    try:
        ours = bulk.create(_measures("ours"), Measure, reason=REASON, stamp=STAMP)
        theirs = bulk_create_with_history(
            _measures("theirs"), Measure, default_change_reason=REASON, default_date=STAMP
        )
    finally:
        del HistoricalRecords.context.request
    users = [Measure.history.get(id=obj.pk).history_user for obj in [*ours, *theirs]]  # type: ignore[attr-defined]
    assert users == [request.user] * 6


def test_objects_with_and_without_keys_are_refused_together() -> None:
    objs = _measures("mixed", 2)
    objs[0].pk = 10**9
    with pytest.raises(ValueError, match="primary key"):
        bulk.create(objs, Measure, reason=REASON, stamp=STAMP)
    assert not Measure.objects.filter(slug__startswith="mixed").exists()


def test_loading_raises_sqlites_page_cache_and_puts_it_back() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("a setting of SQLite's; PostgreSQL's cache is the server's")

    def cache_size() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return int(cursor.fetchone()[0])

    before = cache_size()
    assert before != -bulk.SQLITE_CACHE_KIB
    with bulk.loading():
        with bulk.loading():
            assert cache_size() == -bulk.SQLITE_CACHE_KIB
        assert cache_size() == -bulk.SQLITE_CACHE_KIB
    assert cache_size() == before

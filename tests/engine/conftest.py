"""Builders for synthetic measures on user-assigned economy codes (XA..XZ), which no real
data uses, so these tests are independent of the shipped fixtures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest

from agreements.models import BlocMembership, Economy, Measure, Product, Rate
from agreements.models.choices import EconomyKind

IMPORTER, ORIGIN, OTHER, BLOC = "XA", "XB", "XC", "XE"


@pytest.fixture
def economies(db: Any) -> None:
    for code in (IMPORTER, ORIGIN, OTHER):
        Economy.objects.create(code=code, name=f"Test {code}", kind=EconomyKind.COUNTRY)
    Economy.objects.create(code=BLOC, name="Test bloc", kind=EconomyKind.BLOC)
    BlocMembership.objects.create(
        bloc_id=BLOC, member_id=ORIGIN, joined_on=dt.date(2020, 1, 1), left_on=dt.date(2030, 1, 1)
    )


_counter = iter(range(1, 10**9))


def make_measure(
    *,
    rates: Sequence[tuple[str, str, str | None] | tuple[str, str, str | None, str]],
    kind: str = "additional",
    program: str = "p",
    origin: str | None = ORIGIN,
    importer: str = IMPORTER,
    products: Sequence[str] = (),
    excluded_products: Sequence[str] = (),
    excluded_origins: Sequence[str] = (),
) -> Measure:
    """A measure with periods given as (rate, valid_from, valid_to[, status])."""
    number = next(_counter)
    measure = Measure.objects.create(
        slug=f"test-{number}",
        title=f"Test measure {number}",
        importer_id=importer,
        origin_id=origin,
        legal_basis="mfn" if kind == "base" else "other",
        instrument=f"Test act {number}",
        program=program,
        kind=kind,
    )
    measure.products.set(Product.objects.filter(code__in=products))
    measure.excluded_products.set(Product.objects.filter(code__in=excluded_products))
    measure.excluded_origins.set(Economy.objects.filter(code__in=excluded_origins))
    for period in rates:
        rate, valid_from, valid_to = period[0], period[1], period[2]
        status = period[3] if len(period) == 4 else "in_force"
        Rate.objects.create(
            measure=measure,
            rate=Decimal(rate),
            valid_from=dt.date.fromisoformat(valid_from),
            valid_to=dt.date.fromisoformat(valid_to) if valid_to else None,
            status=status,
        )
    return measure


def load_hts_lines(codes: Sequence[str], folder: Any) -> None:
    """The US MFN base of `codes` from the real HTS 2025 and 2026 editions: each edition's
    file cut to the rows of those lines (with every heading row, which the descriptions
    are read from) and imported as seed_data imports the whole file. A fact test that needs
    the MFN of a few lines pays for those lines, not for the 53,000 of both editions."""
    import csv
    import gzip
    import io
    from pathlib import Path

    from agreements.seeding import FIXTURES_DIR, HTS_EDITIONS
    from agreements.tariffs.imports import HtsEdition, import_hts_editions

    lines = {code[:8] for code in codes}
    editions = []
    for name, edition, start, end in HTS_EDITIONS:
        with gzip.open(FIXTURES_DIR / name, "rt", encoding="utf-8-sig", newline="") as source:
            rows = list(csv.reader(source))
        kept = [
            row for row in rows[1:] if len(code := row[0].replace(".", "")) < 8 or code[:8] in lines
        ]
        out = io.StringIO()
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows([rows[0], *kept])
        path = Path(folder) / Path(name).name
        path.write_bytes(gzip.compress(out.getvalue().encode("utf-8")))
        editions.append(
            HtsEdition(
                path,
                edition,
                dt.date.fromisoformat(start),
                dt.date.fromisoformat(end) if end else None,
            )
        )
    import_hts_editions(editions=editions)


@pytest.fixture(scope="module")
def hts_lines(
    request: pytest.FixtureRequest,
    django_db_setup: None,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[None]:
    """The MFN lines a module names in its `HTS_LINES`, loaded for the module inside a
    transaction rolled back after it, so no other module sees them."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        load_hts_lines(request.module.HTS_LINES, tmp_path_factory.mktemp("hts"))
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)

"""Synthetic measures on user-assigned economy codes (XA..XZ), which no real data uses, so
these tests are independent of the shipped fixtures; the builders live in tests/factories.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from agreements.models import Measure, Product, Rate
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


def make_product(code: str) -> Product:
    """An HS line (and its parents) with a synthetic description."""
    parent = None
    for length in range(2, len(code) + 1, 2):
        parent, _ = Product.objects.get_or_create(
            code=code[:length],
            defaults={
                "level": {2: "chapter", 4: "heading", 6: "subheading"}.get(length, "national"),
                "description": f"Test {code[:length]}",
                "parent": parent,
            },
        )
    assert parent is not None
    return parent


def make_duty(
    text: str,
    *,
    kind: str = "base",
    program: str = "mfn",
    origin: str | None = None,
    products: Sequence[str] = (),
    claim: str = "",
    waived_by: Sequence[str] = (),
    yields_to: Sequence[str] = (),
    yields_content_to: Sequence[str] = (),
    basis: str = "value",
    valid_from: str = "2025-01-01",
    valid_to: str | None = None,
    importer: str = IMPORTER,
) -> Measure:
    """A measure whose one period is the duty `text` as a tariff prints it ("4.4¢/kg",
    "$1.104/kg + 14.9%", "Free", "25%"), read into its parts by the tariff parser."""
    from agreements.tariffs.duties import parse_duty

    duty = parse_duty(text)
    assert duty.reducible, f"{text!r} is not an ad valorem and/or specific duty"
    measure = make_measure(
        rates=[], kind=kind, program=program, origin=origin, importer=importer, products=()
    )
    measure.claim = claim
    measure.waived_by = list(waived_by)
    measure.yields_to = list(yields_to)
    measure.yields_content_to = list(yields_content_to)
    measure.basis = basis
    measure.save()
    measure.products.set([make_product(code) for code in products])
    specific = duty.specific
    Rate.objects.create(
        measure=measure,
        rate=duty.ad_valorem,
        expression=text,
        specific_amount=specific.amount if specific else None,
        specific_currency=specific.currency if specific else "",
        specific_unit=specific.unit if specific else "",
        valid_from=dt.date.fromisoformat(valid_from),
        valid_to=dt.date.fromisoformat(valid_to) if valid_to else None,
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

"""Facts of the real HTS 2026 Basic Edition, loaded from fixtures/ (the slow test here)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from agreements.models import Measure, Rate, TariffLine
from agreements.tariffs.imports import COLUMN2_COUNTRIES, ImportSummary, import_hts

pytestmark = [pytest.mark.django_db, pytest.mark.facts]
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

# Forms of the General duty of the 11,414 eight-digit lines of chapters 1-97.
FORMS_2026 = {
    "free": 4315,
    "ad_valorem": 5868,
    "specific": 759,
    "compound": 339,
    "multi_part": 76,
    "reference": 43,
    "bounded": 14,
}


@pytest.fixture
def hts_2026() -> ImportSummary:
    return import_hts(
        path=FIXTURES / "us/hts_2026_basic_edition.csv.gz",
        edition="HTS 2026 Basic Edition",
        valid_from=dt.date(2026, 1, 1),
    )


def test_every_general_duty_of_chapters_1_to_97_is_an_mfn_base_measure(
    hts_2026: ImportSummary,
) -> None:
    mfn = Measure.objects.filter(program="us-mfn", slug__regex=r"^us-mfn-[0-9]{8}$")
    assert mfn.count() == 11_414
    assert dict(hts_2026.forms) == FORMS_2026
    assert sum(FORMS_2026.values()) == 11_414
    assert TariffLine.objects.filter(importer="US", valid_from="2026-01-01").count() == 26_621

    # Each is parsed, or listed and kept as published with a note: none is unparsed.
    assert hts_2026.unparsed == []
    assert len(hts_2026.not_reduced) == 76 + 43 + 14
    rates = Rate.objects.filter(measure__in=mfn)
    assert rates.count() == 11_414
    kept = {code for code, _, _ in hts_2026.not_reduced}
    for slug, expression, note in rates.filter(note__contains="not the duty").values_list(
        "measure__slug", "expression", "note"
    ):
        assert slug.removeprefix("us-mfn-") in kept, (slug, expression, note)
    assert rates.filter(note__contains="not the duty").count() == len(kept)
    # Specific parts: every specific and compound duty has one, nothing else does.
    assert rates.filter(specific_amount__isnull=False).count() == 759 + 339

    # Every line with a Column 2 duty is in exactly one Column 2 measure per country.
    lines = TariffLine.objects.filter(importer="US", valid_from="2026-01-01")
    with_column2 = {
        code[:8]
        for code, general, column2 in lines.values_list("code", "general", "column2")
        if general and column2 and code[:2] not in ("98", "99")
    }
    for country in COLUMN2_COUNTRIES:
        covered = Counter(
            Measure.objects.filter(slug__startswith="us-col2-", origin=country).values_list(
                "products__code", flat=True
            )
        )
        assert set(covered) == with_column2
        assert set(covered.values()) == {1}

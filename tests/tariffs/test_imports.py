"""The schedule importers on small files built here: what they write, that a re-run writes
nothing, that a changed file writes only the difference, and what they report."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from agreements.models import Measure, Product, Rate, Source, TariffLine
from agreements.models.choices import LegalBasis, MeasureKind, ProductLevel
from agreements.tariffs.imports import (
    COLUMN2_COUNTRIES,
    ImportSummary,
    import_hts,
    import_uk_tariff,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_economies_and_nomenclature")]
D = dt.date


HEADER = [
    "HTS Number",
    "Indent",
    "Description",
    "Unit of Quantity",
    "General Rate of Duty",
    "Special Rate of Duty",
    "Column 2 Rate of Duty",
    "Quota Quantity",
    "Additional Duties",
]
ROWS = [
    ["0101", "0", "Live horses, asses, mules and hinnies:", "", "", "", ""],
    ["", "1", "Horses:", "", "", "", ""],
    ["0101.21.00", "2", "Purebred breeding animals", "", "Free", "", "Free"],
    ["0101.21.00.10", "3", "Males", '["No."]', "", "", ""],
    ["0101.29.00", "2", "Other", "", "4.4¢/kg", "Free (A+,AU)", "20%"],
    ["0101.30.00.00", "1", "Asses", '["No."]', "6.8%", "Free (A+,AU,BH)", "20%"],
    ["0102.29.40", "3", "Other", "", "15¢ each + 2.3% + 0.8¢/jewel", "", "5.5¢/kg"],
    ["9903.01.01", "1", "Chapter 99 heading", "", "The duty provided + 25%", "", ""],
]


def hts_file(tmp_path: Path, rows: list[list[str]], name: str = "hts_test.csv") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([*row, "", ""])
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


EDITION_2025 = (D(2025, 1, 1), D(2026, 1, 1))


def load(
    path: Path, start: dt.date = EDITION_2025[0], end: dt.date | None = EDITION_2025[1]
) -> ImportSummary:
    return import_hts(path=path, edition="Test Edition", valid_from=start, valid_to=end)


def test_lines_products_and_base_measures(tmp_path: Path) -> None:
    summary = load(hts_file(tmp_path, ROWS))

    # Every 8- and 10-digit row, chapter 99 included; headings and text rows are not lines.
    assert sorted(TariffLine.objects.filter(importer="US").values_list("code", flat=True)) == [
        "01012100", "0101210010", "01012900", "0101300000", "01022940", "99030101",
    ]  # fmt: skip
    line = TariffLine.objects.get(code="0101210010")
    assert line.description == (
        "Live horses, asses, mules and hinnies: Horses: Purebred breeding animals: Males"
    )
    assert (line.parent_code, line.indent, line.unit) == ("01012100", 3, "No.")
    assert (line.valid_from, line.valid_to, line.edition) == (
        D(2025, 1, 1),
        D(2026, 1, 1),
        "Test Edition",
    )
    assert line.note == "usitc/hts_test.csv line 5"
    assert [s.locator for s in line.sources.all()] == ["usitc/hts_test.csv"]
    assert TariffLine.objects.get(code="01012900").special == "Free (A+,AU)"

    # One MFN base measure per 8-digit line of chapters 1-97 with a General duty; the duty
    # printed on a lone 10-digit row (0101.30.00.00) is its 8-digit line's.
    # (The seeded fixtures' own us-mfn measures on 6-digit codes are not the importer's.)
    mfn = Measure.objects.filter(slug__regex=r"^us-mfn-[0-9]{8}$")
    assert sorted(mfn.values_list("slug", flat=True)) == [
        "us-mfn-01012100", "us-mfn-01012900", "us-mfn-01013000", "us-mfn-01022940",
    ]  # fmt: skip
    measure = Measure.objects.get(slug="us-mfn-01012900")
    assert (measure.importer_id, measure.origin_id, measure.program) == ("US", None, "us-mfn")
    assert (measure.legal_basis, measure.kind) == (LegalBasis.MFN, MeasureKind.BASE)
    assert [p.code for p in measure.products.all()] == ["01012900"]
    assert sorted(e.code for e in measure.excluded_origins.all()) == sorted(COLUMN2_COUNTRIES)
    rate = measure.rates.get()
    assert (rate.rate, rate.expression) == (Decimal("0.00"), "4.4¢/kg")
    assert (rate.specific_amount, rate.specific_currency, rate.specific_unit) == (
        Decimal("0.044"), "USD", "kg",
    )  # fmt: skip
    assert (rate.valid_from, rate.valid_to) == (D(2025, 1, 1), D(2026, 1, 1))
    assert rate.note == "usitc/hts_test.csv line 6."
    assert Measure.objects.get(slug="us-mfn-01013000").rates.get().rate == Decimal("6.80")

    # A duty the rate cannot hold keeps its text, and its period says the 0.00 is not it.
    kept = Measure.objects.get(slug="us-mfn-01022940").rates.get()
    assert (kept.rate, kept.specific_amount) == (Decimal("0.00"), None)
    assert kept.expression == "15¢ each + 2.3% + 0.8¢/jewel"
    assert "not the duty" in kept.note
    assert summary.not_reduced == [("01022940", "15¢ each + 2.3% + 0.8¢/jewel", "multi_part")]
    assert summary.unparsed == []
    assert dict(summary.forms) == {"free": 1, "specific": 1, "ad_valorem": 1, "multi_part": 1}

    # The national codes the measures name, under the longest code that exists.
    product = Product.objects.get(code="01012900")
    assert (product.level, product.parent_id) == (ProductLevel.NATIONAL, "010129")
    assert product.description == "Live horses, asses, mules and hinnies: Horses: Other"

    # 4 MFN, 12 Column 2 (3 texts x 4 countries), 1 preferential (AU free on two lines; A+
    # and BH are not generated: agreements.tariffs.preferences).
    assert (summary.lines.created, summary.measures.created, summary.rates.created) == (6, 17, 17)
    assert summary.products_created == 4


def test_column2_countries_get_their_duty_as_base(tmp_path: Path) -> None:
    load(hts_file(tmp_path, ROWS))
    column2 = Measure.objects.filter(slug__startswith="us-col2-")
    # One measure per country and Column 2 text, with the lines as its products.
    assert column2.count() == 3 * len(COLUMN2_COUNTRIES)
    russia = column2.get(origin="RU", products="01012900")
    assert sorted(p.code for p in russia.products.all()) == ["01012900", "01013000"]
    assert (russia.program, russia.kind, russia.legal_basis) == ("us-mfn", "base", "other")
    assert russia.rates.get().rate == Decimal("20.00")
    specific = column2.get(origin="CU", products="01022940").rates.get()
    assert (specific.specific_amount, specific.specific_unit) == (Decimal("0.055"), "kg")


def test_a_second_run_changes_nothing_and_says_so(tmp_path: Path) -> None:
    path = hts_file(tmp_path, ROWS)
    load(path)
    audited: list[Any] = [Measure, Rate, Product, Source]
    before = [model.history.count() for model in audited]
    summary = load(path)
    assert not summary.changed
    assert (summary.lines.unchanged, summary.measures.unchanged, summary.rates.unchanged) == (
        6, 17, 17,
    )  # fmt: skip
    assert [model.history.count() for model in audited] == before

    out = StringIO()
    call_command(
        "import_hts", str(path), "--edition", "Test Edition", "--valid-from", "2025-01-01",
        "--valid-to", "2026-01-01", stdout=out,
    )  # fmt: skip
    assert "Nothing changed: Test Edition was up to date." in out.getvalue()


def test_a_changed_file_writes_only_the_difference(tmp_path: Path) -> None:
    load(hts_file(tmp_path, ROWS))
    changed = [list(row) for row in ROWS]
    changed[4][4] = "5%"  # 0101.29.00: a new General duty.
    del changed[3]  # 0101.21.00.10 is gone; the lines after it move up one.
    changed.insert(6, ["0102.29.20", "3", "Cows", "", "Free", "", "6.6¢/kg"])
    summary = load(hts_file(tmp_path, changed))

    assert (summary.lines.created, summary.lines.deleted) == (1, 1)
    assert not TariffLine.objects.filter(code="0101210010").exists()
    assert summary.measures.created == 1 + len(COLUMN2_COUNTRIES)  # us-mfn-01022920, Column 2
    rate = Measure.objects.get(slug="us-mfn-01012900").rates.get()
    assert (rate.rate, rate.expression, rate.specific_amount) == (Decimal("5.00"), "5%", None)
    assert summary.changed


def test_an_edition_removing_a_line_ends_its_measure(tmp_path: Path) -> None:
    load(hts_file(tmp_path, ROWS))
    load(hts_file(tmp_path, [r for r in ROWS if r[0] != "0101.30.00.00"]))
    assert not Measure.objects.filter(slug="us-mfn-01013000").exists()


def test_editions_make_periods_and_are_cited(tmp_path: Path) -> None:
    load(hts_file(tmp_path, ROWS, "hts_2025.csv"))
    summary = load(hts_file(tmp_path, ROWS, "hts_2026.csv"), D(2026, 1, 1), None)

    measure = Measure.objects.get(slug="us-mfn-01013000")
    assert [(r.valid_from, r.valid_to) for r in measure.rates.order_by("valid_from")] == [
        (D(2025, 1, 1), D(2026, 1, 1)),
        (D(2026, 1, 1), None),
    ]
    assert sorted(s.locator for s in measure.sources.all()) == [
        "usitc/hts_2025.csv", "usitc/hts_2026.csv",
    ]  # fmt: skip
    # Same duties, same lines: the Column 2 measures gain a period, none is added.
    assert summary.measures.created == 0
    assert TariffLine.objects.filter(code="01013000").count() == 0
    assert TariffLine.objects.filter(code="0101300000").count() == 2

    # The history keeps each measure's scope as it was written.
    record = measure.history.latest()  # type: ignore[attr-defined]
    assert sorted(record.excluded_origins.values_list("economy_id", flat=True)) == sorted(
        COLUMN2_COUNTRIES
    )
    assert sorted(record.sources.values_list("source__locator", flat=True)) == [
        "usitc/hts_2025.csv", "usitc/hts_2026.csv",
    ]  # fmt: skip
    assert record.history_change_reason == "import_hts"


def test_an_overlapping_edition_is_refused(tmp_path: Path) -> None:
    load(hts_file(tmp_path, ROWS, "hts_2025.csv"), D(2025, 1, 1), None)
    with pytest.raises(CommandError, match="overlaps"):
        call_command(
            "import_hts", str(hts_file(tmp_path, ROWS, "hts_2026.csv")), "--edition", "2026",
            "--valid-from", "2026-01-01", stdout=StringIO(),
        )  # fmt: skip


def test_the_command_reads_gzip_and_reports(tmp_path: Path) -> None:
    plain = hts_file(tmp_path, ROWS)
    packed = tmp_path / "hts_test.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    out = StringIO()
    call_command(
        "import_hts", str(packed), "--edition", "Test Edition", "--valid-from", "2025-01-01",
        stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "tariff lines: 6 added, 0 changed, 0 removed, 0 unchanged" in text
    assert "measures:     17 added" in text
    assert "[multi_part] 15¢ each + 2.3% + 0.8¢/jewel" in text
    assert "unparsed duties: 0" in text
    assert TariffLine.objects.get(code="01012900").note == "usitc/hts_test.csv line 6"


UK_ROWS = [
    ["01012100", "Pure-bred breeding horses", "0.0%", "0.0%"],
    ["01012910", "Horses for slaughter", "0.0%", "0.0%"],
    ["0101291090", "Other horses for slaughter", "11.5%", "10.0%"],
    ["02011000", "Carcases", "12.8% + 176.8 EUR / 100 kg", "12.0% + 147.00 GBP/100kg"],
    ["08051022", "Navel oranges", "Entry Price", "16.0%"],
]  # fmt: skip


def uk_file(tmp_path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["commodity", "description", "cet_duty_rate", "ukgt_duty_rate", "change"])
    for row in rows:
        writer.writerow([*row, ""])
    path = tmp_path / "global-uk-tariff.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_uk_global_tariff_and_the_eus_cet(tmp_path: Path) -> None:
    path = uk_file(tmp_path, UK_ROWS)
    summaries = import_uk_tariff(path=path)

    gb = TariffLine.objects.get(importer="GB", code="02011000")
    assert (gb.general, gb.valid_from, gb.valid_to) == (
        "12.0% + 147.00 GBP/100kg",
        D(2021, 1, 1),
        None,
    )
    assert "Old vintage" in gb.note
    eu = TariffLine.objects.get(importer="EU", code="0101291090")
    assert (eu.general, eu.parent_code, eu.valid_from) == ("11.5%", "01012910", D(2020, 1, 1))

    # One base measure per duty text, the codes as its products, the vintage in title and note.
    free = Measure.objects.get(program="gb-mfn", products="01012100")
    assert sorted(p.code for p in free.products.all()) == ["01012100", "01012910"]
    assert "2021 vintage" in free.title
    assert "Old vintage" in free.note
    beef = Measure.objects.get(program="gb-mfn", products="02011000").rates.get()
    assert (beef.rate, beef.specific_amount, beef.specific_currency, beef.specific_unit) == (
        Decimal("12.00"), Decimal("147.00"), "GBP", "100 kg",
    )  # fmt: skip
    cet = Measure.objects.get(program="eu-mfn", products="02011000")
    assert "2020 vintage" in cet.title
    assert cet.rates.get().specific_currency == "EUR"
    assert Product.objects.get(code="0101291090").parent_id == "01012910"

    assert summaries["EU"].unparsed == [("08051022", "Entry Price", "unparsed")]
    assert summaries["GB"].unparsed == []
    assert not any(s.changed for s in import_uk_tariff(path=path).values())


def test_the_query_log_is_off_only_inside_and_nests() -> None:
    from django.db import DEFAULT_DB_ALIAS, connections

    from agreements.bulk import unlogged_queries

    db = connections[DEFAULT_DB_ALIAS]
    with unlogged_queries():
        with unlogged_queries():
            pass
        assert db.make_debug_cursor == db.make_cursor
    assert "make_debug_cursor" not in vars(db)

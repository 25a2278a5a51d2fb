"""The measure-file loader on files and records built here (economies XA..XZ, chapter 00)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from agreements import services
from agreements.measure_files import MeasureFileError, read_measure_files
from agreements.models import Economy, Measure, Product, Rate, Source
from agreements.models.choices import EconomyKind, ProductLevel
from agreements.seeding import _measure_input

D = dt.date


def history(record: Any) -> Any:
    """The history manager django-simple-history adds at run time (mypy cannot see it)."""
    return record.history


def measure_item(**fields: Any) -> dict[str, Any]:
    item = {
        "slug": "xa-test-duty",
        "title": "Test duty",
        "importer": "XA",
        "origin": "XB",
        "excluded_origins": [],
        "products": ["@xa-list"],
        "excluded_products": [],
        "legal_basis": "other",
        "instrument": "Test act",
        "headings": ["9903.99.01"],
        "program": "xa-test",
        "kind": "additional",
        "claim": None,
        "waived_by": ["S"],
        "yields_to": ["xa-other"],
        "yields_content_to": [],
        "basis": "content",
        "agreement": None,
        "note": "Why.",
        "sources": ["xa-act"],
        "rates": [
            {
                "rate": "10.00",
                "valid_from": "2025-01-01",
                "valid_to": "2025-06-01",
                "status": "in_force",
                "note": "",
            },
            {
                "rate": "20.00",
                "valid_from": "2025-06-01",
                "valid_to": None,
                "status": "in_force",
                "note": "Raised.",
            },
        ],
    }
    item.update(fields)
    return item


def write_files(
    root: Path,
    measures: list[dict[str, Any]],
    codes: str = "# source: test\n# codes: 2\n000111\n00011122\n",
    sources: list[dict[str, Any]] | None = None,
) -> tuple[Path, Path]:
    (root / "measures").mkdir(exist_ok=True)
    (root / "lists").mkdir(exist_ok=True)
    data = {
        "sources": sources
        if sources is not None
        else [
            {
                "key": "xa-act",
                "title": "Test act",
                "url": "https://example.org/xa-act",
                "publisher": "XA",
                "published_on": "2025-01-01",
                "locator": None,
            }
        ],
        "measures": measures,
    }
    (root / "measures" / "xa.json").write_text(json.dumps(data), encoding="utf-8")
    (root / "lists" / "xa-list.txt").write_text(codes, encoding="utf-8")
    return root / "measures", root / "lists"


@pytest.mark.parametrize(
    ("change", "codes", "message"),
    [
        ({"kind": "extra"}, None, "kind 'extra' is not one of"),
        ({"products": ["12ab"]}, None, "'12ab' is neither an HS code nor @list-name"),
        ({"products": ["@missing"]}, None, "no list '@missing'"),
        ({"sources": ["nowhere"]}, None, "cites undefined sources nowhere"),
        ({"origin": "xb"}, None, "origin 'xb' is not an economy code"),
        ({"headings": ["9903012"]}, None, "heading '9903012' is not written 9903.01.25"),
        ({"rates": []}, None, "needs at least one rate period"),
        ({"yields_content_to": ["Bad Slug"]}, None, "yields_content_to is a list of program"),
        ({"yields_content_to": ["xa-other"]}, None, "one it yields to entirely"),
        # The item is on basis content: it has no "rest of the value" to be charged on.
        ({"yields_content_to": ["xa-metal"]}, None, "only an additional or all-in duty"),
        (
            {
                "rates": [
                    {"rate": "1.00", "valid_from": "2025-01-01", "valid_to": None},
                ]
            },
            None,
            "missing keys ['note', 'status']",
        ),
        (
            {
                "rates": [
                    {
                        "rate": "1.00",
                        "valid_from": "2025-01-01",
                        "valid_to": "2025-07-01",
                        "status": "in_force",
                        "note": "",
                    },
                    {
                        "rate": "2.00",
                        "valid_from": "2025-06-01",
                        "valid_to": None,
                        "status": "in_force",
                        "note": "",
                    },
                ]
            },
            None,
            "in-force periods from 2025-01-01 and 2025-06-01 overlap",
        ),
        ({}, "# codes: 3\n000111\n00011122\n", "'# codes: 3' but 2 codes"),
        ({}, "00011122\n000111\n", "codes must be sorted and each listed once"),
        ({}, "0001x\n", "'0001x' is not an HS code"),
    ],
)
def test_a_bad_file_is_refused_naming_the_record(
    tmp_path: Path, change: dict[str, Any], codes: str | None, message: str
) -> None:
    if codes:
        measures_dir, lists_dir = write_files(tmp_path, [measure_item(**change)], codes=codes)
    else:
        measures_dir, lists_dir = write_files(tmp_path, [measure_item(**change)])
    with pytest.raises(MeasureFileError) as error:
        read_measure_files(measures_dir, lists_dir)
    assert message in str(error.value)


def test_lists_expand_and_headings_go_to_the_note(tmp_path: Path) -> None:
    data = read_measure_files(*write_files(tmp_path, [measure_item(products=["@xa-list", "00"])]))
    (spec,) = data.measures
    assert spec.products == ("00", "000111", "00011122")
    assert spec.full_note == "Why.\n\nChapter 99 headings: 9903.99.01."
    assert data.codes() == {"00", "000111", "00011122"}


def test_two_measures_with_one_slug_are_refused(tmp_path: Path) -> None:
    with pytest.raises(MeasureFileError, match="measure slug 'xa-test-duty' is defined twice"):
        read_measure_files(*write_files(tmp_path, [measure_item(), measure_item()]))


@pytest.fixture
def world(db: Any) -> None:
    for code in ("XA", "XB"):
        Economy.objects.create(code=code, name=f"Test {code}", kind=EconomyKind.COUNTRY)
    Product.objects.create(code="00", level=ProductLevel.CHAPTER, description="Test chapter")
    Product.objects.create(
        code="000111", level=ProductLevel.SUBHEADING, description="Test", parent_id="00"
    )


def load(
    tmp_path: Path,
    items: list[dict[str, Any]],
    codes: str | None = None,
    sources: list[dict[str, Any]] | None = None,
) -> Any:
    if codes:
        data = read_measure_files(*write_files(tmp_path, items, codes=codes, sources=sources))
    else:
        data = read_measure_files(*write_files(tmp_path, items, sources=sources))
    stamp = timezone.now()
    counts = services.SyncCounts()
    source_ids = services.sources_sync(
        sources=[
            services.SourceInput(
                key=s.key,
                title=s.title,
                url=s.url,
                locator=s.locator,
                publisher=s.publisher,
                published_on=s.published_on,
                note="",
            )
            for s in data.sources
        ],
        reason="test",
        stamp=stamp,
        counts=counts,
    )
    services.products_national_ensure(
        descriptions={code: f"Goods {code}" for code in data.codes()}, reason="test", stamp=stamp
    )
    services.measures_sync(
        measures=[_measure_input(spec, source_ids, {}) for spec in data.measures],
        reason="test",
        stamp=stamp,
        counts=counts,
    )
    return counts


def test_a_load_writes_everything_and_a_second_changes_nothing(tmp_path: Path, world: None) -> None:
    first = load(tmp_path, [measure_item()])
    assert first.counts[Measure]["created"] == 1
    assert first.counts[Rate]["created"] == 2
    measure = Measure.objects.get(slug="xa-test-duty")
    assert (measure.waived_by, measure.yields_to, measure.basis) == (["S"], ["xa-other"], "content")
    assert measure.yields_content_to == []
    assert sorted(measure.products.values_list("code", flat=True)) == ["000111", "00011122"]
    # The national line the list names got a row under the longest code there was.
    assert Product.objects.get(code="00011122").parent_id == "000111"
    # Bulk writes, audited: the creation record holds the scope.
    record = history(measure).get()
    assert (record.history_type, record.history_change_reason) == ("+", "test")
    assert sorted(record.products.values_list("product_id", flat=True)) == ["000111", "00011122"]

    second = load(tmp_path, [measure_item()])
    for model in (Measure, Rate, Source):
        assert {action for action, n in second.counts[model].items() if n} == {"unchanged"}
    assert history(measure).count() == 1


def test_a_changed_file_is_applied_exactly(tmp_path: Path, world: None) -> None:
    load(tmp_path, [measure_item()])
    measure = Measure.objects.get(slug="xa-test-duty")
    redated = measure_item(
        rates=[
            {
                "rate": "10.00",
                "valid_from": "2025-01-01",
                "valid_to": "2025-03-01",
                "status": "in_force",
                "note": "",
            },
            {
                "rate": "25.00",
                "valid_from": "2025-03-01",
                "valid_to": None,
                "status": "in_force",
                "note": "Re-dated.",
            },
        ]
    )
    counts = load(tmp_path, [redated], codes="# codes: 1\n000111\n")
    assert dict(counts.counts[Rate]) == {
        "created": 1,
        "updated": 1,
        "deleted": 1,
        "unchanged": 0,
    }
    assert list(measure.rates.values_list("rate", "valid_from", "valid_to")) == [
        (10, D(2025, 1, 1), D(2025, 3, 1)),
        (25, D(2025, 3, 1), None),
    ]
    assert list(measure.products.values_list("code", flat=True)) == ["000111"]
    # The change of scope alone is a `~` record with the set it left.
    record = history(measure).latest()
    assert record.history_type == "~"
    assert list(record.products.values_list("product_id", flat=True)) == ["000111"]


def test_one_document_cited_under_two_keys_is_one_source(tmp_path: Path, world: None) -> None:
    sources = [
        {
            "key": key,
            "title": title,
            "url": "https://example.org/xa-act",
            "publisher": "XA",
            "published_on": None,
            "locator": None,
        }
        for key, title in (("xa-act", "First title"), ("xa-act-again", "Second title"))
    ]
    item = measure_item(sources=["xa-act", "xa-act-again"])
    load(tmp_path, [item], sources=sources)
    (source,) = Source.objects.filter(url="https://example.org/xa-act")
    assert source.title == "First title"  # The first to name it describes it, every run.
    measure = Measure.objects.get(slug="xa-test-duty")
    assert list(measure.sources.all()) == [source]
    again = load(tmp_path, [item], sources=sources)
    assert {action for action, n in again.counts[Source].items() if n} == {"unchanged"}


def test_a_bad_claim_refuses_the_whole_load(tmp_path: Path, world: None) -> None:
    with pytest.raises(ValidationError, match="xa-test-duty: waived_by"):
        load(tmp_path, [measure_item(waived_by=["not a claim"])])
    assert not Measure.objects.filter(slug="xa-test-duty").exists()


def period(start: str, end: str | None) -> dict[str, Any]:
    return {"rate": "5.00", "valid_from": start, "valid_to": end, "status": "in_force", "note": ""}


def yielding(slug: str, program: str, to: str, start: str, end: str | None) -> dict[str, Any]:
    return measure_item(
        slug=slug, program=program, yields_to=[to], basis="value", rates=[period(start, end)]
    )


def test_files_whose_programs_yield_in_a_cycle_are_refused_whole(
    tmp_path: Path, world: None
) -> None:
    items = [
        yielding("xa-one", "xa-one", "xa-two", "2025-01-01", None),
        yielding("xa-two", "xa-two", "xa-one", "2025-03-01", "2025-04-01"),
    ]
    with pytest.raises(ValidationError) as refused:
        load(tmp_path, items)
    assert refused.value.message_dict == {
        "measures": [
            "XA: On 2025-03-01 programs would yield to each other in a cycle: xa-one -> "
            "xa-two -> xa-one (measure xa-one of xa-one yields to xa-two; measure xa-two of "
            "xa-two yields to xa-one). The rate engine could not tell which of them applies."
        ]
    }
    assert not Measure.objects.exists()
    assert not Rate.objects.exists()


def test_a_cycle_through_a_measure_the_load_leaves_alone_is_refused(
    tmp_path: Path, world: None
) -> None:
    load(tmp_path, [yielding("xa-one", "xa-one", "xa-two", "2025-01-01", None)])
    third = yielding("xa-three", "xa-three", "xa-one", "2025-01-01", None)
    with pytest.raises(ValidationError, match="xa-one -> xa-two -> xa-three -> xa-one"):
        load(tmp_path, [yielding("xa-two", "xa-two", "xa-three", "2025-01-01", None), third])
    assert list(Measure.objects.values_list("slug", flat=True)) == ["xa-one"]


def test_programs_yielding_to_each_other_on_different_days_load(
    tmp_path: Path, world: None
) -> None:
    # The shipped data's reversal: one order until a date, the other from it.
    items = [
        yielding("xa-one", "xa-one", "xa-two", "2025-01-01", "2025-06-04"),
        yielding("xa-two", "xa-two", "xa-one", "2025-06-04", None),
    ]
    assert load(tmp_path, items).counts[Measure]["created"] == 2


def test_retiring_deletes_with_an_audit_record(world: None) -> None:
    measure = Measure.objects.create(
        slug="xa-old",
        title="Old",
        importer_id="XA",
        legal_basis="other",
        instrument="Old act",
        program="xa-test",
        kind="additional",
    )
    Rate.objects.create(measure=measure, rate=5, valid_from=D(2025, 1, 1))
    assert services.measures_retire(slugs=["xa-old", "xa-never"], reason="test") == ["xa-old"]
    assert not Measure.objects.filter(slug="xa-old").exists()
    deleted = history(Measure).get(slug="xa-old", history_type="-")
    assert deleted.history_change_reason == "test"

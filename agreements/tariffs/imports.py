"""Loading official tariff schedules: the US HTS editions and the UK/EU file.

Each import is one service (keyword-only, one transaction) that reads one file and makes
the database match it: tariff lines, the national Product rows the measures need, the base
measures and their rate periods for the edition's period. It compares before it writes, so
a second run of the same file writes nothing and says so; a changed file writes only the
difference and reports it.

Sizes decide the shapes (an edition is ~26,600 lines and 11,414 duties):

- A file is one Source (`locator` "usitc/hts_2026_basic_edition.csv"); each rate period's
  note names its line of the file. A Source per line would be 50,000 sources that say
  nothing more.
- US MFN: one measure per 8-digit line (slug `us-mfn-01013000`), one rate period per
  edition. The line is the unit a client asks about and the duty the HTS prints.
- US Column 2 (CU, KP, RU, BY): one measure per country and duty text with the lines as its
  product list: ~1,000 measures a country instead of 11,000. A measure's product list cannot
  change over time, so the list is part of the measure's identity (its slug carries a digest
  of duty and codes): when an edition moves a line, a new measure starts with that edition
  and the old one keeps its earlier period.
- UK and EU: one measure per duty text, as for Column 2 (one vintage each).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agreements import bulk
from agreements.models import Economy, Measure, Rate, Source, TariffLine
from agreements.models.choices import (
    LegalBasis,
    MeasureBasis,
    MeasureKind,
    RateStatus,
)
from agreements.services import products_national_ensure
from agreements.tariffs import preferences
from agreements.tariffs.duties import Duty, Form, parse_duty

Progress = Callable[[Iterable[Any], str], Iterable[Any]]

US_PROGRAM = "us-mfn"
# The countries the HTS's Column 2 applies to (general note 3(b); Russia and Belarus since
# Pub. L. 117-110, 2022).
COLUMN2_COUNTRIES = ("BY", "CU", "KP", "RU")
# Chapters 98 and 99 are special provisions and temporary additional duties, not goods:
# their General column is not a base rate of any product.
NOT_GOODS_CHAPTERS = ("98", "99")
# The audit history's change reason of each import's writes.
HTS_REASON = "import_hts"
UK_REASON = "import_uk_tariff"
LINE_FIELDS = (
    "description",
    "parent_code",
    "indent",
    "unit",
    "general",
    "special",
    "column2",
    "valid_to",
    "edition",
    "note",
)
MEASURE_FIELDS = (
    "title",
    "importer_id",
    "origin_id",
    "legal_basis",
    "instrument",
    "program",
    "kind",
    "basis",
    "note",
)
RATE_FIELDS = (
    "rate",
    "valid_to",
    "expression",
    "specific_amount",
    "specific_currency",
    "specific_unit",
    "note",
)


def _no_progress(items: Iterable[Any], _label: str) -> Iterable[Any]:
    return items


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def __str__(self) -> str:
        return (
            f"{self.created:,} added, {self.updated:,} changed, {self.deleted:,} removed, "
            f"{self.unchanged:,} unchanged"
        )


@dataclass
class ImportSummary:
    """What one import did, for the command's report and the tests."""

    edition: str
    lines: Tally = field(default_factory=Tally)
    products_created: int = 0
    measures: Tally = field(default_factory=Tally)
    rates: Tally = field(default_factory=Tally)
    sources_created: int = 0
    # Forms of the base duties loaded as rates (free, ad_valorem, ...).
    forms: Counter[str] = field(default_factory=Counter)
    # (code, duty as published, form) of each base duty stored without ad valorem and
    # specific parts: its rate period keeps the expression and says so in its note.
    not_reduced: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.lines.changed
            or self.measures.changed
            or self.rates.changed
            or self.products_created
            or self.sources_created
        )

    @property
    def unparsed(self) -> list[tuple[str, str, str]]:
        return [item for item in self.not_reduced if item[2] == Form.UNPARSED]


# --- reading ------------------------------------------------------------------------------


def _open_text(path: Path) -> io.TextIOBase:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return io.StringIO(raw.decode("utf-8-sig"), newline="")


def _locator(path: Path, folder: str) -> str:
    """Where the file sits in the shared data layout, whatever it is called here."""
    return f"{folder}/{path.name.removesuffix('.gz')}"


@dataclass(frozen=True)
class HtsRow:
    line: int
    code: str
    indent: int
    description: str
    parent_code: str
    unit: str
    general: str
    special: str
    column2: str


def read_hts(path: Path) -> Iterator[HtsRow]:
    """Every coded row of an HTS CSV export, with its full description.

    The export prints each row's own text and its indentation; the full description is the
    chain of texts of the rows above it at smaller indents, as a reader of the printed
    schedule sees it.
    """
    reader = csv.DictReader(_open_text(path))
    # (indent, own text, code) of the rows the current row may be indented under.
    stack: list[tuple[int, str, str]] = []
    start = 2
    for record in reader:
        line, start = start, reader.line_num + 1
        code = (record.get("HTS Number") or "").replace(".", "").strip()
        text = " ".join((record.get("Description") or "").split())
        try:
            indent = int(record.get("Indent") or 0)
        except ValueError:
            indent = 0
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parents = [t.rstrip(":").strip() for _, t, _ in stack if t]
        parent_code = next((c for _, _, c in reversed(stack) if c), "")
        stack.append((indent, text, code))
        if len(code) not in (8, 10) or not code.isdigit():
            continue
        yield HtsRow(
            line=line,
            code=code,
            indent=indent,
            description=": ".join([*parents, text]),
            parent_code=parent_code,
            unit=_units(record.get("Unit of Quantity") or ""),
            general=(record.get("General Rate of Duty") or "").strip(),
            special=" ".join((record.get("Special Rate of Duty") or "").split()),
            column2=(record.get("Column 2 Rate of Duty") or "").strip(),
        )


def _units(raw: str) -> str:
    """The export prints units as a JSON list ('["No.","kg"]'); shown as 'No., kg'."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        units = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    return ", ".join(str(unit) for unit in units) if isinstance(units, list) else raw


def dotted(code: str) -> str:
    """0101300000 -> 0101.30.00.00, as the HTS prints codes."""
    groups = [code[:4], code[4:6], code[6:8], code[8:10]]
    return ".".join(g for g in groups if g)


# --- writing helpers ----------------------------------------------------------------------


def _edition_source(
    *, locator: str, title: str, publisher: str, note: str, summary: ImportSummary, reason: str
) -> Source:
    source = Source.objects.filter(locator=locator).first()
    if source is None:
        source = Source(locator=locator, title=title, publisher=publisher, note=note)
        source._change_reason = reason  # type: ignore[attr-defined]
        source.full_clean()
        source.save()
        summary.sources_created += 1
    elif (source.title, source.publisher, source.note) != (title, publisher, note):
        source.title, source.publisher, source.note = title, publisher, note
        source._change_reason = reason  # type: ignore[attr-defined]
        source.save()
    return source


def _ensure_products(
    descriptions: dict[str, str], *, summary: ImportSummary, stamp: dt.datetime, reason: str
) -> None:
    """National Product rows for `descriptions`' codes that have none (the one helper the
    measure loaders share: agreements.services.products_national_ensure)."""
    summary.products_created += products_national_ensure(
        descriptions=descriptions, reason=reason, stamp=stamp
    )


def _sync_lines(
    *,
    importer: str,
    valid_from: dt.date,
    wanted: dict[str, dict[str, Any]],
    source: Source,
    tally: Tally,
    stamp: dt.datetime,
) -> None:
    """Make the importer's lines starting `valid_from` match `wanted` (code -> fields)."""
    stored = {
        row["code"]: row
        for row in TariffLine.objects.filter(importer_id=importer, valid_from=valid_from).values(
            "id", "code", *LINE_FIELDS
        )
    }
    # Tariff lines are not audited (agreements.models.history): plain inserts will do.
    new = [
        {
            "importer_id": importer,
            "code": code,
            "valid_from": valid_from,
            "created_at": stamp,
            "updated_at": stamp,
            **values,
        }
        for code, values in wanted.items()
        if code not in stored
    ]
    bulk.insert(TariffLine, new)
    to_update = []
    for code, values in wanted.items():
        row = stored.get(code)
        if row is not None and any(row[name] != value for name, value in values.items()):
            to_update.append(TariffLine(id=row["id"], updated_at=stamp, **values))
    gone = [row["id"] for code, row in stored.items() if code not in wanted]
    for start in range(0, len(gone), bulk.BATCH):
        TariffLine.objects.filter(id__in=gone[start : start + bulk.BATCH]).delete()
    TariffLine.objects.bulk_update(to_update, [*LINE_FIELDS, "updated_at"], batch_size=bulk.BATCH)
    through = TariffLine.sources.through
    cited = set(
        through.objects.filter(
            source_id=source.pk,
            tariffline__importer_id=importer,
            tariffline__valid_from=valid_from,
        ).values_list("tariffline_id", flat=True)
    )
    uncited = TariffLine.objects.filter(importer_id=importer, valid_from=valid_from)
    bulk.insert(
        through,
        [
            {"tariffline_id": pk, "source_id": source.pk}
            for pk in uncited.values_list("id", flat=True)
            if pk not in cited
        ],
    )
    tally.created += len(new)
    tally.updated += len(to_update)
    tally.deleted += len(gone)
    tally.unchanged += len(wanted) - len(new) - len(to_update)


@dataclass
class WantedMeasure:
    slug: str
    fields: dict[str, Any]
    products: set[str]
    excluded_origins: set[str]
    # valid_from of each period this run loads -> the period's fields.
    rates: dict[dt.date, dict[str, Any]] = field(default_factory=dict)
    # The sources of the editions it has a period in.
    sources: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Period:
    """One edition's period and its source, as one run loads it."""

    valid_from: dt.date
    valid_to: dt.date | None
    source_id: int


def _rate_values(duty: Duty, note: str) -> dict[str, Any]:
    """A rate period's fields for a duty: its parts when they say it all, else the expression
    alone with a note, never a zero that looks like a duty."""
    notes = [note]
    if duty.reducible:
        rate = duty.ad_valorem
        specific = duty.specific
        if duty.rounded:
            notes.append(f"{duty.text} rounded to {rate}% (the rate keeps two places).")
        if duty.ad_valorem_qualifier:
            notes.append(f"Ad valorem part charged {duty.ad_valorem_qualifier}.")
        if specific is not None and specific.qualifier:
            notes.append(f"Specific part charged {specific.qualifier}.")
    else:
        rate = Decimal("0.00")
        specific = None
        what = "unparsed" if duty.form == Form.UNPARSED else f"form {duty.form.value}"
        notes.append(
            f"Not reduced to an ad valorem and a specific part ({what}): the duty is the "
            "expression; the rate 0.00 is not the duty."
        )
    if rate != rate.quantize(Decimal("0.01")):
        raise ValueError(f"{duty.text!r}: ad valorem part {rate} has more than two places")
    return {
        "rate": rate,
        "expression": duty.text,
        "specific_amount": specific.amount if specific else None,
        "specific_currency": specific.currency if specific else "",
        "specific_unit": specific.unit if specific else "",
        "note": " ".join(notes),
    }


def _basis(duty: Duty) -> str:
    if duty.reducible and "content" in duty.ad_valorem_qualifier:
        return MeasureBasis.CONTENT
    return MeasureBasis.VALUE


def _check_periods(owned: Q, periods: list[Period]) -> None:
    """Refuse periods that overlap each other or a period this run does not load."""
    ordered = sorted(periods, key=lambda p: p.valid_from)
    for earlier, later in itertools.pairwise(ordered):
        if earlier.valid_to is None or earlier.valid_to > later.valid_from:
            raise ValueError(
                f"The period from {earlier.valid_from} overlaps the one from "
                f"{later.valid_from}: give the earlier edition a valid_to"
            )
    starts = [p.valid_from for p in periods]
    for period in periods:
        collision = (
            Rate.objects.filter(measure__in=Measure.objects.filter(owned))
            .filter(status=RateStatus.IN_FORCE)
            .exclude(valid_from__in=starts)
            .overlapping(period.valid_from, period.valid_to)
            .select_related("measure")
            .first()
        )
        if collision is not None:
            raise ValueError(
                f"{period.valid_from}..{period.valid_to or 'open'} overlaps "
                f"{collision.measure.slug}'s period {collision}: give the earlier edition a "
                "valid_to"
            )


def _sync_measures(
    *,
    owned: Q,
    wanted: dict[str, WantedMeasure],
    periods: list[Period],
    summary: ImportSummary,
    stamp: dt.datetime,
    reason: str,
) -> None:
    """Make the measures matching `owned` carry exactly `wanted`'s periods of `periods`.

    Measures are matched by slug. Periods of other editions are left alone; an owned measure
    left without any period is deleted. Each measure cites the editions it has periods in.
    """
    _check_periods(owned, periods)
    stored = {m.slug: m for m in Measure.objects.filter(owned)}
    to_create: list[Measure] = []
    to_update: list[Measure] = []
    for slug, item in wanted.items():
        measure = stored.get(slug)
        if measure is None:
            to_create.append(Measure(slug=slug, **item.fields))
        elif any(getattr(measure, name) != value for name, value in item.fields.items()):
            for name, value in item.fields.items():
                setattr(measure, name, value)
            to_update.append(measure)
    created = bulk.create(to_create, Measure, reason=reason, stamp=stamp)
    bulk.update(to_update, Measure, MEASURE_FIELDS, reason=reason, stamp=stamp)
    ids = {m.slug: m.pk for m in [*stored.values(), *created]}

    starts = [p.valid_from for p in periods]
    stored_rates = {
        (r.measure_id, r.valid_from): r
        for r in Rate.objects.filter(
            measure__in=Measure.objects.filter(owned),
            valid_from__in=starts,
            status=RateStatus.IN_FORCE,
        )
    }
    wanted_rates = {
        (ids[slug], valid_from): values
        for slug, item in wanted.items()
        for valid_from, values in item.rates.items()
    }
    new_rates: list[Rate] = []
    changed_rates: list[Rate] = []
    for (measure_id, valid_from), values in wanted_rates.items():
        rate = stored_rates.get((measure_id, valid_from))
        if rate is None:
            new_rates.append(
                Rate(
                    measure_id=measure_id,
                    valid_from=valid_from,
                    status=RateStatus.IN_FORCE,
                    **values,
                )
            )
        elif any(getattr(rate, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(rate, name, value)
            changed_rates.append(rate)
        else:
            summary.rates.unchanged += 1
    stale_rates = [r.pk for key, r in stored_rates.items() if key not in wanted_rates]
    for start in range(0, len(stale_rates), bulk.BATCH):
        for rate in Rate.objects.filter(pk__in=stale_rates[start : start + bulk.BATCH]):
            rate._change_reason = reason  # type: ignore[attr-defined]
            rate.delete()
    bulk.create(new_rates, Rate, reason=reason, stamp=stamp)
    bulk.update(changed_rates, Rate, RATE_FIELDS, reason=reason, stamp=stamp)
    summary.rates.created += len(new_rates)
    summary.rates.updated += len(changed_rates)
    summary.rates.deleted += len(stale_rates)

    # A measure left without any period was the imports' alone: it goes.
    deleted = 0
    for measure in Measure.objects.filter(owned).filter(rates__isnull=True):
        measure._change_reason = reason  # type: ignore[attr-defined]
        measure.delete()
        deleted += 1

    # Each measure cites the editions of this run it has a period in, and keeps the others.
    loaded_sources = {p.source_id for p in periods}
    current: dict[int, set[int]] = defaultdict(set)
    for measure_id, source_id in Measure.sources.through.objects.filter(
        measure__in=Measure.objects.filter(owned)
    ).values_list("measure_id", "source_id"):
        current[measure_id].add(source_id)
    wanted_ids = {ids[slug]: item for slug, item in wanted.items()}
    remaining = Measure.objects.filter(owned).values_list("pk", flat=True)
    sources = {
        pk: (current[pk] - loaded_sources) | (wanted_ids[pk].sources if pk in wanted_ids else set())
        for pk in remaining
    }
    m2m_changed = bulk.set_m2m(Measure, "sources", sources)
    m2m_changed |= bulk.set_m2m(
        Measure, "products", {pk: item.products for pk, item in wanted_ids.items()}
    )
    m2m_changed |= bulk.set_m2m(
        Measure,
        "excluded_origins",
        {pk: item.excluded_origins for pk, item in wanted_ids.items()},
    )
    created_ids = {m.pk for m in created}
    updated_ids = {m.pk for m in to_update} | (m2m_changed - created_ids)
    bulk.record_changes(
        Measure, updated_ids - {m.pk for m in to_update}, reason=reason, stamp=stamp
    )
    bulk.snapshot_m2m(Measure, created_ids | updated_ids, stamp=stamp)

    summary.measures.created += len(created_ids)
    summary.measures.updated += len(updated_ids)
    summary.measures.deleted += deleted
    summary.measures.unchanged += (
        len(wanted) - len(created_ids) - len(updated_ids & set(wanted_ids))
    )


def _digest(*parts: str) -> str:
    return hashlib.sha1("\n".join(parts).encode(), usedforsecurity=False).hexdigest()[:12]


# --- the US HTS ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HtsEdition:
    path: Path
    edition: str
    valid_from: dt.date
    valid_to: dt.date | None = None


def import_hts(
    *,
    path: Path,
    edition: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    progress: Progress = _no_progress,
) -> ImportSummary:
    """Load one edition of the HTS (a USITC CSV export, plain or gzipped) for its period."""
    return import_hts_editions(
        editions=[HtsEdition(path, edition, valid_from, valid_to)], progress=progress
    )


@transaction.atomic
def import_hts_editions(
    *, editions: Sequence[HtsEdition], progress: Progress = _no_progress
) -> ImportSummary:
    """Load editions of the HTS, each for its period, in one transaction.

    Every 8- and 10-digit row becomes a TariffLine. Every 8-digit line of chapters 1-97 with
    a General duty (printed on the 8-digit row, or on its only 10-digit row) gets a period of
    its MFN base measure per edition; its Column 2 duty goes to the measures of the Column 2
    countries. Loading several editions in one run writes each measure once, where edition
    after edition would rewrite every measure's sources.
    """
    summary = ImportSummary(edition=", ".join(e.edition for e in editions))
    stamp = timezone.now()
    periods: list[Period] = []
    mfn: dict[str, WantedMeasure] = {}
    # (country, Column 2 text, codes) -> the editions' periods and their values
    col2: dict[str, WantedMeasure] = {}
    # The Special column's preferential base measures (agreements.tariffs.preferences).
    pref: dict[str, WantedMeasure] = {}
    products: dict[str, str] = {}
    names = dict(Economy.objects.filter(code__in=COLUMN2_COUNTRIES).values_list("code", "name"))
    with bulk.loading():
        for item in editions:
            if item.valid_to is not None and item.valid_to <= item.valid_from:
                raise ValueError(f"{item.edition}: valid_to must be after valid_from")
            locator = _locator(item.path, "usitc")
            source = _edition_source(
                locator=locator,
                title=f"Harmonized Tariff Schedule of the United States, {item.edition}",
                publisher="U.S. International Trade Commission",
                note="The USITC's CSV export of the edition, kept under fixtures/us/ "
                "(fixtures/PROVENANCE.md). Public domain (a work of the US government).",
                summary=summary,
                reason=HTS_REASON,
            )
            periods.append(Period(item.valid_from, item.valid_to, source.pk))
            rows = list(progress(read_hts(item.path), f"{item.edition}: reading"))
            _load_hts_lines(item, rows, locator, source, summary, stamp)
            _want_hts_measures(
                item,
                rows,
                locator,
                source.pk,
                mfn=mfn,
                col2=col2,
                products=products,
                names=names,
                summary=summary,
            )
            preferences.want_measures(
                (
                    preferences.Line(code=row.code[:8], line=row.line, special=row.special)
                    for row in rows
                    if row.general and row.code[:2] not in NOT_GOODS_CHAPTERS
                ),
                valid_from=item.valid_from,
                valid_to=item.valid_to,
                locator=locator,
                source_id=source.pk,
                wanted=pref,
                make=WantedMeasure,
                rate_values=_rate_values,
            )
        _ensure_products(products, summary=summary, stamp=stamp, reason=HTS_REASON)
        _sync_measures(
            owned=Q(importer_id="US", program=US_PROGRAM, slug__regex=r"^us-mfn-[0-9]{8}$"),
            wanted=mfn,
            periods=periods,
            summary=summary,
            stamp=stamp,
            reason=HTS_REASON,
        )
        _sync_measures(
            owned=Q(importer_id="US", program=US_PROGRAM, slug__startswith="us-col2-"),
            wanted=col2,
            periods=periods,
            summary=summary,
            stamp=stamp,
            reason=HTS_REASON,
        )
        _sync_measures(
            owned=Q(importer_id="US", slug__startswith=preferences.SLUG_PREFIX),
            wanted=pref,
            periods=periods,
            summary=summary,
            stamp=stamp,
            reason=HTS_REASON,
        )
    return summary


def _load_hts_lines(
    item: HtsEdition,
    rows: list[HtsRow],
    locator: str,
    source: Source,
    summary: ImportSummary,
    stamp: dt.datetime,
) -> None:
    lines: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.code in lines:
            raise ValueError(f"{locator} line {row.line}: {dotted(row.code)} appears twice")
        lines[row.code] = {
            "description": row.description,
            "parent_code": row.parent_code,
            "indent": row.indent,
            "unit": row.unit,
            "general": row.general,
            "special": row.special,
            "column2": row.column2,
            "valid_to": item.valid_to,
            "edition": item.edition,
            "note": f"{locator} line {row.line}",
        }
    _sync_lines(
        importer="US",
        valid_from=item.valid_from,
        wanted=lines,
        source=source,
        tally=summary.lines,
        stamp=stamp,
    )


def _want_hts_measures(
    item: HtsEdition,
    rows: list[HtsRow],
    locator: str,
    source_id: int,
    *,
    mfn: dict[str, WantedMeasure],
    col2: dict[str, WantedMeasure],
    products: dict[str, str],
    names: dict[str, str],
    summary: ImportSummary,
) -> None:
    """Add the edition's periods to the measures wanted (`mfn`, `col2`), and the national
    codes they need to `products`."""
    by_code8: dict[str, HtsRow] = {}
    for row in rows:
        if not row.general or row.code[:2] in NOT_GOODS_CHAPTERS:
            continue
        if row.code[:8] in by_code8:
            raise ValueError(
                f"{locator} line {row.line}: a second General duty for {dotted(row.code[:8])}"
            )
        by_code8[row.code[:8]] = row
    column2: dict[str, list[str]] = defaultdict(list)
    for code, row in sorted(by_code8.items()):
        products.setdefault(code, row.description)
        duty = parse_duty(row.general)
        summary.forms[duty.form.value] += 1
        if not duty.reducible:
            summary.not_reduced.append((code, row.general, duty.form.value))
        slug = f"us-mfn-{code}"
        measure = mfn.get(slug)
        if measure is None:
            measure = mfn[slug] = WantedMeasure(
                slug=slug,
                fields={
                    "title": f"US MFN duty (column 1 General), HTS {dotted(code)}",
                    "importer_id": "US",
                    "origin_id": None,
                    "legal_basis": LegalBasis.MFN,
                    "instrument": "HTSUS column 1 General",
                    "program": US_PROGRAM,
                    "kind": MeasureKind.BASE,
                    "basis": _basis(duty),
                    "note": "",
                },
                products={code},
                excluded_origins=set(COLUMN2_COUNTRIES),
            )
        measure.rates[item.valid_from] = {
            **_rate_values(duty, f"{locator} line {row.line}."),
            "valid_to": item.valid_to,
        }
        measure.sources.add(source_id)
        if row.column2:
            column2[row.column2].append(code)
    for text, codes in sorted(column2.items()):
        duty = parse_duty(text)
        digest = _digest(text, *codes)
        for country in COLUMN2_COUNTRIES:
            slug = f"us-col2-{country.lower()}-{digest}"
            measure = col2.get(slug)
            if measure is None:
                measure = col2[slug] = WantedMeasure(
                    slug=slug,
                    fields={
                        "title": f"US Column 2 duty for {names.get(country, country)}: {text}"[
                            :300
                        ],
                        "importer_id": "US",
                        "origin_id": country,
                        # Column 2 is the statutory rate of the countries denied MFN
                        # treatment: the base for them, but not an MFN rate.
                        "legal_basis": LegalBasis.OTHER,
                        "instrument": "HTSUS column 2",
                        "program": US_PROGRAM,
                        "kind": MeasureKind.BASE,
                        "basis": _basis(duty),
                        "note": f"The Column 2 duty '{text}' of {len(codes):,} eight-digit lines.",
                    },
                    products=set(codes),
                    excluded_origins=set(),
                )
            measure.rates[item.valid_from] = {
                **_rate_values(duty, f"Column 2 of {len(codes):,} lines of {locator}."),
                "valid_to": item.valid_to,
            }
            measure.sources.add(source_id)


# --- the UK Global Tariff and the EU's CET ------------------------------------------------

UK_VINTAGES = {
    # importer: (column, edition, valid_from, publisher)
    "GB": (
        "ukgt_duty_rate",
        "UK Global Tariff (2021 vintage)",
        dt.date(2021, 1, 1),
        "Department for International Trade (UK)",
    ),
    "EU": (
        "cet_duty_rate",
        "EU Common External Tariff (2020 vintage, HS 2017)",
        dt.date(2020, 1, 1),
        "Department for International Trade (UK), from the EU's 2020 tariff",
    ),
}
OLD_VINTAGE = (
    "Old vintage: {edition}, as published with the UK Global Tariff in 2020; later changes "
    "of the tariff (and, for the EU, the HS 2022 codes) are not loaded."
)


@transaction.atomic
def import_uk_tariff(*, path: Path, progress: Progress = _no_progress) -> dict[str, ImportSummary]:
    """Load the UK Global Tariff file: GB's base from 2021-01-01 and, from the same file, the
    EU's 2020 CET as the EU's base; both old vintages, said so in every title and note."""
    reader = csv.DictReader(_open_text(path))
    records = []
    start = 2
    for record in reader:
        records.append((start, record))
        start = reader.line_num + 1
    locator = _locator(path, "uk")
    codes = {record["commodity"].strip() for _, record in records}
    summaries: dict[str, ImportSummary] = {}
    stamp = timezone.now()
    with bulk.loading():
        for importer, (column, edition, valid_from, publisher) in UK_VINTAGES.items():
            summaries[importer] = _import_uk_vintage(
                importer=importer,
                column=column,
                edition=edition,
                valid_from=valid_from,
                publisher=publisher,
                records=records,
                codes=codes,
                locator=locator,
                stamp=stamp,
                progress=progress,
            )
    return summaries


def _import_uk_vintage(
    *,
    importer: str,
    column: str,
    edition: str,
    valid_from: dt.date,
    publisher: str,
    records: list[tuple[int, dict[str, str]]],
    codes: set[str],
    locator: str,
    stamp: dt.datetime,
    progress: Progress,
) -> ImportSummary:
    summary = ImportSummary(edition=edition)
    old = OLD_VINTAGE.format(edition=edition)
    source = _edition_source(
        locator=f"{locator} column {column}",
        title=f"{edition}: commodity codes and duties",
        publisher=publisher,
        note=f"{old} The uktrade/global-uk-tariff file, kept under fixtures/uk/ "
        "(Crown copyright, MIT licence: fixtures/uk/LICENSE).",
        summary=summary,
        reason=UK_REASON,
    )
    lines: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[str]] = defaultdict(list)
    for line, record in progress(records, f"{edition}: reading"):
        code = record["commodity"].strip()
        text = (record[column] or "").strip()
        parent = next(
            (code[:n] for n in (8, 6, 4, 2) if n < len(code) and code[:n] in codes), code[:6]
        )
        lines[code] = {
            "description": " ".join(record["description"].split()),
            "parent_code": parent,
            "indent": 0,
            "unit": "",
            "general": text,
            "special": "",
            "column2": "",
            "valid_to": None,
            "edition": edition,
            "note": f"{locator} line {line}. {old}",
        }
        groups[text].append(code)
    _sync_lines(
        importer=importer,
        valid_from=valid_from,
        wanted=lines,
        source=source,
        tally=summary.lines,
        stamp=stamp,
    )
    _ensure_products(
        {code: values["description"] for code, values in lines.items()},
        summary=summary,
        stamp=stamp,
        reason=UK_REASON,
    )
    program = f"{importer.lower()}-mfn"
    wanted: dict[str, WantedMeasure] = {}
    for text, group in sorted(groups.items()):
        duty = parse_duty(text)
        summary.forms[duty.form.value] += len(group)
        if not duty.reducible:
            summary.not_reduced.extend((code, text, duty.form.value) for code in group)
        slug = f"{program}-{_digest(text)}"
        wanted[slug] = WantedMeasure(
            slug=slug,
            fields={
                "title": f"{edition}: {text}"[:300],
                "importer_id": importer,
                "origin_id": None,
                "legal_basis": LegalBasis.MFN,
                "instrument": edition,
                "program": program,
                "kind": MeasureKind.BASE,
                "basis": _basis(duty),
                "note": f"{old} The duty '{text}' of {len(group):,} commodity codes.",
            },
            products=set(group),
            excluded_origins=set(),
            rates={
                valid_from: {
                    **_rate_values(duty, f"{locator}, column {column}. {old}"),
                    "valid_to": None,
                }
            },
            sources={source.pk},
        )
    _sync_measures(
        owned=Q(importer_id=importer, program=program, slug__regex=rf"^{program}-[0-9a-f]{{12}}$"),
        wanted=wanted,
        periods=[Period(valid_from, None, source.pk)],
        summary=summary,
        stamp=stamp,
        reason=UK_REASON,
    )
    return summary

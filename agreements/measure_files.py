"""Reading the measure data files: `fixtures/us/measures/*.json` and the product lists they
name (`fixtures/us/lists/<name>.txt`, a product written `@name`).

The files are checked whole before anything is written, so a typo refuses the load with a
message naming the file and the record instead of leaving half a tariff behind: unknown
keys, duplicate slugs or source keys, codes that are not HS codes, lists whose `# codes:`
count disagrees with their lines, sources cited but not defined, overlapping in-force
periods. What the database alone can tell (that an economy or an agreement exists) the
service checks before its first write; that no programs yield to each other in a cycle,
counting the measures already stored, it checks on what it wrote, before committing, and
refuses the whole load.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from agreements.models.choices import LegalBasis, MeasureBasis, MeasureKind, RateStatus
from agreements.validators import ECONOMY_CODE_REGEX, HS_CODE_REGEX, SLUG_REGEX

_CODE = re.compile(HS_CODE_REGEX)
_SLUG = re.compile(SLUG_REGEX)
_ECONOMY = re.compile(ECONOMY_CODE_REGEX)
_LIST_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_HEADING = re.compile(r"^[0-9]{4}\.[0-9]{2}\.[0-9]{2}$")

SOURCE_KEYS = {"key", "title", "url", "publisher", "published_on", "locator"}
MEASURE_KEYS = {
    "slug",
    "title",
    "importer",
    "origin",
    "excluded_origins",
    "products",
    "excluded_products",
    "legal_basis",
    "instrument",
    "headings",
    "program",
    "kind",
    "claim",
    "waived_by",
    "yields_to",
    "yields_content_to",
    "basis",
    "agreement",
    "note",
    "sources",
    "rates",
}
RATE_KEYS = {"rate", "valid_from", "valid_to", "status", "note"}


class MeasureFileError(ValueError):
    """A data file that cannot be loaded as it is; the message names the file and record."""


@dataclass(frozen=True)
class SourceSpec:
    key: str
    title: str
    url: str
    locator: str
    publisher: str
    published_on: dt.date | None
    file: str


@dataclass(frozen=True)
class RateSpec:
    rate: Decimal
    valid_from: dt.date
    valid_to: dt.date | None
    status: str
    note: str


@dataclass(frozen=True)
class MeasureSpec:
    slug: str
    title: str
    importer: str
    origin: str | None
    excluded_origins: tuple[str, ...]
    products: tuple[str, ...]  # lists expanded: every code, sorted
    excluded_products: tuple[str, ...]
    legal_basis: str
    instrument: str
    headings: tuple[str, ...]
    program: str
    kind: str
    claim: str
    waived_by: tuple[str, ...]
    yields_to: tuple[str, ...]
    yields_content_to: tuple[str, ...]
    basis: str
    agreement: str | None
    note: str
    sources: tuple[str, ...]
    rates: tuple[RateSpec, ...]
    file: str

    @property
    def full_note(self) -> str:
        """The note as stored: the file's note, then the chapter 99 headings that carry the
        measure (the model has no field of its own for them; the note is where staff look)."""
        if not self.headings:
            return self.note
        return f"{self.note}\n\nChapter 99 headings: {', '.join(self.headings)}."


@dataclass(frozen=True)
class MeasureData:
    sources: tuple[SourceSpec, ...]
    measures: tuple[MeasureSpec, ...]
    lists: dict[str, tuple[str, ...]]

    def codes(self) -> set[str]:
        """Every product code a measure names (scope or exclusion)."""
        return {code for m in self.measures for code in (*m.products, *m.excluded_products)}


def read_list(path: Path) -> tuple[str, ...]:
    """A product list: `# ` comment lines (a `# codes: N` line among them), then one code a
    line, digits only, sorted, each once."""
    codes: list[str] = []
    declared: int | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            match = re.match(r"#\s*codes:\s*(\d+)\s*$", line)
            if match:
                declared = int(match.group(1))
            continue
        if not _CODE.match(line):
            raise MeasureFileError(f"{path.name} line {number}: {line!r} is not an HS code")
        codes.append(line)
    if codes != sorted(set(codes)):
        raise MeasureFileError(f"{path.name}: codes must be sorted and each listed once")
    if declared is not None and declared != len(codes):
        raise MeasureFileError(f"{path.name}: '# codes: {declared}' but {len(codes)} codes")
    return tuple(codes)


def read_measure_files(measures_dir: Path, lists_dir: Path) -> MeasureData:
    """Every `*.json` of `measures_dir` (in name order) with the lists of `lists_dir`."""
    lists = {path.stem: read_list(path) for path in sorted(lists_dir.glob("*.txt"))}
    sources: list[SourceSpec] = []
    measures: list[MeasureSpec] = []
    for path in sorted(measures_dir.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if set(data) != {"sources", "measures"}:
            raise MeasureFileError(f"{path.name}: expected the keys 'sources' and 'measures'")
        sources.extend(_source(item, path.name) for item in data["sources"])
        measures.extend(_measure(item, path.name, lists) for item in data["measures"])
    _check_unique((s.key for s in sources), "source key")
    _check_unique((m.slug for m in measures), "measure slug")
    known = {s.key for s in sources}
    for measure in measures:
        missing = [key for key in measure.sources if key not in known]
        if missing:
            raise MeasureFileError(
                f"{measure.file}: {measure.slug} cites undefined sources {', '.join(missing)}"
            )
    return MeasureData(sources=tuple(sources), measures=tuple(measures), lists=lists)


def _check_unique(values: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise MeasureFileError(f"{what} {value!r} is defined twice")
        seen.add(value)


def _keys(item: dict[str, Any], expected: set[str], where: str) -> None:
    if set(item) != expected:
        extra, missing = sorted(set(item) - expected), sorted(expected - set(item))
        raise MeasureFileError(f"{where}: unexpected keys {extra}, missing keys {missing}")


def _date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise MeasureFileError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _source(item: dict[str, Any], file: str) -> SourceSpec:
    where = f"{file}: source {item.get('key')!r}"
    _keys(item, SOURCE_KEYS, where)
    if not (item["url"] or item["locator"]):
        raise MeasureFileError(f"{where}: needs a url or a locator")
    return SourceSpec(
        key=item["key"],
        title=item["title"],
        url=item["url"] or "",
        locator=item["locator"] or "",
        publisher=item["publisher"],
        published_on=_date(item["published_on"], where) if item["published_on"] else None,
        file=file,
    )


def _codes(values: list[str], lists: dict[str, tuple[str, ...]], where: str) -> tuple[str, ...]:
    codes: set[str] = set()
    for value in values:
        if value.startswith("@"):
            name = value[1:]
            if not _LIST_NAME.match(name) or name not in lists:
                raise MeasureFileError(f"{where}: no list {value!r} in the lists folder")
            codes.update(lists[name])
        elif _CODE.match(value):
            codes.add(value)
        else:
            raise MeasureFileError(f"{where}: {value!r} is neither an HS code nor @list-name")
    return tuple(sorted(codes))


def _choice(value: Any, choices: list[str], where: str, field: str) -> str:
    if value not in choices:
        raise MeasureFileError(f"{where}: {field} {value!r} is not one of {', '.join(choices)}")
    return str(value)


def _measure(item: dict[str, Any], file: str, lists: dict[str, tuple[str, ...]]) -> MeasureSpec:
    where = f"{file}: measure {item.get('slug')!r}"
    _keys(item, MEASURE_KEYS, where)
    slug = item["slug"]
    if not isinstance(slug, str) or not _SLUG.match(slug) or len(slug) > 120:
        raise MeasureFileError(f"{where}: the slug is lower-case [a-z0-9-], at most 120")
    for field in ("importer", "origin"):
        if item[field] is not None and not _ECONOMY.match(item[field]):
            raise MeasureFileError(f"{where}: {field} {item[field]!r} is not an economy code")
    if item["importer"] is None:
        raise MeasureFileError(f"{where}: importer is required")
    for code in item["excluded_origins"]:
        if not _ECONOMY.match(code):
            raise MeasureFileError(f"{where}: excluded origin {code!r} is not an economy code")
    for heading in item["headings"]:
        if not _HEADING.match(heading):
            raise MeasureFileError(f"{where}: heading {heading!r} is not written 9903.01.25")
    _check_content_yield(item, where)
    rates = tuple(_rate(rate, f"{where} rate {n}") for n, rate in enumerate(item["rates"]))
    if not rates:
        raise MeasureFileError(f"{where}: a measure needs at least one rate period")
    _check_periods(rates, where)
    return MeasureSpec(
        slug=slug,
        title=item["title"],
        importer=item["importer"],
        origin=item["origin"],
        excluded_origins=tuple(sorted(set(item["excluded_origins"]))),
        products=_codes(item["products"], lists, where),
        excluded_products=_codes(item["excluded_products"], lists, where),
        legal_basis=_choice(item["legal_basis"], LegalBasis.values, where, "legal_basis"),
        instrument=item["instrument"],
        headings=tuple(item["headings"]),
        program=item["program"],
        kind=_choice(item["kind"], MeasureKind.values, where, "kind"),
        claim=item["claim"] or "",
        waived_by=tuple(item["waived_by"]),
        yields_to=tuple(item["yields_to"]),
        yields_content_to=tuple(item["yields_content_to"]),
        basis=_choice(item["basis"], MeasureBasis.values, where, "basis"),
        agreement=item["agreement"],
        note=item["note"],
        sources=tuple(item["sources"]),
        rates=rates,
        file=file,
    )


def _check_content_yield(item: dict[str, Any], where: str) -> None:
    """The model's rules for `yields_content_to` (Measure.clean), which a bulk load skips."""
    programs = item["yields_content_to"]
    if not isinstance(programs, list) or not all(
        isinstance(p, str) and _SLUG.match(p) for p in programs
    ):
        raise MeasureFileError(f"{where}: yields_content_to is a list of program slugs")
    if not programs:
        return
    if item["program"] in programs or set(programs) & set(item["yields_to"]):
        raise MeasureFileError(
            f"{where}: yields_content_to names its own program or one it yields to entirely"
        )
    if item["kind"] == MeasureKind.BASE or item["basis"] == MeasureBasis.CONTENT:
        raise MeasureFileError(
            f"{where}: only an additional or all-in duty on the value can yield on a content"
        )


def _rate(item: dict[str, Any], where: str) -> RateSpec:
    _keys(item, RATE_KEYS, where)
    try:
        rate = Decimal(item["rate"])
    except (TypeError, InvalidOperation):
        raise MeasureFileError(f"{where}: rate {item['rate']!r} is not a decimal") from None
    if rate < 0 or rate != rate.quantize(Decimal("0.01")):
        raise MeasureFileError(f"{where}: rate {item['rate']!r}: two decimals, not negative")
    valid_from = _date(item["valid_from"], where)
    valid_to = _date(item["valid_to"], where) if item["valid_to"] else None
    if valid_to is not None and valid_to <= valid_from:
        raise MeasureFileError(f"{where}: valid_to must be after valid_from")
    return RateSpec(
        rate=rate,
        valid_from=valid_from,
        valid_to=valid_to,
        status=_choice(item["status"], RateStatus.values, where, "status"),
        note=item["note"] or "",
    )


def _check_periods(rates: tuple[RateSpec, ...], where: str) -> None:
    keys = [(r.valid_from, r.status) for r in rates]
    if len(set(keys)) != len(keys):
        raise MeasureFileError(f"{where}: two periods with one start and status")
    in_force = sorted(
        (r for r in rates if r.status == RateStatus.IN_FORCE), key=lambda r: r.valid_from
    )
    for before, after in itertools.pairwise(in_force):
        if before.valid_to is None or before.valid_to > after.valid_from:
            raise MeasureFileError(
                f"{where}: in-force periods from {before.valid_from} and {after.valid_from} overlap"
            )

"""A whole entry at once: many lookups on one date, loaded together, decided line by line.

The single lookup loads one context in up to three queries; an entry of a thousand lines
would cost three thousand that way. Here the candidates of every line are loaded in a fixed
number of queries whatever the entry's size (the economies and memberships, the tariff lines,
the HS lines, the candidate periods, their product scopes, their excluded origins), then each
line gets the same `Context` its single lookup would have built, and the same
`lookup.answer` decides it. tests/engine/test_properties.py (generated entries) and
tests/engine/test_shipment_api.py (over HTTP) hold every line to its single lookup.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agreements.engine import queries as sql
from agreements.engine.lookup import _question_warnings, answer
from agreements.engine.results import EffectiveRate, ProductRef, Scenario, Shipment
from agreements.engine.rules import Candidate, Context, Membership, counted_statuses
from agreements.engine.shipment import ShipmentError, check
from agreements.validators import hs_prefixes


@dataclass(frozen=True)
class Line:
    """One line of an entry: codes normalised as for a single lookup."""

    importer: str
    origin: str
    hs: str
    claims: tuple[str, ...] = ()
    shipment: Shipment | None = None


@dataclass(frozen=True)
class LineError:
    """Why one line could not be answered: the field at fault and what is wrong."""

    field: str
    message: str
    code: str = "invalid"


@dataclass
class _Loaded:
    """What the entry's queries returned, indexed for the per-line decisions."""

    found: set[str]
    under: set[tuple[str, str]]
    memberships: dict[str, tuple[Membership, ...]]
    flags: dict[str, tuple[bool, bool, bool]]
    lines: dict[str, dict[str, tuple[str, dt.date]]]
    products: dict[str, str]
    unscoped: dict[str, list[tuple[Any, ...]]]
    by_product: dict[tuple[str, str], list[tuple[Any, ...]]]
    excluded_products: dict[int, set[str]]
    excluded_origins: dict[int, set[str]]


def effective_rates(
    lines: Sequence[Line], *, on: dt.date, scenario: Scenario = Scenario.IN_FORCE
) -> list[EffectiveRate | LineError]:
    """Every line's answer on `on`, in order; a line that cannot be answered gets its
    LineError and the others are answered all the same."""
    results: list[EffectiveRate | LineError | None] = [None] * len(lines)
    pending: list[int] = []
    for index, line in enumerate(lines):
        if line.shipment is not None:
            try:
                check(line.importer, line.shipment)
            except ShipmentError as error:
                results[index] = LineError(error.field, str(error))
                continue
        pending.append(index)
    if pending:
        end = on + dt.timedelta(days=1) if on < dt.date.max else dt.date.max
        loaded = _load([lines[i] for i in pending], start=on, end=end, scenario=scenario)
        contexts = _Contexts(loaded, on)
        answers: dict[Line, EffectiveRate | LineError] = {}
        for index in pending:
            line = lines[index]
            if line in answers:
                # Entries repeat lines (one product in several sizes of one box): the same
                # question gets the same answer without deciding it again.
                results[index] = answers[line]
                continue
            context = contexts.get(line)
            if isinstance(context, LineError):
                result: EffectiveRate | LineError = context
            else:
                try:
                    result = answer(
                        context,
                        hs=line.hs,
                        on=on,
                        scenario=scenario,
                        claims=line.claims,
                        shipment=line.shipment,
                    )
                except ShipmentError as error:
                    result = LineError(error.field, str(error))
            answers[line] = results[index] = result
    return [result for result in results if result is not None]


def _load(lines: Sequence[Line], *, start: dt.date, end: dt.date, scenario: Scenario) -> _Loaded:
    importers = sorted({line.importer for line in lines})
    codes = sorted({line.importer for line in lines} | {line.origin for line in lines})
    hs_codes = sorted({line.hs for line in lines})
    prefixes = sorted({prefix for code in hs_codes for prefix in hs_prefixes(code)})

    found: set[str] = set()
    memberships: dict[str, list[Membership]] = defaultdict(list)
    flags: dict[str, tuple[bool, bool, bool]] = {}
    for code, bloc, joined, left, has_tariff, has_measures, covers in sql.fetch(
        *sql.entry_economies_sql(codes=codes, importers=importers, start=start, end=end)
    ):
        found.add(code)
        flags[code] = (sql.as_bool(has_tariff), sql.as_bool(has_measures), sql.as_bool(covers))
        if bloc is not None:
            day = sql.as_date(joined)
            assert day is not None  # A NOT NULL column.
            memberships[code].append(
                Membership(bloc=bloc, joined_on=day, left_on=sql.as_date(left))
            )
    known_importers = [code for code in importers if code in found]

    lengths = {len(code) for code in hs_codes}
    tariff_lines: dict[str, dict[str, tuple[str, dt.date]]] = defaultdict(dict)
    # (importer, code asked) for the codes some tariff line is or lies under.
    under: set[tuple[str, str]] = set()
    if known_importers:
        for importer, code, description, valid_from in sql.fetch(
            *sql.entry_tariff_lines_sql(
                importers=known_importers,
                prefixes=prefixes,
                codes=hs_codes,
                start=start,
                end=end,
            )
        ):
            if description is None:
                # A line under one of the codes asked: each of its prefixes of a length
                # asked is a code that is in the tariff.
                under.update((importer, code[:length]) for length in lengths)
                continue
            day = sql.as_date(valid_from)
            assert day is not None
            tariff_lines[importer][code] = (description, day)
    products = dict(sql.fetch(*sql.entry_products_sql(prefixes)))

    origins = sorted(
        {line.origin for line in lines}
        | {m.bloc for line in lines for m in memberships.get(line.origin, ())}
    )
    rows = (
        sql.fetch(
            *sql.entry_candidates_sql(
                importers=known_importers,
                origins=origins,
                prefixes=prefixes,
                statuses=counted_statuses(scenario),
                start=start,
                end=end,
            )
        )
        if known_importers
        else []
    )
    measure_ids = sorted({row[5] for row in rows})
    scopes: dict[int, set[str]] = defaultdict(set)
    excluded_products: dict[int, set[str]] = defaultdict(set)
    if measure_ids:
        for measure_id, product, in_scope in sql.fetch(
            *sql.entry_scopes_sql(measure_ids, prefixes)
        ):
            (scopes if in_scope else excluded_products)[measure_id].add(product)
    excluded_origins: dict[int, set[str]] = defaultdict(set)
    open_measures = sorted({row[5] for row in rows if row[11] is None})
    if open_measures:
        for measure_id, economy in sql.fetch(*sql.excluded_origins_sql(open_measures, origins)):
            excluded_origins[measure_id].add(economy)

    unscoped: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    by_product: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        importer, scoped = row[21], sql.as_bool(row[22])
        if not scoped:
            unscoped[importer].append(row)
        else:
            for product in scopes.get(row[5], ()):
                by_product[(importer, product)].append(row)
    return _Loaded(
        under=under,
        found=found,
        memberships={code: tuple(items) for code, items in memberships.items()},
        flags=flags,
        lines=tariff_lines,
        products=products,
        unscoped=unscoped,
        by_product=by_product,
        excluded_products=excluded_products,
        excluded_origins=excluded_origins,
    )


# A candidate's cache key: its rate period's id, the product prefix it matched (None for an
# all-goods measure) and the excluded origins that concern the line's origin.
_CandidateKey = tuple[int, str | None, frozenset[str]]


class _Contexts:
    """Each line's `Context`, as the single lookup's `load` would build it, from the entry's
    loaded rows.

    Most of an entry's lines share their importer and origin, and so the all-goods measures
    that could apply to them (about 150 rows for the US); and a rate period becomes the same
    Candidate for every line it matches the same way. So the all-goods rows are filtered on
    the origin once per (importer, origin), each Candidate is built once per
    (row, matched product, excluded origins), and a context once per (importer, origin, hs).
    """

    def __init__(self, loaded: _Loaded, on: dt.date) -> None:
        self._loaded = loaded
        self._on = on
        self._contexts: dict[tuple[str, str, str], Context | LineError] = {}
        self._candidates: dict[_CandidateKey, Candidate] = {}
        # Per (importer, origin): the all-goods rows on the origin (or a bloc it belonged
        # to) or on all origins, each with the products it excludes and its Candidate.
        self._all_goods: dict[tuple[str, str], list[tuple[set[str], Candidate]]] = {}
        # A measure's `waived_by`, `yields_to` and `yields_content_to` come as JSON text, and
        # few distinct lists ("[]" above all) recur across thousands of rows: each text is
        # parsed once.
        self._code_sets: dict[str, frozenset[str]] = {}

    def get(self, line: Line) -> Context | LineError:
        key = (line.importer, line.origin, line.hs)
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = self._build(line)
        return context

    def _candidate(self, row: tuple[Any, ...], matched: str | None, origins: set[str]) -> Candidate:
        excluded = frozenset(origins.intersection(self._loaded.excluded_origins.get(row[5], ())))
        key = (row[0], matched, excluded)
        candidate = self._candidates.get(key)
        if candidate is None:
            candidate = self._candidates[key] = _candidate(
                row,
                matched,
                excluded,
                waived_by=self._codes(row[14]),
                yields_to=self._codes(row[15]),
                yields_content_to=self._codes(row[23]),
            )
        return candidate

    def _codes(self, value: Any) -> frozenset[str]:
        if not isinstance(value, str):
            return frozenset(sql.as_list(value))
        codes = self._code_sets.get(value)
        if codes is None:
            codes = self._code_sets[value] = frozenset(sql.as_list(value))
        return codes

    def _origin_all_goods(
        self, importer: str, origin: str, origins: set[str]
    ) -> list[tuple[set[str], Candidate]]:
        key = (importer, origin)
        found = self._all_goods.get(key)
        if found is None:
            found = self._all_goods[key] = [
                (
                    self._loaded.excluded_products.get(row[5], set()),
                    self._candidate(row, None, origins),
                )
                for row in self._loaded.unscoped.get(importer, ())
                if row[11] is None or row[11] in origins
            ]
        return found

    def _build(self, line: Line) -> Context | LineError:
        loaded = self._loaded
        for field, code in (("importer", line.importer), ("origin", line.origin)):
            if code not in loaded.found:
                return LineError(field, f"Unknown economy code {code!r}.")
        prefixes = hs_prefixes(line.hs)
        memberships = loaded.memberships.get(line.origin, ())
        origins = {line.origin} | {m.bloc for m in memberships}

        candidates = [
            candidate
            for excluded_products, candidate in self._origin_all_goods(
                line.importer, line.origin, origins
            )
            if excluded_products.isdisjoint(prefixes)
        ]
        # The row of each product-scoped period with the longest of its products that is a
        # prefix: prefixes run from the shortest, so a later match is a longer one.
        matched: dict[int, tuple[tuple[Any, ...], str]] = {}
        for prefix in prefixes:
            for row in loaded.by_product.get((line.importer, prefix), ()):
                matched[row[0]] = (row, prefix)
        for row, matched_product in matched.values():
            if row[11] is not None and row[11] not in origins:
                continue
            if not loaded.excluded_products.get(row[5], set()).isdisjoint(prefixes):
                continue
            candidates.append(self._candidate(row, matched_product, origins))
        # The order the single lookup's query returns rows in is not defined either: the
        # rules decide by content, so the candidates' order cannot change an answer.
        candidates.sort(key=lambda c: c.rate_id)

        on = self._on
        has_tariff, has_measures, covers = loaded.flags.get(line.importer, (False, False, False))
        known_lines = loaded.lines.get(line.importer, {})
        # The longest of the code's prefixes that is a line in force on the date.
        line_on = next(
            (
                (code, known_lines[code][0])
                for code in reversed(prefixes)
                if code in known_lines and known_lines[code][1] <= on
            ),
            None,
        )
        line_found = (line.importer, line.hs) in loaded.under
        product_code = max((p for p in prefixes if p in loaded.products), default=None)
        product = (
            ProductRef(code=line_on[0], description=line_on[1])
            if line_on
            else ProductRef(code=product_code, description=loaded.products[product_code])
            if product_code
            else None
        )
        return Context(
            importer=line.importer,
            origin=line.origin,
            memberships=memberships,
            candidates=tuple(candidates),
            product=product,
            warnings=_question_warnings(
                importer=line.importer,
                hs=line.hs,
                has_tariff=has_tariff,
                line_found=line_found,
                product_code=product_code,
                has_measures=has_measures,
                data_covers=covers,
            ),
        )


def _candidate(
    row: tuple[Any, ...],
    matched: str | None,
    excluded: frozenset[str],
    *,
    waived_by: frozenset[str],
    yields_to: frozenset[str],
    yields_content_to: frozenset[str],
) -> Candidate:
    valid_from = sql.as_date(row[2])
    assert valid_from is not None
    return Candidate(
        rate_id=row[0],
        rate=sql.as_decimal(row[1]),
        valid_from=valid_from,
        valid_to=sql.as_date(row[3]),
        status=row[4],
        measure=row[5],
        title=row[6],
        legal_basis=row[7],
        instrument=row[8],
        program=row[9],
        kind=row[10],
        origin=row[11],
        agreement=row[12],
        matched_product=matched,
        excluded_origins=excluded,
        claim=row[13],
        waived_by=waived_by,
        yields_to=yields_to,
        yields_content_to=yields_content_to,
        basis=row[16],
        expression=row[17],
        specific_amount=sql.as_amount(row[18]),
        specific_currency=row[19],
        specific_unit=row[20],
    )

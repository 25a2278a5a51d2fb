"""Preferential base measures from the HTS's Special column, for the HTS import's pass.

"Free (A+,AU,BH,CL,...,KR,...)" says: goods that qualify under each program listed enter
at that duty when the importer claims it. Each (program indicator, duty, partner) becomes
a base measure with `claim` = the indicator and `origin` = the partner, over the 8-digit
lines printing that duty for it, one rate period per edition, as the Column 2 measures are
shaped (agreements.tariffs.imports): a measure's product list cannot change over time, so it
is part of the measure's identity (its slug carries a digest of duty and codes).

Which economies a program indicator stands for is read from the tariff itself, never
assumed: the HTS names the partner in the chapter 98 and 99 provisions printed for that
indicator ("Goods of Korea, under the terms of general note 33 ... Free (KR)"). PROGRAMS
lists the indicators so sourced, with the provision that names the partner. An indicator
whose partners the project's sources do not name is left out (UNSOURCED says which, and
README.md "Preferences"): no measure is generated for it, so claiming it changes nothing,
which is the truth for GSP (A, A+, A*) in 2025-26, whose authorization lapsed at the end of
2020 and has not been renewed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from agreements.models.choices import LegalBasis, MeasureKind
from agreements.tariffs.duties import parse_special

PROGRAM_PREFIX = "us-pref-"
SLUG_PREFIX = "us-pref-"


@dataclass(frozen=True)
class Program:
    """A Special-column indicator and the partners the HTS names for it."""

    code: str
    title: str
    partners: tuple[str, ...]
    # The HTS provision that names the partner for this indicator (HTS 2026 Basic Edition).
    evidence: str


PROGRAMS: dict[str, Program] = {
    program.code: program
    for program in (
        Program(
            "AU",
            "United States-Australia Free Trade Agreement",
            ("AU",),
            "9822.04: Goods of Australia, under the terms of general note 28 ... Free (AU)",
        ),
        Program(
            "CL",
            "United States-Chile Free Trade Agreement",
            ("CL",),
            "9822.02.01: Goods of Chile, under the terms of general note 26 ... Free (CL)",
        ),
        Program(
            "CO",
            "United States-Colombia Trade Promotion Agreement",
            ("CO",),
            "9822.08.01: Goods of Colombia ... as defined in general note 34 ... Free (CO)",
        ),
        Program(
            "IL",
            "United States-Israel Free Trade Area",
            ("IL",),
            "9908.04: Eligible products of Israel under the terms of note 1 ... (IL)",
        ),
        Program(
            "KR",
            "United States-Korea Free Trade Agreement",
            ("KR",),
            "9920.04.10: Goods of Korea, under the terms of general note 33 ... Free (KR)",
        ),
        Program(
            "MA",
            "United States-Morocco Free Trade Agreement",
            ("MA",),
            "9822.03.01: Goods of Morocco, under the terms of general note 27 ... Free (MA)",
        ),
        Program(
            "PA",
            "United States-Panama Trade Promotion Agreement",
            ("PA",),
            "9822.09: Goods of Panama, under the terms of general note 35 ... Free (PA)",
        ),
        Program(
            "PE",
            "United States-Peru Trade Promotion Agreement",
            ("PE",),
            "9822.06.10: Goods of Peru, under the terms of general note 32 ... Free (PE)",
        ),
        Program(
            "S",
            "United States-Mexico-Canada Agreement (USMCA)",
            ("CA", "MX"),
            "9823: Goods entered under the provisions of the US-Mexico-Canada Agreement under "
            "general note 11 ... Goods of Mexico ... Free (S+)",
        ),
        Program(
            "S+",
            "United States-Mexico-Canada Agreement (USMCA), S+ goods",
            ("CA", "MX"),
            "9823.01.01: Goods of Mexico or goods of the United States ... Free (S+) "
            "(US-Mexico-Canada Agreement, general note 11)",
        ),
    )
}

# Indicators printed in the Special column whose partners no source of the project names,
# and why they are not generated.
UNSOURCED: dict[str, str] = {
    "A": "GSP: authorization lapsed at the end of 2020; no beneficiary list sourced",
    "A+": "GSP (least-developed beneficiaries): as A",
    "A*": "GSP (beneficiaries excluded for some lines): as A",
    "BH": "Bahrain FTA: no provision of the sourced files ties BH to Bahrain",
    "D": "AGOA: the beneficiary list is not in the sourced files",
    "E": "CBERA: the beneficiary list is not tied to E in the sourced files",
    "E*": "CBERA (some beneficiaries excluded): as E",
    "JO": "Jordan FTA: no provision of the sourced files ties JO to Jordan",
    "OM": "Oman FTA: no provision of the sourced files ties OM to Oman",
    "P": "CAFTA-DR: its parties are defined in general note 29, not in the sourced files",
    "P+": "CAFTA-DR: as P",
    "SG": "Singapore FTA: no provision of the sourced files ties SG to Singapore",
}


class Wanted(Protocol):
    """What the HTS import collects per measure (agreements.tariffs.imports.WantedMeasure)."""

    rates: dict[dt.date, dict[str, Any]]
    sources: set[int]


@dataclass(frozen=True)
class Line:
    """The part of an HTS row this module reads."""

    code: str
    line: int
    special: str


def program_slug(code: str) -> str:
    """us-pref-kr, us-pref-s-plus, us-pref-a-star: a claim code as a program slug."""
    return PROGRAM_PREFIX + code.lower().replace("+", "-plus").replace("*", "-star")


def groups_by_program(lines: Iterable[Line]) -> dict[tuple[str, str], list[Line]]:
    """(indicator, duty as printed) -> the lines that print that duty for that indicator,
    for the sourced indicators only."""
    grouped: dict[tuple[str, str], list[Line]] = defaultdict(list)
    for line in lines:
        if not line.special:
            continue
        for group in parse_special(line.special):
            for code in group.programs:
                if code in PROGRAMS:
                    grouped[(code, group.duty.text)].append(line)
    return grouped


def want_measures(
    lines: Iterable[Line],
    *,
    valid_from: dt.date,
    valid_to: dt.date | None,
    locator: str,
    source_id: int,
    wanted: dict[str, Any],
    make: Any,
    rate_values: Any,
) -> None:
    """Add one edition's preferential periods to `wanted` (slug -> the import's
    WantedMeasure), building new ones with `make(slug=, fields=, products=,
    excluded_origins=)` and each period's fields with the import's `rate_values(duty,
    note)`, so preferential periods are stored exactly as the MFN ones are."""
    from agreements.tariffs.duties import parse_duty

    for (code, text), members in sorted(groups_by_program(lines).items()):
        program = PROGRAMS[code]
        codes = sorted({line.code for line in members})
        duty = parse_duty(text)
        digest = hashlib.sha1(
            "\n".join([code, text, *codes]).encode(), usedforsecurity=False
        ).hexdigest()[:12]
        for partner in program.partners:
            slug = f"{program_slug(code)}-{partner.lower()}-{digest}"
            measure = wanted.get(slug)
            if measure is None:
                measure = wanted[slug] = make(
                    slug=slug,
                    fields={
                        "title": f"US preferential duty, {program.title} ({code}): {text}"[:300],
                        "importer_id": "US",
                        "origin_id": partner,
                        "legal_basis": LegalBasis.PREFERENTIAL,
                        "instrument": f"HTSUS column 1 Special ({code})",
                        "program": program_slug(code),
                        "kind": MeasureKind.BASE,
                        "claim": code,
                        "basis": "value",
                        "note": (
                            f"The Special duty '{text}' for indicator {code} on "
                            f"{len(codes):,} eight-digit lines; {code} is "
                            f"{program.title}, partner named by HTS {program.evidence}."
                        )[:2000],
                    },
                    products=set(codes),
                    excluded_origins=set(),
                )
            measure.rates[valid_from] = {
                **rate_values(
                    duty, f"Special column ({code}) of {len(codes):,} lines of {locator}."
                ),
                "valid_to": valid_to,
            }
            measure.sources.add(source_id)

"""Duty expressions: every form the schedules print, and every duty of both HTS editions."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from agreements.tariffs.duties import Form, Part, SpecificDuty, parse_duty, parse_special

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
D = Decimal


@cache
def hts_rows(year: int) -> list[dict[str, str]]:
    raw = gzip.decompress((FIXTURES / f"us/hts_{year}_basic_edition.csv.gz").read_bytes())
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def usd(amount: str, unit: str, qualifier: str = "") -> SpecificDuty:
    return SpecificDuty(D(amount), "USD", unit, qualifier)


@pytest.mark.parametrize(
    ("text", "form", "ad_valorem", "specific"),
    [
        ("Free", Form.FREE, "0.00", None),
        ("6.8%", Form.AD_VALOREM, "6.80", None),
        ("0.4%", Form.AD_VALOREM, "0.40", None),
        ("4.4¢/kg", Form.SPECIFIC, "0.00", usd("0.044", "kg")),
        ("37.5¢/kg + 2.5%", Form.COMPOUND, "2.50", usd("0.375", "kg")),
        ("$1.035/kg", Form.SPECIFIC, "0.00", usd("1.035", "kg")),
        ("5¢/liter + 5.7%", Form.COMPOUND, "5.70", usd("0.05", "liter")),
        (
            "1.5¢/kg on drained weight",
            Form.SPECIFIC,
            "0.00",
            usd("0.015", "kg", "on drained weight"),
        ),
        (
            "8.6¢/kg on drained weight +1%",
            Form.COMPOUND,
            "1.00",
            usd("0.086", "kg", "on drained weight"),
        ),
        ("$1/doz. + 4%", Form.COMPOUND, "4.00", usd("1", "doz.")),
        ("25¢/doz. + 25%", Form.COMPOUND, "25.00", usd("0.25", "doz.")),
        ("2.1¢/pf.liter", Form.SPECIFIC, "0.00", usd("0.021", "pf.liter")),
        ("$1.32/pf. liter", Form.SPECIFIC, "0.00", usd("1.32", "pf.liter")),
        ("14.27¢/ liter", Form.SPECIFIC, "0.00", usd("0.1427", "liter")),
        ("38¢/m2", Form.SPECIFIC, "0.00", usd("0.38", "m2")),
        ("$1.27/m3", Form.SPECIFIC, "0.00", usd("1.27", "m3")),
        ("$4.95/t", Form.SPECIFIC, "0.00", usd("4.95", "t")),
        ("10.5¢/bbl", Form.SPECIFIC, "0.00", usd("0.105", "bbl")),
        ("68¢/head", Form.SPECIFIC, "0.00", usd("0.68", "head")),
        ("$1.58/pr. + 35%", Form.COMPOUND, "35.00", usd("1.58", "pr.")),
        ("3.3¢/lin. m", Form.SPECIFIC, "0.00", usd("0.033", "lin.m")),
        ("0.3¢/line/ gross + 4.5%", Form.COMPOUND, "4.50", usd("0.003", "line/gross")),
        ("10¢/1,000 pins + 3.5%", Form.COMPOUND, "3.50", usd("0.10", "1,000 pins")),
        ("$1.34/1000", Form.SPECIFIC, "0.00", usd("1.34", "1000")),
        ("$2.50/thou- sand + 40%", Form.COMPOUND, "40.00", usd("2.50", "thousand")),
        ("32¢ each", Form.SPECIFIC, "0.00", usd("0.32", "each")),
        ("$1 each + 4%", Form.COMPOUND, "4.00", usd("1", "each")),
        ("17.7¢/clean kg", Form.SPECIFIC, "0.00", usd("0.177", "kg", "clean")),
        (
            "6.3¢/kg, including weight of container",
            Form.SPECIFIC,
            "0.00",
            usd("0.063", "kg", "including weight of container"),
        ),
        (
            "86.1¢/m2of recording surface",
            Form.SPECIFIC,
            "0.00",
            usd("0.861", "m2", "of recording surface"),
        ),
        ("33 1/3%", Form.AD_VALOREM, "33.33", None),
        ("37 1/2%", Form.AD_VALOREM, "37.50", None),
        ("50%.", Form.AD_VALOREM, "50.00", None),
        ("20 percent of the fair retail value", Form.AD_VALOREM, "20.00", None),
        # The UK Global Tariff and the EU's CET print money per 100 kg, hl, items.
        (
            "8.3% + 14.9 EUR / 100 kg / net drained wt",
            Form.COMPOUND,
            "8.30",
            SpecificDuty(D("14.9"), "EUR", "100 kg", "net drained wt"),
        ),
        (
            "16.00% + 42.00 GBP/100kg mas",
            Form.COMPOUND,
            "16.00",
            SpecificDuty(D("42.00"), "GBP", "100 kg", "mas"),
        ),
        (
            "1.00 EUR / % vol / hl",
            Form.SPECIFIC,
            "0.00",
            SpecificDuty(D("1.00"), "EUR", "% vol/hl"),
        ),
        (
            "105.00 EUR / 1,000 items",
            Form.SPECIFIC,
            "0.00",
            SpecificDuty(D("105.00"), "EUR", "1,000 items"),
        ),
        ("2.5% on the value of the lead content", Form.AD_VALOREM, "2.50", None),
    ],
)
def test_forms(text: str, form: Form, ad_valorem: str, specific: SpecificDuty | None) -> None:
    duty = parse_duty(text)
    assert (duty.form, duty.ad_valorem, duty.specific) == (form, D(ad_valorem), specific)
    assert duty.text == text
    assert duty.reducible


def test_amounts_are_exact_decimals_from_the_printed_digits() -> None:
    duty = parse_duty("4.4¢/kg")
    assert duty.specific is not None
    assert str(duty.specific.amount) == "0.044"
    assert isinstance(duty.ad_valorem, Decimal)
    assert str(parse_duty("6.8%").ad_valorem) == "6.80"


def test_a_repeating_fraction_is_rounded_and_says_so() -> None:
    assert parse_duty("33 1/3%").rounded
    assert not parse_duty("37 1/2%").rounded


def test_qualifiers_are_kept() -> None:
    assert parse_duty("15% on the value of the lead content").ad_valorem_qualifier == (
        "on the value of the lead content"
    )
    assert parse_duty("6.5% on the entire set").ad_valorem_qualifier == "on the entire set"
    assert parse_duty("Free, under bond, as prescribed in U.S. note 1 to this subchapter").detail


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("The rate applicable to the natural juice in heading 2009", Form.REFERENCE),
        (
            "The rate applicable to each garment in the ensemble if separately entered",
            Form.REFERENCE,
        ),
        ("See additional U.S. note 5", Form.REFERENCE),
        ("No change", Form.REFERENCE),
        ("The duty provided in the applicable subheading", Form.REFERENCE),
        ("15¢ each + 2.3% + 0.8¢/jewel", Form.MULTI_PART),
        ("40¢ each + 6% on the case + 2.8% on the strap, band or bracelet", Form.MULTI_PART),
        ("3.1¢/liter + 22.1¢/pf. liter on ethyl alcohol content", Form.MULTI_PART),
        ("0.7¢/kg on copper content + 0.7¢/kg on lead content", Form.MULTI_PART),
        (
            "4.3817¢/kg less 0.0622005¢/kg for each degree under 100 degrees (and fractions of "
            "a degree in proportion) but not less than 2.831562¢/kg",
            Form.BOUNDED,
        ),
        (
            "6% + 2.3¢/jewel + 0.2¢ for each other piece or part, but if consisting in part of "
            "a plate or a set of plates the total duty shall not exceed the duty for the "
            "complete movement",
            Form.BOUNDED,
        ),
        ("3.80% MIN 0.40 EUR / 100 kg / gross", Form.BOUNDED),
        ("11.20% (01 JAN-31 APR, 01 AUG-31 DEC), 12.80% (01 MAY-31 JUL)", Form.SEASONAL),
        ("Entry Price", Form.UNPARSED),
        ("9.00% +  EA", Form.UNPARSED),
        (":", Form.UNPARSED),
        ("", Form.UNPARSED),
        ("12 apples", Form.UNPARSED),
    ],
)
def test_forms_kept_whole(text: str, form: Form) -> None:
    duty = parse_duty(text)
    assert duty.form == form
    assert not duty.reducible
    # Never a duty that looks like zero: no specific part, and the text is kept.
    assert duty.specific is None
    assert duty.text == text


def test_a_reference_keeps_its_additional_percentage() -> None:
    duty = parse_duty(
        "The duty provided in the applicable subheading + a duty of 50% upon the value of the "
        "steel content."
    )
    assert duty.form == Form.REFERENCE
    assert duty.ad_valorem == D("50.00")
    assert duty.ad_valorem_qualifier == "upon the value of the steel content"
    assert duty.reference == "The duty provided in the applicable subheading"


def test_bounds_are_parsed() -> None:
    duty = parse_duty("3.80% MIN 0.40 EUR / 100 kg / gross")
    assert duty.parts == (Part("ad_valorem", D("3.80")),)
    assert duty.minimum == (Part("specific", D("0.40"), "EUR", "100 kg", "gross"),)


def test_multi_part_keeps_every_part() -> None:
    duty = parse_duty("15¢ each + 2.3% + 0.8¢/jewel")
    assert duty.parts == (
        Part("specific", D("0.15"), "USD", "each"),
        Part("ad_valorem", D("2.30")),
        Part("specific", D("0.008"), "USD", "jewel"),
    )


def test_special_groups() -> None:
    groups = parse_special("Free (A+,AU,BH,CL,CO,D,E, IL,JO,KR,MA,OM,P,PA,PE,S, SG) 5% (AU,SG)")
    assert [(g.duty.form, g.duty.ad_valorem, g.programs) for g in groups] == [
        (
            Form.FREE,
            D("0.00"),
            (
                "A+",
                "AU",
                "BH",
                "CL",
                "CO",
                "D",
                "E",
                "IL",
                "JO",
                "KR",
                "MA",
                "OM",
                "P",
                "PA",
                "PE",
                "S",
                "SG",
            ),
        ),
        (Form.AD_VALOREM, D("5.00"), ("AU", "SG")),
    ]


def test_special_groups_with_specific_duties_and_references() -> None:
    groups = parse_special("Free (A*,AU,BH) 0.8¢/kg (JP) See 9823.01.01- 9823.02.03 (S+)")
    assert [g.programs for g in groups] == [("A*", "AU", "BH"), ("JP",), ("S+",)]
    assert groups[1].duty.specific == usd("0.008", "kg")
    assert groups[2].duty.form == Form.REFERENCE


def test_special_parenthesis_that_is_not_a_program_list_stays_in_the_text() -> None:
    groups = parse_special(
        "Free (AU,BH) A duty upon the value of the repairs or alterations (see U.S. note 3 of "
        "this subchapter) (B,C,)"
    )
    assert [g.programs for g in groups] == [("AU", "BH"), ("B", "C")]
    assert groups[1].duty.text.endswith("(see U.S. note 3 of this subchapter)")
    assert parse_special("Free") == parse_special("Free ")
    assert parse_special("Free")[0].programs == ()
    assert parse_special("") == []


# Real counts of each form, per column and edition. A parser change that moves a duty from
# one form to another shows up here, with the texts that moved.
GENERAL_FORMS = {
    2025: {
        "ad_valorem": 6220,
        "bounded": 14,
        "compound": 339,
        "free": 5978,
        "multi_part": 76,
        "reference": 222,
        "specific": 762,
    },
    2026: {
        "ad_valorem": 6240,
        "bounded": 14,
        "compound": 339,
        "free": 5978,
        "multi_part": 76,
        "reference": 446,
        "specific": 762,
    },
}
COLUMN2_FORMS = {
    2025: {
        "ad_valorem": 8094,
        "bounded": 14,
        "compound": 1203,
        "free": 875,
        "multi_part": 78,
        "reference": 1737,
        "specific": 1248,
        "unparsed": 2,
    },
    2026: {
        "ad_valorem": 8095,
        "bounded": 14,
        "compound": 1203,
        "free": 875,
        "multi_part": 78,
        "reference": 1975,
        "specific": 1248,
    },
}
COLUMN2_UNPARSED = {2025: [":", ":"], 2026: []}
SPECIAL_FORMS = {
    2025: {
        "ad_valorem": 183,
        "compound": 150,
        "free": 7928,
        "multi_part": 2,
        "reference": 2471,
        "specific": 233,
    },
    2026: {
        "ad_valorem": 173,
        "compound": 87,
        "free": 7514,
        "multi_part": 2,
        "reference": 2690,
        "specific": 137,
    },
}


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_general_duty_of_the_edition(year: int) -> None:
    duties = [
        parse_duty(r["General Rate of Duty"])
        for r in hts_rows(year)
        if r["General Rate of Duty"].strip()
    ]
    assert dict(Counter(d.form.value for d in duties)) == GENERAL_FORMS[year]
    assert [d.text for d in duties if d.form == Form.UNPARSED] == []


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_column2_duty_of_the_edition(year: int) -> None:
    duties = [
        parse_duty(r["Column 2 Rate of Duty"])
        for r in hts_rows(year)
        if r["Column 2 Rate of Duty"].strip()
    ]
    assert dict(Counter(d.form.value for d in duties)) == COLUMN2_FORMS[year]
    assert [d.text for d in duties if d.form == Form.UNPARSED] == COLUMN2_UNPARSED[year]


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_special_duty_of_the_edition(year: int) -> None:
    groups = [
        g
        for r in hts_rows(year)
        if r["Special Rate of Duty"].strip()
        for g in parse_special(r["Special Rate of Duty"])
    ]
    assert dict(Counter(g.duty.form.value for g in groups)) == SPECIAL_FORMS[year]
    assert [g.duty.text for g in groups if g.duty.form == Form.UNPARSED] == []
    # Every group of a chapter 1-97 line names its programs.
    for row in hts_rows(year):
        if row["HTS Number"][:2] not in ("98", "99") and row["Special Rate of Duty"].strip():
            assert all(g.programs for g in parse_special(row["Special Rate of Duty"])), row


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_specific_amount_fits_the_rate_field(year: int) -> None:
    # Rate.specific_amount keeps 8 decimal places.
    for row in hts_rows(year):
        for column in ("General Rate of Duty", "Column 2 Rate of Duty"):
            specific = parse_duty(row[column]).specific
            if specific is not None:
                assert specific.amount == specific.amount.quantize(D("0.00000001"))

"""Worked examples of the duty for a shipment, on the shipped data: real HTS lines (both
editions, cut to the lines named in HTS_LINES by tests/engine/conftest.py) under the real
2025-26 US measures of fixtures/us/measures/.

Every expected figure is worked out by hand from the published texts quoted beside it (the
HTS line's General and Special columns, the chapter 99 headings and notes, the White House
orders) and from API.md's rules: each component rounded half-up to cents, the total their
sum, the ad valorem equivalent (AVE) the total over the value x 100, and an all-in measure
over a specific or compound base topping up by the base's AVE. HTS line numbers are those
of usitc/hts_2025_basic_edition.csv and hts_2026_basic_edition.csv as published.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from agreements.engine import WarningCode, effective_rate
from agreements.engine.results import Shipment
from tests.api.conftest import CheckedClient

pytestmark = [pytest.mark.django_db, pytest.mark.facts, pytest.mark.usefixtures("hts_lines")]

D = Decimal
SEPT = dt.date(2025, 9, 15)
HTS_LINES = [
    "2202992800",  # milk-based drinks: a compound duty per liter
    "1806327000",  # chocolate: a compound duty per kg, under the EU all-in deal
    "9406200000",  # modular steel buildings: a Section 232 derivative on its steel content
    "9403200011",  # metal ironing boards: on both the steel and the aluminium derivative lists
    "9503000073",  # toys: duty-free, with the Mexican border duty
    "6109100012",  # cotton T-shirts: 16.5%, free under USMCA and the Korea agreement
    "7419200010",  # brass plumbing goods: Section 232 copper on its copper content
    "91021110",  # watches with gold- or silver-plated cases: a duty on the parts' values
]
EFFECTIVE = "/api/v1/rates/effective/"
BATCH = "/api/v1/rates/effective/batch/"


def ask(origin: str, hs: str, on: dt.date, claims: tuple[str, ...] = (), **shipment: str) -> Any:
    return effective_rate(
        importer="US",
        origin=origin,
        hs=hs,
        on=on,
        claims=claims,
        shipment=Shipment(**{k: v if k == "unit" else D(v) for k, v in shipment.items()}),  # type: ignore[arg-type]
    )


def amounts(result: Any) -> dict[str, Decimal | None]:
    return {c.program: c.duty_amount for c in result.duty.components}


def component(result: Any, program: str) -> Any:
    return next(c for c in result.duty.components if c.program == program)


def test_a_compound_duty_per_liter_and_on_the_value() -> None:
    # HTS 2202.99.28.00 (line 5038), "Other" non-alcoholic beverages containing milk:
    # General "23.5¢/liter + 14.9%". From the United Kingdom on 2025-09-15 the reciprocal
    # duty is 10% (EO 14326 of 2025-07-31, Annex I "United Kingdom 10%"; heading 9903.01.25).
    result = ask("GB", "2202992800", SEPT, value="12000.00", quantity="5000", unit="liter")
    assert component(result, "us-mfn").expression == "23.5¢/liter + 14.9%"
    # MFN: 5,000 liters x $0.235 = $1,175.00, plus 14.9% x $12,000.00 = $1,788.00:
    # $2,963.00. Reciprocal: 10% x $12,000.00 = $1,200.00. Total $4,163.00;
    # AVE 4,163 / 12,000 x 100 = 34.6916... -> 34.69.
    assert amounts(result) == {"us-mfn": D("2963.00"), "us-ieepa-reciprocal": D("1200.00")}
    assert result.duty.duty_amount == D("4163.00")
    assert result.duty.ad_valorem_equivalent == D("34.69")
    assert result.duty.complete
    # The percentage counts the ad valorem parts only: 14.9 + 10 = 24.90.
    assert result.duty.total_rate == D("24.90")
    # 50 hectoliters are the same 5,000 liters: the same duty.
    in_hl = ask("GB", "2202992800", SEPT, value="12000.00", quantity="50", unit="hl")
    assert in_hl.duty.duty_amount == D("4163.00")


def test_the_eu_all_in_deal_over_a_compound_base_tops_up_by_its_equivalent() -> None:
    # HTS 1806.32.70.00 (line 4169), chocolate not filled, under 21% milk solids:
    # General "37.2¢/kg + 6%". A good of Belgium (an EU member) on 2025-09-15: EO 14326,
    # Annex I, "European Union: Goods with Column 1 Duty Rate < 15%: 15% minus Column 1
    # Duty Rate", and "> 15%: 0%" (headings 9903.02.20 and 9903.02.19, 2026 edition lines
    # 33940-33941). Chapter 99 U.S. note 2(v)(xix) (chapter99_2026_rev_6_notes.txt lines
    # 13056-13064): for a specific or compound rate, "the ad valorem equivalent rate of duty
    # ... shall be determined by dividing the amount of duty payable under column 1-General
    # by the customs value of the good".
    result = ask("BE", "1806327000", SEPT, value="8000.00", quantity="1000", unit="kg")
    assert component(result, "us-mfn").expression == "37.2¢/kg + 6%"
    # Base: 1,000 kg x $0.372 = $372.00, plus 6% x $8,000.00 = $480.00: $852.00,
    # an AVE of 852 / 8,000 x 100 = 10.65%, under 15%. The deal adds 15% - 10.65% = 4.35%:
    # 15% x $8,000.00 - $852.00 = $1,200.00 - $852.00 = $348.00. Total $1,200.00 (15.00%).
    assert amounts(result) == {"us-mfn": D("852.00"), "us-ieepa-reciprocal": D("348.00")}
    assert component(result, "us-ieepa-reciprocal").applied_rate == D("4.35")
    assert result.duty.duty_amount == D("1200.00")
    assert result.duty.ad_valorem_equivalent == D("15.00")

    # Five times the weight at the same value: 5,000 x $0.372 = $1,860.00 + $480.00 =
    # $2,340.00, an AVE of 29.25%, at least 15%: the deal adds nothing (9903.02.19).
    heavy = ask("BE", "1806327000", SEPT, value="8000.00", quantity="5000", unit="kg")
    assert amounts(heavy) == {"us-mfn": D("2340.00"), "us-ieepa-reciprocal": D("0.00")}
    assert heavy.duty.duty_amount == D("2340.00")
    assert heavy.duty.ad_valorem_equivalent == D("29.25")


def test_a_section_232_steel_derivative_pays_on_its_steel_content() -> None:
    # HTS 9406.20.00.00 (line 31049), modular building units of steel: General "2.9%". A
    # derivative steel article of Annex I to the proclamation of 2025-02-10, outside chapter
    # 73, so from 2025-03-12 "the additional ad valorem duty shall apply only to the steel
    # content of the derivative steel article" (clause 16), at Proclamation 9705's 25% until
    # 2025-06-04. EO 14257 sec. 3(b)(ii) (2025-04-02) keeps "all articles and derivatives of
    # steel and aluminum subject to the duties imposed pursuant to section 232" out of the
    # reciprocal duty, so a German one on 2025-05-15 pays the two duties below and no other.
    on = dt.date(2025, 5, 15)
    result = ask("DE", "9406200000", on, value="50000.00", content_value="20000.00")
    steel = component(result, "us-s232-steel")
    assert steel.basis == "content"
    # MFN: 2.9% x $50,000.00 = $1,450.00. Section 232: 25% x $20,000.00 of steel =
    # $5,000.00. Total $6,450.00; AVE 6,450 / 50,000 x 100 = 12.90.
    assert amounts(result) == {"us-mfn": D("1450.00"), "us-s232-steel": D("5000.00")}
    assert result.duty.duty_amount == D("6450.00")
    assert result.duty.ad_valorem_equivalent == D("12.90")
    assert result.duty.complete
    # The percentage does not add a duty on part of the value: 2.9% only.
    assert result.duty.total_rate == D("2.90")
    # Without the steel content's value the amount is not guessed.
    unknown = ask("DE", "9406200000", on, value="50000.00")
    assert unknown.duty.duty_amount is None
    assert {w.code for w in unknown.duty.warnings} == {WarningCode.CONTENT_VALUE_MISSING}

    # HTS 9403.20.00 (line 30764), other metal furniture: General "Free"; in Annex I of both
    # proclamations of 2025-02-10 (steel) and 2025-02-11 (aluminium) outside chapters 73 and
    # 76, so charged on its steel content and on its aluminium content. One content value
    # cannot be both: 25% of $20,000.00 twice would be $10,000.00 for $20,000.00 of metal,
    # whatever the split. Neither is priced, and the answer says why.
    furniture = ask("DE", "9403200011", on, value="50000.00", content_value="20000.00")
    assert amounts(furniture) == {
        "us-mfn": D("0.00"),
        "us-s232-steel": None,
        "us-s232-aluminum": None,
    }
    assert {w.code for w in furniture.duty.warnings} == {WarningCode.CONTENT_VALUE_AMBIGUOUS}


def test_from_2025_06_04_the_reciprocal_duty_is_on_the_non_steel_value() -> None:
    # The same modular steel buildings (HTS 9406.20.00.00, line 31049, General "2.9%"), of
    # Germany, $50,000.00 of which $20,000.00 is steel. The proclamation of 2025-06-03
    # (Adjusting Imports of Aluminum and Steel), clause 1: 50% from 12:01 a.m. EDT 2025-06-04;
    # clause 6: "the non-aluminum, non-steel content of all aluminum and steel articles and
    # derivative articles shall be subject to tariffs pursuant to Executive Order 14257 ...
    # and any other applicable tariffs". Chapter 99 U.S. note 2(v)(vii) to subchapter III
    # (chapter99_2026_rev_6_notes.txt lines 12854-12857): the reciprocal headings "shall not
    # apply to the declared value of the steel content of the derivative iron or steel
    # products provided for in headings 9903.81.89, 9903.81.90, 9903.81.91 ... but such
    # additional duties shall apply to the non-steel content". Non-steel value: $50,000.00 -
    # $20,000.00 = $30,000.00.
    july = dt.date(2025, 7, 1)
    result = ask("DE", "9406200000", july, value="50000.00", content_value="20000.00")
    # MFN 2.9% x 50,000 = 1,450.00. Steel (heading 9903.81.91, "a duty of 50% upon the value
    # of the steel content"): 50% x 20,000 = 10,000.00. Reciprocal: before the EU deal, the
    # 10% of heading 9903.01.25 (EO 14257 as modified 2025-04-09): 10% x 30,000 = 3,000.00,
    # not 10% x 50,000 = 5,000.00. Total 14,450.00; AVE 14,450 / 50,000 x 100 = 28.90.
    assert amounts(result) == {
        "us-mfn": D("1450.00"),
        "us-s232-steel-content": D("10000.00"),
        "us-ieepa-reciprocal": D("3000.00"),
    }
    assert result.duty.duty_amount == D("14450.00")
    assert result.duty.ad_valorem_equivalent == D("28.90")
    assert result.duty.complete
    assert component(result, "us-ieepa-reciprocal").charged_on == "value_less_content"

    # On 2025-09-15 the EU deal: EO 14326, Annex I, "European Union: Goods with Column 1 Duty
    # Rate < 15%: 15% minus Column 1 Duty Rate" (heading 9903.02.20), charged on the same
    # non-steel value: (15% - 2.9%) x 30,000 = 12.1% x 30,000 = 3,630.00 (not 12.1% x 50,000 =
    # 6,050.00). Total 1,450.00 + 10,000.00 + 3,630.00 = 15,080.00; AVE 30.16.
    september = ask("DE", "9406200000", SEPT, value="50000.00", content_value="20000.00")
    assert amounts(september) == {
        "us-mfn": D("1450.00"),
        "us-s232-steel-content": D("10000.00"),
        "us-ieepa-reciprocal": D("3630.00"),
    }
    assert september.duty.duty_amount == D("15080.00")
    assert september.duty.ad_valorem_equivalent == D("30.16")

    # Without a shipment no percentage is right for the whole value: 2.9% is listed as the
    # total, the steel duty and the reciprocal duty are listed, not added, and each is said.
    rate_only = effective_rate(importer="US", origin="DE", hs="9406200000", on=SEPT)
    assert rate_only.duty.total_rate == D("2.90")
    assert not rate_only.duty.complete
    assert {w.code for w in rate_only.duty.warnings} == {
        WarningCode.CONTENT_BASIS,
        WarningCode.VALUE_LESS_CONTENT,
    }
    # Without the steel's value, neither the steel duty nor the reciprocal one is guessed.
    unknown = ask("DE", "9406200000", SEPT, value="50000.00")
    assert amounts(unknown)["us-ieepa-reciprocal"] is None
    assert unknown.duty.duty_amount is None


def test_copper_content_pays_copper_and_the_rest_pays_the_border_duty() -> None:
    # HTS 7419.20.00.10 (2026 edition line 23453), brass plumbing goods: General "Free"
    # (7419.20.00, line 23452). Copper proclamation of 2025-07-30, clause 4: "The non-copper
    # content of all copper articles subject to this proclamation shall be subject to
    # tariffs pursuant to Executive Order 14257 ... and any other applicable duties,
    # including those imposed by Executive Order 14193 ... (Northern Border)"; "The
    # additional duties described in clauses 1 through 3 ... shall apply only to the copper
    # content". Heading 9903.78.01 (line 34175): "a duty of 50% upon the value of the copper
    # content". A Canadian good, not claimed under USMCA, $10,000.00 of which $6,000.00 is
    # copper, on 2025-09-15: the Canada duty of heading 9903.01.10 is 35% from 2025-08-01
    # (EO of 2025-07-31), and Canada pays no reciprocal duty (heading 9903.01.26).
    result = ask("CA", "7419200010", SEPT, value="10000.00", content_value="6000.00")
    # Free; copper 50% x 6,000 = 3,000.00; border duty 35% x (10,000 - 6,000) = 1,400.00.
    # Total 4,400.00; AVE 44.00.
    assert amounts(result) == {
        "us-mfn": D("0.00"),
        "us-s232-copper": D("3000.00"),
        "us-ieepa-fentanyl": D("1400.00"),
    }
    assert result.duty.duty_amount == D("4400.00")
    assert result.duty.ad_valorem_equivalent == D("44.00")
    # Claiming USMCA (S) waives the border duty (heading 9903.01.14), not the copper duty.
    claimed = ask(
        "CA", "7419200010", SEPT, claims=("S",), value="10000.00", content_value="6000.00"
    )
    assert claimed.duty.duty_amount == D("3000.00")


def test_a_usmca_claim_removes_the_mexican_border_duty() -> None:
    # HTS 9503.00.00 (line 31059), toys: General "Free". Goods of Mexico pay 25% more
    # (heading 9903.01.01, 2026 edition line 33846; 25% from 2025-06-04), except
    # "articles that are entered free of duty as a good of Mexico under the terms of general
    # note 11" (USMCA, claimed as S or S+): EO of 2025-03-06 (southern border), sec. 2(a).
    unclaimed = ask("MX", "9503000073", SEPT, value="20000.00")
    # Free + 25% x $20,000.00 = $5,000.00 (25.00%).
    assert amounts(unclaimed) == {"us-mfn": D("0.00"), "us-ieepa-fentanyl": D("5000.00")}
    assert unclaimed.duty.duty_amount == D("5000.00")
    assert unclaimed.duty.ad_valorem_equivalent == D("25.00")
    offers = {o.claim: o for o in unclaimed.available_claims}
    assert (offers["S"].duty_amount, offers["S"].saving) == (D("0.00"), D("5000.00"))
    claimed = ask("MX", "9503000073", SEPT, claims=("S",), value="20000.00")
    assert amounts(claimed) == {"us-mfn": D("0.00")}
    assert claimed.duty.duty_amount == D("0.00")

    # HTS 6109.10.00 (line 16215), cotton T-shirts: General "16.5%", Special "Free (AU,BH,
    # CL,CO,IL,JO,KR,MA,OM,P,PA,PE,S,SG)". 100 dozen men's T-shirts worth $12,000.00:
    # 16.5% = $1,980.00 + 25% = $3,000.00: $4,980.00 (41.50%). Claiming S takes off both.
    shirts = ask("MX", "6109100012", SEPT, value="12000.00", quantity="100", unit="doz.")
    assert amounts(shirts) == {"us-mfn": D("1980.00"), "us-ieepa-fentanyl": D("3000.00")}
    assert shirts.duty.ad_valorem_equivalent == D("41.50")
    usmca = ask("MX", "6109100012", SEPT, claims=("S",), value="12000.00")
    assert amounts(usmca) == {"us-pref-s": D("0.00")}
    assert usmca.duty.duty_amount == D("0.00")


def test_a_korea_fta_claim_lowers_the_base_but_not_the_reciprocal_duty() -> None:
    # HTS 6109.10.00 (line 16215): General "16.5%", Special "Free (...,KR,...)". Korea's
    # reciprocal rate from 2025-08-07 is 15% (EO 14326, Annex I "South Korea 15%"), which
    # no free trade agreement waives: "These country-specific ad valorem rates of duty shall
    # apply to all articles imported pursuant to the terms of all existing U.S. trade
    # agreements" (EO 14257 sec. 3(a)).
    unclaimed = ask("KR", "6109100012", SEPT, value="12000.00")
    # 16.5% x $12,000.00 = $1,980.00 + 15% x $12,000.00 = $1,800.00: $3,780.00 (31.50%).
    assert amounts(unclaimed) == {"us-mfn": D("1980.00"), "us-ieepa-reciprocal": D("1800.00")}
    assert unclaimed.duty.ad_valorem_equivalent == D("31.50")
    claimed = ask("KR", "6109100012", SEPT, claims=("KR",), value="12000.00")
    # Free + $1,800.00 = $1,800.00 (15.00%): the claim saves the base's $1,980.00 only.
    assert amounts(claimed) == {"us-pref-kr": D("0.00"), "us-ieepa-reciprocal": D("1800.00")}
    assert claimed.duty.ad_valorem_equivalent == D("15.00")
    offer = next(o for o in unclaimed.available_claims if o.claim == "KR")
    assert (offer.duty_amount, offer.saving) == (D("1800.00"), D("1980.00"))

    # From 2025-11-14 Korea's goods pay an all-in 15% instead: headings 9903.02.79 (a column
    # 1-General or column 1-Special rate of 15% or more: nothing added) and 9903.02.80 (under
    # 15%: "15%"), 2026 edition lines 34000-34001. Unclaimed, 16.5% >= 15%: $1,980.00 and
    # nothing added. Claimed, Free < 15%: 0 + (15% x $12,000.00 - 0) = $1,800.00. The claim
    # now saves only $1,980.00 - $1,800.00 = $180.00.
    december = dt.date(2025, 12, 1)
    plain = ask("KR", "6109100012", december, value="12000.00")
    assert amounts(plain) == {"us-mfn": D("1980.00"), "us-ieepa-reciprocal": D("0.00")}
    fta = ask("KR", "6109100012", december, claims=("KR",), value="12000.00")
    assert amounts(fta) == {"us-pref-kr": D("0.00"), "us-ieepa-reciprocal": D("1800.00")}
    offer = next(o for o in plain.available_claims if o.claim == "KR")
    assert offer.saving == D("180.00")


# Over HTTP: the same answers, as a client reads them.


def test_a_watch_duty_on_its_parts_is_said_not_answered_as_zero() -> None:
    # HTS 9102.11.10 (hts_2025_basic_edition.csv line 30149), General: "44¢ each + 6% on
    # the case + 14% on the strap, band or bracelet + 5.3% on the battery"; Special: "Free
    # (AU,BH, CL,CO,D,E,IL,JO,KR,MA,OM,P, PA,PE,R,S,SG)". The percentages are of the parts'
    # values, which a shipment does not give: the duty is its text, not a number.
    on = dt.date(2025, 3, 1)  # Before the reciprocal duty: only the base applies.
    plain = ask("JP", "91021110", on, value="1000", quantity="10", unit="No.")
    assert plain.duty.base_rate is None
    assert plain.duty.duty_amount is None
    assert not plain.duty.complete
    assert component(plain, "us-mfn").expression.startswith("44¢ each + 6% on the case")
    assert {w.code for w in plain.duty.warnings} == {"duty_as_text"}
    # Korea's agreement makes it free: a known base, so a known duty.
    claimed = ask("KR", "91021110", on, claims=("KR",), value="1000", quantity="10", unit="No.")
    assert (claimed.duty.base_rate, claimed.duty.duty_amount) == (D("0.00"), D("0.00"))
    assert claimed.duty.complete


def test_over_http_a_compound_duty_with_quantity_and_unit() -> None:
    client = CheckedClient()
    response = client.get(
        EFFECTIVE,
        {
            "importer": "US",
            "origin": "GB",
            "hs": "2202.99.28.00",
            "date": "2025-09-15",
            "value": "12000.00",
            "quantity": "5000",
            "unit": "liter",
        },
    )
    assert response.status_code == 200
    body = response.json()
    # The arithmetic of test_a_compound_duty_per_liter_and_on_the_value.
    assert [(c["program"], c["duty_amount"]) for c in body["components"]] == [
        ("us-mfn", "2963.00"),
        ("us-ieepa-reciprocal", "1200.00"),
    ]
    assert (body["duty_amount"], body["ad_valorem_equivalent"]) == ("4163.00", "34.69")
    assert body["complete"] is True


def test_over_http_an_entry_with_a_content_value_line() -> None:
    client = CheckedClient()
    body = {
        "date": "2025-05-15",
        "lines": [
            {
                "ref": "modules",
                "importer": "US",
                "origin": "DE",
                "hs": "9406200000",
                "value": "50000.00",
                "content_value": "20000.00",
            },
            {
                "ref": "chocolate",
                "importer": "US",
                "origin": "BE",
                "hs": "1806327000",
                "value": "8000.00",
                "quantity": "1000",
                "unit": "kg",
            },
        ],
    }
    response = client.post(BATCH, body, format="json")
    assert response.status_code == 200
    lines = {line["ref"]: line for line in response.json()["lines"]}
    # Modules: 2.9% x 50,000 = 1,450.00 + 25% x 20,000 of steel = 5,000.00: 6,450.00.
    modules = lines["modules"]["answer"]
    assert [(c["program"], c["duty_amount"]) for c in modules["components"]] == [
        ("us-mfn", "1450.00"),
        ("us-s232-steel", "5000.00"),
    ]
    assert modules["duty_amount"] == "6450.00"
    # Chocolate from Belgium on 2025-05-15, before the EU deal (2025-08-07): the 10%
    # baseline of EO 14257 (heading 9903.01.25) on top of the compound base: 372.00 +
    # 480.00 = 852.00, and 10% x 8,000 = 800.00: 1,652.00.
    chocolate = lines["chocolate"]["answer"]
    assert [(c["program"], c["duty_amount"]) for c in chocolate["components"]] == [
        ("us-mfn", "852.00"),
        ("us-ieepa-reciprocal", "800.00"),
    ]
    totals = response.json()["totals"]
    # 6,450.00 + 1,652.00 = 8,102.00 on 50,000 + 8,000 = 58,000.00.
    assert (totals["duty_amount"], totals["value"]) == ("8102.00", "58000.00")
    assert totals["complete"] is True

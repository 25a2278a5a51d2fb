"""The shipped fixtures hold the facts of shared/reference/facts-2025.md, each with sources."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlparse

import pytest

from agreements.models import (
    Agreement,
    AgreementStatus,
    Commitment,
    Extension,
    Measure,
    NegotiationRound,
    Rate,
    Source,
)

pytestmark = [pytest.mark.django_db, pytest.mark.facts]
D = dt.date


@pytest.mark.parametrize(
    ("as_of", "expiry", "status"),
    [
        (D(2025, 5, 12), D(2025, 8, 12), AgreementStatus.SIGNED),
        (D(2025, 5, 14), D(2025, 8, 12), AgreementStatus.IN_FORCE),
        # API.md: on 2025-08-01 the truce was due to expire on 2025-08-12.
        (D(2025, 8, 1), D(2025, 8, 12), AgreementStatus.IN_FORCE),
        (D(2025, 8, 11), D(2025, 11, 10), AgreementStatus.IN_FORCE),
        (D(2025, 11, 5), D(2026, 11, 10), AgreementStatus.IN_FORCE),
        (D(2026, 11, 10), D(2026, 11, 10), AgreementStatus.EXPIRED),
        (D(2025, 5, 1), D(2025, 8, 12), AgreementStatus.NOT_YET_ANNOUNCED),
    ],
)
def test_the_truce_expiry_as_known_on_each_date(
    as_of: dt.date, expiry: dt.date, status: AgreementStatus
) -> None:
    truce = Agreement.objects.prefetch_related("extensions").get(slug="us-cn-geneva-truce")
    assert truce.expiry_as_of(as_of) == expiry
    assert truce.status_as_of(as_of) == status


def test_the_truce_extensions_name_their_instruments() -> None:
    assert list(
        Extension.objects.filter(agreement__slug="us-cn-geneva-truce").values_list(
            "decided_on", "expires_on", "instrument"
        )
    ) == [
        (D(2025, 8, 11), D(2025, 11, 10), "EO 14334; Stockholm Joint Statement"),
        (D(2025, 11, 4), D(2026, 11, 10), "EO 14358; Kuala Lumpur Joint Arrangement"),
    ]


def test_the_six_us_china_rounds() -> None:
    assert list(
        NegotiationRound.objects.values_list("city", "venue_country", "start_date", "end_date")
    ) == [
        ("Geneva", "CH", D(2025, 5, 10), D(2025, 5, 11)),
        ("London", "GB", D(2025, 6, 9), D(2025, 6, 10)),
        ("Stockholm", "SE", D(2025, 7, 28), D(2025, 7, 29)),
        ("Madrid", "ES", D(2025, 9, 14), D(2025, 9, 15)),
        ("Kuala Lumpur", "MY", D(2025, 10, 25), D(2025, 10, 26)),
        ("Busan", "KR", D(2025, 10, 30), D(2025, 10, 30)),
    ]


def test_bessent_attended_every_round_and_he_lifeng_led_china_in_each() -> None:
    bessent = NegotiationRound.objects.filter(delegates__name="Scott Bessent")
    assert bessent.count() == 6
    led_by_he = NegotiationRound.objects.filter(
        delegates__name="He Lifeng", delegates__is_lead=True
    )
    assert list(led_by_he.values_list("city", flat=True)) == [
        "Geneva",
        "London",
        "Stockholm",
        "Madrid",
        "Kuala Lumpur",
    ]


def test_japan_pledged_550bn_and_the_dispute_is_recorded() -> None:
    pledge = Commitment.objects.get(slug="jp-us-investment-550bn")
    assert (pledge.pledger_id, pledge.beneficiary_id, pledge.kind) == ("JP", "US", "investment")
    assert (pledge.amount, pledge.currency) == (Decimal("550000000000.00"), "USD")
    assert pledge.agreement is not None
    assert pledge.agreement.slug == "us-jp-agreement"
    assert "Disputed nature" in pledge.note


@pytest.mark.parametrize(
    ("slug", "on", "rate"),
    [
        ("us-ieepa-fentanyl-cn", D(2025, 2, 4), "10.00"),
        ("us-ieepa-fentanyl-cn", D(2025, 11, 9), "20.00"),
        ("us-ieepa-fentanyl-cn-2025-11-10", D(2025, 11, 10), "10.00"),
        ("us-ieepa-reciprocal-cn-2025-04", D(2025, 4, 9), "84.00"),
        ("us-ieepa-reciprocal-cn-2025-04", D(2025, 4, 10), "125.00"),
        ("us-ieepa-reciprocal-cn-truce", D(2025, 5, 14), "10.00"),
        ("us-ieepa-reciprocal-jp-2025-04-09", D(2025, 4, 9), "24.00"),
        ("us-ieepa-reciprocal-eu-all-in", D(2025, 8, 7), "15.00"),
        ("us-s301-china-2025-step-50", D(2025, 1, 1), "50.00"),
        ("us-section-122-surcharge", D(2026, 2, 24), "10.00"),
        ("us-s232-steel-articles", D(2025, 6, 4), "50.00"),
        ("us-s232-steel-articles-mx-until-2025-06-04", D(2025, 6, 3), "25.00"),
        ("cn-countermeasure-no6-125", D(2025, 4, 12), "125.00"),
    ],
)
def test_measure_rates_on_key_dates(slug: str, on: dt.date, rate: str) -> None:
    period = Rate.objects.filter(measure__slug=slug, status="in_force").covering(on).get()
    assert period.rate == Decimal(rate)


@pytest.mark.parametrize(
    ("slug", "on"),
    [
        ("us-ieepa-reciprocal-cn-2025-04", D(2025, 5, 14)),  # Half-open: gone on its end day.
        ("us-ieepa-reciprocal-jp-2025-04-09", D(2025, 4, 10)),  # Paused from the next day.
        ("us-ieepa-fentanyl-cn-2025-11-10", D(2026, 2, 20)),  # IEEPA tariffs end with the ruling.
        ("us-ieepa-reciprocal-baseline", D(2026, 3, 1)),
        ("us-s232-steel-articles-mx-until-2025-06-04", D(2025, 6, 4)),
    ],
)
def test_no_in_force_rate_outside_its_period(slug: str, on: dt.date) -> None:
    assert not Rate.objects.filter(measure__slug=slug, status="in_force").covering(on).exists()


def test_the_april_country_rates_applied_for_one_day() -> None:
    # EO 14257's Annex I rates took effect on 2025-04-09 and were paused from 2025-04-10
    # (EO 14266) for every country but China (with Hong Kong and Macau).
    one_day = Rate.objects.filter(
        measure__program="us-ieepa-reciprocal", valid_from=D(2025, 4, 9), valid_to=D(2025, 4, 10)
    )
    rates = dict(one_day.values_list("measure__origin_id", "rate"))
    assert len(rates) > 50
    assert (rates["EU"], rates["JP"], rates["VN"], rates["CH"]) == (20, 24, 46, 31)
    in_force = Rate.objects.filter(measure__program="us-ieepa-reciprocal").covering(D(2025, 6, 1))
    assert sorted(in_force.values_list("measure__origin_id", flat=True), key=str) == [
        "CN",
        "HK",
        "MO",
        None,
    ]


def test_every_fixture_record_cites_a_source() -> None:
    for model in (Agreement, Extension, NegotiationRound, Commitment, Measure):
        unsourced = model.objects.filter(sources__isnull=True)
        assert not unsourced.exists(), f"{model.__name__} without a source: {list(unsourced)}"


def test_no_two_in_force_periods_of_a_measure_overlap() -> None:
    for period in Rate.objects.filter(status="in_force"):
        assert period.colliding_in_force_period() is None, period


def test_inferred_and_disputed_values_say_so() -> None:
    assert "inferred" in Agreement.objects.get(slug="us-gb-economic-prosperity-deal").note
    assert "inferred" in Measure.objects.get(slug="cn-countermeasure-no5-84").note
    assert "15%" in Measure.objects.get(slug="us-section-122-surcharge").note


def test_a_source_known_only_by_its_site_says_so() -> None:
    # The research notes name many news reports by site only; where a primary text of the
    # fact exists the fixtures cite it instead, and the rest say that only the site is known.
    for source in Source.objects.exclude(url=""):
        path = urlparse(source.url)
        if path.path in ("", "/") and not path.query:
            assert source.note.startswith("Only the site is known"), source.url
    assert not Source.objects.filter(url__in=["https://94ha.com/", "https://legistrack.com/"])
    geneva = Agreement.objects.get(slug="us-cn-geneva-truce").sources.values_list("url", flat=True)
    assert (
        "https://www.whitehouse.gov/briefings-statements/2025/05/joint-statement-on-u-s-china-"
        "economic-and-trade-meeting-in-geneva/"
    ) in geneva


def test_the_us_measure_files_are_loaded_with_their_scopes() -> None:
    list4a = Measure.objects.get(slug="us-s301-china-list4a")
    assert list4a.products.count() == 2964
    assert list4a.products.filter(code="61091000").exists()
    steel_mx = Measure.objects.get(slug="us-s232-steel-articles-mx-until-2025-06-04")
    assert steel_mx.yields_to[-1] == "us-ieepa-fentanyl"
    assert Measure.objects.get(slug="us-ieepa-fentanyl-mx").waived_by == ["S", "S+"]
    assert Measure.objects.get(slug="us-s232-copper").basis == "content"
    # Each cites its primary texts, some by their place in the official files.
    assert Source.objects.filter(measures__slug="us-s301-china-list4a").exclude(locator="")

"""Duty for a shipment over HTTP: rates/effective/ with value and quantity, and a whole entry
at rates/effective/batch/ (JSON and CSV). Synthetic economies; every JSON answer is checked
against the committed schema."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from agreements.api.engine import EntryLineSerializer, plain_line
from agreements.engine import shipment as money
from tests.api.conftest import CheckedClient
from tests.engine.conftest import BLOC, IMPORTER, ORIGIN, OTHER, make_duty

pytestmark = pytest.mark.django_db
EFFECTIVE = "/api/v1/rates/effective/"
BATCH = "/api/v1/rates/effective/batch/"
DATE = "2025-09-15"


@pytest.fixture(autouse=True)
def _world(economies: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(money.IMPORTER_CURRENCIES, IMPORTER, "USD")
    # Beef by weight (HTS 0201.10.05 "4.4¢/kg"), milk powder compound (0402.29.50), parts
    # at 2.5% with free KR and S preferences, a 10% duty on the origin's parts and milk,
    # 25% on another origin waived by S, a 50% content-basis duty on articles of steel.
    make_duty("4.4¢/kg", products=["020110"])
    make_duty("$1.104/kg + 14.9%", products=["040229"])
    make_duty("2.5%", products=["8708"])
    make_duty("Free", program="pref-kr", claim="KR", products=["8708"])
    make_duty("Free", program="pref-s", claim="S", products=["8708"])
    make_duty(
        "10%", kind="additional", program="reciprocal", origin=ORIGIN, products=["8708", "0402"]
    )
    make_duty("25%", kind="additional", program="border", origin=OTHER, waived_by=["S"])
    make_duty("Free", products=["7326"])
    make_duty("50%", kind="additional", program="steel", basis="content", products=["7326"])


@pytest.fixture
def client() -> CheckedClient:
    return CheckedClient()


def effective(client: CheckedClient, **params: Any) -> Any:
    return client.get(EFFECTIVE, {"importer": IMPORTER, "origin": ORIGIN, "date": DATE, **params})


def error_attrs(response: Any) -> set[str]:
    return {error["attr"] for error in response.json()["errors"]}


def test_a_shipment_gets_amounts_per_component_and_in_total(client: CheckedClient) -> None:
    response = effective(client, hs="0402.29.50", value="8000", quantity="2", unit="t")
    assert response.status_code == 200
    body = response.json()
    # 2 t = 2,000 kg x $1.104 = 2,208.00; 14.9% x 8,000 = 1,192.00; reciprocal 10% = 800.00.
    assert [c["duty_amount"] for c in body["components"]] == ["3400.00", "800.00"]
    assert body["duty_amount"] == "4200.00"
    assert body["ad_valorem_equivalent"] == "52.50"  # 4,200 / 8,000 x 100.
    assert (body["currency"], body["value"], body["unit"]) == ("USD", "8000.00", "t")
    assert body["quantity"] == "2.000000"
    assert body["complete"] is True


def test_without_a_shipment_the_amount_fields_are_null(client: CheckedClient) -> None:
    body = effective(client, hs="020110").json()
    assert body["duty_amount"] is None
    assert body["components"][0]["duty_amount"] is None
    assert body["complete"] is False
    assert [w["code"] for w in body["warnings"]] == ["specific_duty"]


def test_available_claims_say_how_much_they_save(client: CheckedClient) -> None:
    body = effective(client, hs="870899", value="1000.00").json()
    assert body["duty_amount"] == "125.00"  # 2.5% + 10% of 1,000.
    offers = {o["claim"]: o for o in body["available_claims"]}
    assert offers["KR"]["duty_amount"] == "100.00"
    assert offers["KR"]["saving"] == "25.00"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"value": "-1"}, "value"),
        ({"value": "10000000000000"}, "value"),
        ({"value": "1.001"}, "value"),
        ({"value": "abc"}, "value"),
        ({"value": "100", "quantity": "-5", "unit": "kg"}, "quantity"),
        ({"value": "100", "quantity": "5", "unit": "furlong"}, "unit"),
        ({"value": "100", "quantity": "5", "unit": "liter"}, "unit"),
        ({"value": "100", "quantity": "5"}, "unit"),
        ({"value": "100", "unit": "kg"}, "quantity"),
        ({"value": "100", "currency": "EUR"}, "currency"),
        ({"value": "100", "content_value": "200"}, "content_value"),
    ],
)
def test_bad_shipment_input_is_a_400_naming_the_field(
    client: CheckedClient, params: dict[str, str], field: str
) -> None:
    response = effective(client, hs="020110", **params)
    assert response.status_code == 400
    assert error_attrs(response) == {field}


def test_the_importers_currency_is_accepted_in_any_case(client: CheckedClient) -> None:
    assert effective(client, hs="020110", value="1", currency="usd").status_code == 200


def test_csv_answers_carry_the_amounts(client: CheckedClient) -> None:
    response = effective(client, hs="020110", value="500", quantity="100", unit="kg", format="csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["duty_amount"] == "4.40"
    assert rows[0]["component_duty_amount"] == "4.40"


# A whole entry.


def entry_lines() -> list[dict[str, Any]]:
    return [
        {"ref": "1", "hs": "020110", "value": "5000", "quantity": "1000", "unit": "kg"},
        {"ref": "2", "hs": "870899", "value": "1000.00"},
        {"ref": "3", "hs": "870899", "value": "1000.00", "claims": ["KR"]},
        {"ref": "4", "hs": "732690", "value": "10000", "content_value": "4000"},
        {"ref": "5", "hs": "870899", "value": "1000", "origin": OTHER, "claims": ["S"]},
        {"ref": "6", "hs": "040229", "value": "8000"},
    ]


def with_defaults(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"importer": IMPORTER, "origin": ORIGIN, **line} for line in lines]


def post(client: Any, body: Any, **kwargs: Any) -> Any:
    return client.post(BATCH, body, format="json", **kwargs)


def test_every_line_of_an_entry_equals_its_single_lookup(client: CheckedClient) -> None:
    lines = with_defaults(entry_lines())
    response = post(client, {"date": DATE, "lines": lines})
    assert response.status_code == 200
    body = response.json()
    assert [line["ref"] for line in body["lines"]] == ["1", "2", "3", "4", "5", "6"]
    for line, answered in zip(lines, body["lines"], strict=True):
        params = {k: v for k, v in line.items() if k not in ("ref", "claims")}
        single = client.get(EFFECTIVE, {**params, "date": DATE, "claim": line.get("claims", [])})
        assert answered["status"] == 200
        assert answered["answer"] == single.json(), line["ref"]


def test_an_entry_charges_a_content_yield_as_the_single_lookup_does(
    client: CheckedClient,
) -> None:
    # A duty that gives way to the steel duty on the steel content only: the batch reads
    # `yields_content_to` in its own query, and must answer as the single lookup.
    make_duty("10%", program="rest", kind="additional", origin=ORIGIN, yields_content_to=["steel"])
    line = {"ref": "s", "hs": "732690", "value": "10000.00", "content_value": "4000.00"}
    body = post(client, {"date": DATE, "lines": with_defaults([line])}).json()
    answer = body["lines"][0]["answer"]
    # Steel 50% x 4,000 = 2,000.00; the other duty 10% x (10,000 - 4,000) = 600.00.
    assert [(c["program"], c["charged_on"], c["duty_amount"]) for c in answer["components"]] == [
        ("mfn", "value", "0.00"),
        ("steel", "content", "2000.00"),
        ("rest", "value_less_content", "600.00"),
    ]
    single = effective(client, hs="732690", value="10000.00", content_value="4000.00")
    assert answer == single.json()


def test_entry_totals_sum_the_lines(client: CheckedClient) -> None:
    body = post(client, {"date": DATE, "lines": with_defaults(entry_lines())}).json()
    amounts = [line["answer"]["duty_amount"] for line in body["lines"]]
    # 44.00 (1,000 kg x 4.4¢) + 125.00 (2.5% + 10%) + 100.00 (KR: 10%) + 2,000.00 (50% of
    # 4,000 of steel) + 0.00 (USMCA: free, border duty waived) + unknown (no quantity).
    assert amounts == ["44.00", "125.00", "100.00", "2000.00", "0.00", None]
    totals = body["totals"]
    assert totals["duty_amount"] == "2269.00"
    assert totals["value"] == "26000.00"  # 5,000 + 1,000 x 3 + 10,000 + 8,000.
    assert (totals["answered"], totals["refused"], totals["incomplete"]) == (6, 0, 1)
    assert totals["complete"] is False
    assert totals["currency"] == "USD"


def test_body_claims_apply_unless_a_line_names_its_own(client: CheckedClient) -> None:
    lines = with_defaults(
        [
            {"ref": "a", "hs": "870899", "value": "1000"},
            {"ref": "b", "hs": "870899", "value": "1000", "claims": []},
        ]
    )
    body = post(client, {"date": DATE, "claims": ["KR"], "lines": lines}).json()
    assert [line["answer"]["claims"] for line in body["lines"]] == [["KR"], []]


def test_a_bad_line_is_refused_alone_naming_its_ref_and_field(client: CheckedClient) -> None:
    lines = with_defaults(
        [
            {"ref": "ok", "hs": "020110", "value": "10", "quantity": "1", "unit": "kg"},
            {"ref": "neg", "hs": "020110", "value": "-3"},
            {"ref": "unit", "hs": "020110", "value": "10", "quantity": "1", "unit": "liter"},
            {"ref": "cur", "hs": "020110", "value": "10", "currency": "GBP"},
            {"ref": "who", "hs": "020110", "value": "10", "origin": "XZ"},
            {"ref": "hs", "hs": "12x", "value": "10"},
            # A claim is the whole value, not a claim found inside it.
            {"ref": "claim", "hs": "020110", "value": "10", "claims": ["0S"]},
        ]
    )
    body = post(client, {"date": DATE, "lines": lines}).json()
    refused = {
        line["ref"]: {e["attr"] for e in line["error"]["errors"]}
        for line in body["lines"]
        if line["status"] == 400
    }
    assert refused == {
        "neg": {"value"},
        "unit": {"unit"},
        "cur": {"currency"},
        "who": {"origin"},
        "hs": {"hs"},
        "claim": {"claims.0"},
    }
    assert body["lines"][0]["answer"]["duty_amount"] == "0.04"
    assert (body["totals"]["answered"], body["totals"]["refused"]) == (1, 6)


@pytest.mark.parametrize(
    ("lines", "attr"),
    [
        ([{"ref": "1"}, {"ref": "1"}], "lines.1.ref"),
        ([{"ref": "1"}, {"hs": "020110"}], "lines.1.ref"),
        ([{"ref": str(n)} for n in range(1001)], "lines"),
        ([], "lines"),
    ],
)
def test_an_entry_that_cannot_be_read_is_refused_whole(
    client: CheckedClient, lines: list[dict[str, Any]], attr: str
) -> None:
    lines = with_defaults([{"hs": "020110", **line} for line in lines])
    response = post(client, {"date": DATE, "lines": lines})
    assert response.status_code == 400
    assert attr in error_attrs(response)


def csv_body(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def test_a_csv_entry_is_answered_like_a_json_one(client: CheckedClient) -> None:
    header = ["ref", "importer", "origin", "hs", "value", "quantity", "unit", "claims"]
    rows = [
        header,
        ["1", IMPORTER, ORIGIN, "0201.10", "5000", "1000", "kg", ""],
        ["2", IMPORTER, ORIGIN, "870899", "1000", "", "", "KR"],
    ]
    response = client.post(f"{BATCH}?date={DATE}", csv_body(rows), content_type="text/csv")
    assert response.status_code == 200
    body = response.json()
    assert [line["answer"]["duty_amount"] for line in body["lines"]] == ["44.00", "100.00"]
    as_json = post(
        client,
        {
            "date": DATE,
            "lines": with_defaults(
                [
                    {
                        "ref": "1",
                        "hs": "0201.10",
                        "value": "5000",
                        "quantity": "1000",
                        "unit": "kg",
                    },
                    {"ref": "2", "hs": "870899", "value": "1000", "claims": ["KR"]},
                ]
            ),
        },
    ).json()
    assert body == as_json


def test_a_csv_with_a_wrong_header_is_refused(client: CheckedClient) -> None:
    rows = [["ref", "importer", "origin", "hscode"], ["1", IMPORTER, ORIGIN, "020110"]]
    response = client.post(f"{BATCH}?date={DATE}", csv_body(rows), content_type="text/csv")
    assert response.status_code == 400
    assert error_attrs(response) == {"header"}
    assert "hscode" in response.json()["errors"][0]["detail"]


def test_format_csv_answers_a_row_per_line(client: CheckedClient) -> None:
    lines = with_defaults([*entry_lines()[:2], {"ref": "bad", "hs": "020110", "value": "-1"}])
    response = post(client, {"date": DATE, "lines": lines}, HTTP_ACCEPT="text/csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["ref"], r["status"], r["duty_amount"]) for r in rows] == [
        ("1", "200", "44.00"),
        ("2", "200", "125.00"),
        ("bad", "400", ""),
    ]
    assert rows[2]["error_field"] == "value"


def test_anyone_may_post_an_entry_even_a_signed_in_browser_without_csrf() -> None:
    body = {"date": DATE, "lines": with_defaults(entry_lines()[:1])}
    assert CheckedClient().post(BATCH, body, format="json").status_code == 200
    user = User.objects.create_user("reader", password="pw-not-secret")
    browser = CheckedClient(enforce_csrf_checks=True)
    browser.force_login(user)
    assert browser.post(BATCH, body, format="json").status_code == 200


def test_an_entry_costs_a_fixed_number_of_queries_whatever_its_size(
    client: CheckedClient,
) -> None:
    def queries(size: int) -> int:
        lines = [
            {**line, "ref": f"{n}-{line['ref']}", "value": str(100 + n)}
            for n in range(size)
            for line in with_defaults(entry_lines())
        ]
        with CaptureQueriesContext(connection) as captured:
            response = post(client, {"date": DATE, "lines": lines})
        assert response.status_code == 200
        return len(captured.captured_queries)

    small, large = queries(1), queries(150)
    assert small == large
    assert large <= 7


# A line in plain shapes is read without the serializer (agreements.api.engine.plain_line);
# it must read exactly as the serializer would, and leave every other line to it.
LINE_SERIALIZER = EntryLineSerializer()
# Up to the bound and past it (10**12), with up to the places a field keeps and one more.
plain_amount = st.one_of(
    st.builds(
        "{}{}".format,
        st.integers(0, 10**14),
        st.sampled_from(["", ".5", ".25", ".125", ".123456", ".1234567"]),
    ),
    st.integers(0, 10**14),
    st.sampled_from(["1000000000000", "1000000000000.01", "0001.50", "00000000000000.5"]),
)
plain_claim = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,4}[+*]?", fullmatch=True)
# Values in or near the plain shapes (some too long, too large or too precise) ...
plain_fields = {
    "ref": st.one_of(
        st.from_regex(r"[A-Za-z0-9 ]{1,70}", fullmatch=True),
        st.sampled_from(["x" * 64, "x" * 65, f" {'x' * 64} "]),
    ),
    "importer": st.from_regex(r"[A-Za-z]{2}", fullmatch=True),
    "origin": st.from_regex(r"[A-Za-z]{2}", fullmatch=True),
    "hs": st.from_regex(r"[0-9]{1,11}(\.[0-9]{2}){0,2}", fullmatch=True),
}
plain_shipment = {
    "value": plain_amount,
    "quantity": plain_amount,
    "content_value": plain_amount,
    "unit": st.sampled_from(["kg", " KG ", "liters", "pf.liter", "doz. prs.", "No.", "furlong"]),
    "currency": st.from_regex(r"[A-Za-z]{3}", fullmatch=True),
    "claims": st.one_of(
        # At most 20 claims: one short of it, at it and one over it.
        st.sampled_from([0, 1, 19, 20, 21]).flatmap(
            lambda n: st.lists(plain_claim, min_size=n, max_size=n)
        ),
        st.sampled_from(["S, KR", "S;kr A+", "", "S,,"]),
    ),
}
# ... and, for a field or two, anything else a client could send.
odd_text = st.text(st.sampled_from("aZ09 .,;+*-\x00\t\u00e9\u0131\ud800"), max_size=8)
odd_value = st.one_of(
    odd_text,
    st.sampled_from(["1e3", " 5", "NaN", "-0", "-1", " US", "\u0131t", "8542 31", "12x"]),
    st.integers(-5, 10**16),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(odd_text, max_size=3),
)
FIELDS = [*plain_fields, *plain_shipment]
raw_line = st.builds(
    lambda plain, odd, missing: {k: v for k, v in {**plain, **odd}.items() if k not in missing},
    st.fixed_dictionaries(plain_fields, optional=plain_shipment),
    st.one_of(st.just({}), st.dictionaries(st.sampled_from(FIELDS), odd_value, max_size=2)),
    st.one_of(st.just(set()), st.sets(st.sampled_from(FIELDS), max_size=1)),
)


def exact(params: dict[str, Any]) -> dict[str, str]:
    # repr tells Decimal("1.5") from Decimal("1.50"), which answer differently.
    return {name: repr(value) for name, value in params.items()}


LINE = {"ref": "1", "importer": "US", "origin": "CN", "hs": "854231"}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=raw_line)
# Each one past a bound of the plain shapes, always tried.
@example(raw={**LINE, "quantity": "5.1234567"})
@example(raw={**LINE, "value": "0.125"})
@example(raw={**LINE, "content_value": "1000000000000.01"})
@example(raw={**LINE, "quantity": 10**12 + 1})
@example(raw={**LINE, "claims": ["S"] * 21})
@example(raw={**LINE, "ref": "x" * 65})
@example(raw={**LINE, "hs": "85423100001"})
def test_a_plain_line_reads_as_the_serializer_reads_it(raw: dict[str, Any]) -> None:
    read = plain_line(raw)
    try:
        validated = LINE_SERIALIZER.run_validation(raw)
    except serializers.ValidationError:
        assert read is None
    else:
        assert read is None or exact(read) == exact(validated)


def test_a_usual_line_takes_the_plain_path() -> None:
    raw = {
        "ref": " 7 ",
        "importer": "us",
        "origin": "CN",
        "hs": "8542.31.00",
        "value": "1000.5",
        "quantity": 12,
        "unit": "kgs",
        "content_value": "10",
        "currency": "usd",
        "claims": "S kr",
    }
    read = plain_line(raw)
    assert read is not None
    assert exact(read) == exact(LINE_SERIALIZER.run_validation(raw))


def test_a_bloc_origin_and_the_lines_own_origin_are_respected(client: CheckedClient) -> None:
    # XB is in the bloc XE; a duty on the bloc applies to XB's line and not to XC's.
    make_duty("5%", kind="additional", program="bloc-duty", origin=BLOC)
    lines = with_defaults(
        [
            {"ref": "b", "hs": "870899", "value": "100"},
            {"ref": "c", "hs": "870899", "value": "100", "origin": OTHER},
        ]
    )
    body = post(client, {"date": DATE, "lines": lines}).json()
    programs = [
        sorted(c["program"] for c in line["answer"]["components"]) for line in body["lines"]
    ]
    assert programs == [["bloc-duty", "mfn", "reciprocal"], ["border", "mfn"]]


def test_a_vast_equivalent_on_a_tiny_value_is_answered_as_declared(
    client: CheckedClient,
) -> None:
    # Found by the property test below: a cent of milk powder by the million kilograms.
    # $1.104/kg x 1,000,000 kg = $1,104,000.00 plus 14.9% of $0.01 (0.00149, rounded to
    # $0.00): $1,104,000.00 on $0.01 is 11,040,000,000%, more digits than a rate has. The
    # checked client validates both answers against the committed schema.
    params = {"hs": "040229", "value": "0.01", "quantity": "1000000", "unit": "kg"}
    single = effective(client, **params).json()
    assert single["duty_amount"] == "1104000.00"
    assert single["ad_valorem_equivalent"] == "11040000000.00"
    body = post(client, {"date": DATE, "lines": with_defaults([{"ref": "a", **params}])}).json()
    assert body["lines"][0]["answer"]["ad_valorem_equivalent"] == "11040000000.00"


line_strategy = st.fixed_dictionaries(
    {
        "hs": st.sampled_from(["020110", "040229", "870899", "732690", "950300"]),
        "origin": st.sampled_from([ORIGIN, OTHER]),
        "value": st.integers(min_value=0, max_value=10**9).map(lambda c: str(Decimal(c) / 100)),
    },
    optional={
        "quantity": st.integers(min_value=1, max_value=10**6).map(str),
        "content_value": st.integers(min_value=0, max_value=100).map(str),
        "claims": st.lists(st.sampled_from(["KR", "S"]), max_size=2, unique=True),
    },
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(line_strategy, min_size=1, max_size=12))
def test_totals_equal_the_sum_of_the_lines(client: CheckedClient, lines: list[Any]) -> None:
    entry = [
        {
            "ref": str(n),
            "importer": IMPORTER,
            **line,
            **({"unit": "kg"} if "quantity" in line else {}),
        }
        for n, line in enumerate(lines)
    ]
    body = post(client, {"date": DATE, "lines": entry}).json()
    answered = [line["answer"] for line in body["lines"] if line["answer"] is not None]
    amounts = [Decimal(a["duty_amount"]) for a in answered if a["duty_amount"] is not None]
    values = [Decimal(a["value"]) for a in answered if a["value"] is not None]
    assert body["totals"]["answered"] + body["totals"]["refused"] == len(lines)
    if not answered:
        # Every line refused (a content value above the value, say): no currency, no sums.
        assert (body["totals"]["duty_amount"], body["totals"]["value"]) == (None, None)
        return
    assert Decimal(body["totals"]["duty_amount"]) == sum(amounts, Decimal(0))
    assert Decimal(body["totals"]["value"]) == sum(values, Decimal(0))


def test_the_admin_calculator_takes_value_and_quantity(admin_client: Any) -> None:
    question = {
        "importer": IMPORTER,
        "origin": ORIGIN,
        "hs": "0201.10",
        "date": DATE,
        "scenario": "in_force",
        "value": "5000",
        "quantity": "1",
        "unit": "t",
    }
    page = admin_client.get(reverse("admin:agreements_rate_effective"), question)
    assert page.status_code == 200
    # 1 t = 1,000 kg x $0.044 = $44.00.
    assert "Duty 44.00 USD" in page.content.decode()
    refused = admin_client.get(
        reverse("admin:agreements_rate_effective"), {**question, "unit": "liter"}
    )
    assert set(refused.context["form"].errors) == {"unit"}


def test_price_entry_prices_a_csv_file(tmp_path: Any) -> None:
    source = tmp_path / "lines.csv"
    source.write_bytes(
        csv_body(
            [
                ["ref", "importer", "origin", "hs", "value", "quantity", "unit", "claims"],
                ["1", IMPORTER, ORIGIN, "0201.10", "5000", "1000", "kg", ""],
                ["2", IMPORTER, ORIGIN, "870899", "1000", "", "", "KR"],
                ["3", IMPORTER, ORIGIN, "870899", "-1", "", "", ""],
            ]
        )
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("price_entry", str(source), "--date", DATE, stdout=out, stderr=err)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["ref"], r["status"], r["duty_amount"]) for r in rows] == [
        ("1", "200", "44.00"),
        ("2", "200", "100.00"),
        ("3", "400", ""),
    ]
    assert "USD: value 6000.00, duty 144.00" in err.getvalue()
    assert "1 refused" in err.getvalue()


def test_price_entry_refuses_a_wrong_header(tmp_path: Any) -> None:
    source = tmp_path / "lines.csv"
    source.write_bytes(csv_body([["ref", "importer", "origin", "code"], ["1", "XA", "XB", "1"]]))
    with pytest.raises(CommandError, match="unknown columns: code"):
        call_command("price_entry", str(source), "--date", DATE, "--no-progress")

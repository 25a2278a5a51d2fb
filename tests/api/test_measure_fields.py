"""A measure's claim, waivers, yields and basis on measures/: read, written, refused as 400s
naming the field, and no write that makes programs yield to each other in a cycle."""

from __future__ import annotations

from typing import Any

import pytest

from agreements.models import Measure, Rate, Source
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]

FIELDS = ("claim", "waived_by", "yields_to", "yields_content_to", "basis")


def new_measure(**fields: Any) -> dict[str, Any]:
    return {
        "slug": "xa-field-test",
        "title": "Field test",
        "importer": "XA",
        "origin": "XB",
        "legal_basis": "other",
        "instrument": "Test act",
        "program": "xa-field-test",
        "kind": "additional",
        "sources": [Source.objects.order_by("pk").values_list("pk", flat=True)[0]],
        **fields,
    }


def of(body: dict[str, Any]) -> dict[str, Any]:
    return {name: body[name] for name in FIELDS}


def test_each_field_is_read_as_stored(anonymous: Any) -> None:
    preference = factories.measure(
        "xa-kr-preference", kind="base", program="xa-kr", claim="KR", origin="XK"
    )
    surcharge = factories.measure(
        "xa-yielding-surcharge",
        program="xa-yielding",
        waived_by=["S", "S+"],
        yields_to=["xa-cars"],
        yields_content_to=["xa-steel-content"],
    )
    content = factories.measure("xa-steel-content", program="xa-steel-content", basis="content")

    assert of(anonymous.get(f"/api/v1/measures/{preference.pk}/").json()) == {
        "claim": "KR",
        "waived_by": [],
        "yields_to": [],
        "yields_content_to": [],
        "basis": "value",
    }
    assert of(anonymous.get(f"/api/v1/measures/{surcharge.pk}/").json()) == {
        "claim": None,  # Stored as "": no claim needed.
        "waived_by": ["S", "S+"],
        "yields_to": ["xa-cars"],
        "yields_content_to": ["xa-steel-content"],
        "basis": "value",
    }
    listed = anonymous.get("/api/v1/measures/", {"program": "xa-steel-content"}).json()
    assert [of(body) for body in listed["results"]] == [
        {
            "claim": None,
            "waived_by": [],
            "yields_to": [],
            "yields_content_to": [],
            "basis": "content",
        }
    ]
    assert content.pk == listed["results"][0]["id"]


def test_a_write_round_trips_in_the_stored_case(editor: Any, anonymous: Any) -> None:
    created = editor.post(
        "/api/v1/measures/",
        new_measure(
            claim=" kr ",
            waived_by=["s", "S+"],
            yields_to=["xa-cars"],
            yields_content_to=["xa-steel-content"],
            basis="value",
        ),
        format="json",
    )
    assert created.status_code == 201, created.json()
    expected = {
        "claim": "KR",
        "waived_by": ["S", "S+"],
        "yields_to": ["xa-cars"],
        "yields_content_to": ["xa-steel-content"],
        "basis": "value",
    }
    assert of(created.json()) == expected
    path = f"/api/v1/measures/{created.json()['id']}/"
    assert of(anonymous.get(path).json()) == expected
    stored = Measure.objects.get(slug="xa-field-test")
    assert (stored.claim, stored.waived_by) == ("KR", ["S", "S+"])


@pytest.mark.parametrize("none", [None, ""])
def test_no_claim_is_written_as_null_or_empty_and_read_as_null(editor: Any, none: Any) -> None:
    measure = factories.measure("xa-claimed", kind="base", program="xa-kr", claim="KR")
    response = editor.patch(f"/api/v1/measures/{measure.pk}/", {"claim": none}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["claim"] is None
    measure.refresh_from_db()
    assert measure.claim == ""


def test_a_full_replace_writes_every_field(editor: Any) -> None:
    measure = factories.measure("xa-replaced", program="xa-replaced", waived_by=["S"])
    payload = new_measure(
        slug="xa-replaced",
        program="xa-replaced",
        claim="a+",
        waived_by=[],
        yields_to=["xa-cars", "xa-chips"],
        yields_content_to=[],
        basis="content",
    )
    response = editor.put(f"/api/v1/measures/{measure.pk}/", payload, format="json")
    assert response.status_code == 200, response.json()
    assert of(response.json()) == {
        "claim": "A+",
        "waived_by": [],
        "yields_to": ["xa-cars", "xa-chips"],
        "yields_content_to": [],
        "basis": "content",
    }


TOO_MANY = 1001  # One over MAX_RELATED, the cap on every list a write carries.


@pytest.mark.parametrize(
    ("fields", "attr", "code"),
    [
        ({"claim": 5}, "claim", "invalid"),
        ({"claim": ["S"]}, "claim", "invalid"),
        ({"claim": "0S"}, "claim", "invalid"),
        ({"claim": "S++"}, "claim", "invalid"),
        ({"claim": "ABCDEFG"}, "claim", "max_length"),
        ({"waived_by": "S"}, "waived_by", "not_a_list"),
        ({"waived_by": None}, "waived_by", "null"),
        ({"waived_by": [5]}, "waived_by.0", "invalid"),
        ({"waived_by": [None]}, "waived_by.0", "null"),
        ({"waived_by": ["S", " "]}, "waived_by.1", "blank"),
        ({"waived_by": ["S", "K R"]}, "waived_by.1", "invalid"),
        ({"waived_by": ["ABCDEFG"]}, "waived_by.0", "max_length"),
        ({"waived_by": ["S", "s"]}, "waived_by", "duplicate"),
        ({"waived_by": ["S"] * TOO_MANY}, "waived_by", "max_length"),
        ({"yields_to": "xa-cars"}, "yields_to", "not_a_list"),
        ({"yields_to": {"xa-cars": True}}, "yields_to", "not_a_list"),
        ({"yields_to": [1]}, "yields_to.0", "invalid"),
        ({"yields_to": [""]}, "yields_to.0", "blank"),
        ({"yields_to": ["Not A Slug"]}, "yields_to.0", "invalid"),
        ({"yields_to": ["xa-cars", " xa-cars\n"]}, "yields_to", "duplicate"),  # Trimmed.
        ({"yields_to": ["x" * 121]}, "yields_to.0", "max_length"),
        ({"yields_to": ["xa-cars", "xa-cars"]}, "yields_to", "duplicate"),
        ({"yields_to": ["xa-cars"] * TOO_MANY}, "yields_to", "max_length"),
        ({"yields_to": ["xa-field-test"]}, "yields_to", "invalid"),  # Its own program.
        ({"yields_content_to": "xa-steel"}, "yields_content_to", "not_a_list"),
        ({"yields_content_to": [False]}, "yields_content_to.0", "invalid"),
        ({"yields_content_to": ["a", "a"]}, "yields_content_to", "duplicate"),
        ({"yields_content_to": ["xa-field-test"]}, "yields_content_to", "invalid"),
        (
            {"yields_to": ["xa-steel"], "yields_content_to": ["xa-steel"]},
            "yields_content_to",
            "invalid",
        ),
        ({"yields_content_to": ["xa-steel"], "kind": "base"}, "yields_content_to", "invalid"),
        ({"yields_content_to": ["xa-steel"], "basis": "content"}, "yields_content_to", "invalid"),
        ({"basis": "weight"}, "basis", "invalid_choice"),
    ],
)
def test_bad_shapes_are_400s_naming_the_field_and_write_nothing(
    editor: Any, fields: dict[str, Any], attr: str, code: str
) -> None:
    before = Measure.objects.count()
    response = editor.post("/api/v1/measures/", new_measure(**fields), format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert (attr, code) in [(error["attr"], error["code"]) for error in errors], errors
    assert Measure.objects.count() == before


def test_a_duplicate_names_the_repeated_items(editor: Any) -> None:
    response = editor.post(
        "/api/v1/measures/", new_measure(waived_by=["s", "S", "KR", "kr", "A"]), format="json"
    )
    assert response.json()["errors"] == [
        {
            "code": "duplicate",
            "detail": "Each item at most once; repeated: KR, S.",
            "attr": "waived_by",
        }
    ]


def test_a_bad_shape_in_a_patch_changes_nothing(editor: Any) -> None:
    measure = factories.measure("xa-patched", program="xa-patched", yields_to=["xa-cars"])
    title = measure.title
    response = editor.patch(
        f"/api/v1/measures/{measure.pk}/",
        {"title": "Changed", "yields_to": ["xa-patched"]},
        format="json",
    )
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["yields_to"]
    measure.refresh_from_db()
    assert (measure.title, measure.yields_to) == (title, ["xa-cars"])


# --- Cycles -------------------------------------------------------------------------------

ALWAYS = [("10", "2025-01-01", None)]


def chain(*programs: str, rates: Any = ALWAYS) -> list[Measure]:
    """One measure per program, each yielding to the next: a -> b -> c, the last to none."""
    return [
        factories.measure(
            f"{program}-measure",
            program=program,
            yields_to=programs[i + 1 : i + 2],
            rates=rates,
        )
        for i, program in enumerate(programs)
    ]


def refused(response: Any, attr: str) -> str:
    assert response.status_code == 400, response.json()
    (error,) = response.json()["errors"]
    assert (error["attr"], error["code"]) == (attr, "invalid")
    return str(error["detail"])


def test_a_two_step_cycle_is_refused_naming_it(editor: Any) -> None:
    _, last = chain("xa-a", "xa-b")
    response = editor.patch(
        f"/api/v1/measures/{last.pk}/", {"yields_to": ["xa-a"], "note": "x"}, format="json"
    )
    assert refused(response, "yields_to") == (
        "On 2025-01-01 programs would yield to each other in a cycle: xa-b -> xa-a -> xa-b "
        "(measure xa-b-measure of xa-b yields to xa-a; measure xa-a-measure of xa-a yields to "
        "xa-b). The rate engine could not tell which of them applies."
    )
    last.refresh_from_db()
    assert (last.yields_to, last.note) == ([], "")


def test_a_three_step_cycle_is_refused_naming_it(editor: Any) -> None:
    *_, last = chain("xa-a", "xa-b", "xa-c")
    payload = new_measure(slug=last.slug, program="xa-c", yields_to=["xa-cars", "xa-a"])
    response = editor.put(f"/api/v1/measures/{last.pk}/", payload, format="json")
    assert "xa-c -> xa-a -> xa-b -> xa-c" in refused(response, "yields_to")
    last.refresh_from_db()
    assert (last.yields_to, last.origin_id) == ([], "XB")


def test_a_chain_without_a_cycle_is_accepted(editor: Any) -> None:
    first, _, last = chain("xa-a", "xa-b", "xa-c")
    response = editor.patch(f"/api/v1/measures/{last.pk}/", {"yields_to": ["xa-d"]}, format="json")
    assert response.status_code == 200
    response = editor.patch(
        f"/api/v1/measures/{first.pk}/", {"yields_to": ["xa-b", "xa-c"]}, format="json"
    )
    assert response.status_code == 200


def test_moving_a_measure_into_the_cycle_program_is_refused(editor: Any) -> None:
    chain("xa-a", "xa-b")
    other = factories.measure("xa-z-measure", program="xa-z", yields_to=["xa-a"], rates=ALWAYS)
    response = editor.patch(f"/api/v1/measures/{other.pk}/", {"program": "xa-b"}, format="json")
    assert "xa-b -> xa-a -> xa-b" in refused(response, "yields_to")


def test_programs_of_another_importer_make_no_cycle(editor: Any) -> None:
    factories.measure("xb-a-measure", importer="XB", origin="XA", program="xa-a",
                      yields_to=["xa-b"], rates=ALWAYS)  # fmt: skip
    other = factories.measure("xa-b-measure", program="xa-b", rates=ALWAYS)
    response = editor.patch(f"/api/v1/measures/{other.pk}/", {"yields_to": ["xa-a"]}, format="json")
    assert response.status_code == 200


def test_measures_that_never_share_a_day_make_no_cycle(editor: Any) -> None:
    # As the Section 232 and border duties on Canada and Mexico did, either side of a date.
    factories.measure("xa-a-until", program="xa-a", yields_to=["xa-b"],
                      rates=[("10", "2025-01-01", "2025-06-04")])  # fmt: skip
    later = factories.measure("xa-b-from", program="xa-b", rates=[("10", "2025-06-04", None)])
    response = editor.patch(f"/api/v1/measures/{later.pk}/", {"yields_to": ["xa-a"]}, format="json")
    assert response.status_code == 200


def test_a_measure_without_periods_is_checked_when_one_is_written(editor: Any) -> None:
    chain("xa-a", "xa-b")
    fresh = editor.post(
        "/api/v1/measures/", new_measure(program="xa-b", yields_to=["xa-a"]), format="json"
    )
    assert fresh.status_code == 201  # No period yet: the engine can meet it on no day.
    before = Rate.objects.count()
    response = editor.post(
        "/api/v1/rates/",
        {"measure": fresh.json()["id"], "rate": "5.00", "valid_from": "2026-03-01"},
        format="json",
    )
    assert "On 2026-03-01 programs would yield to each other in a cycle" in refused(
        response, "valid_from"
    )
    assert Rate.objects.count() == before


def test_a_period_stretched_onto_a_cycle_is_refused(editor: Any) -> None:
    factories.measure("xa-a-until", program="xa-a", yields_to=["xa-b"],
                      rates=[("10", "2025-01-01", "2025-06-04")])  # fmt: skip
    later = factories.measure("xa-b-from", program="xa-b", yields_to=["xa-a"],
                              rates=[("10", "2025-06-04", None)])  # fmt: skip
    period = later.rates.get()
    response = editor.patch(
        f"/api/v1/rates/{period.pk}/", {"valid_from": "2025-05-01"}, format="json"
    )
    assert "On 2025-05-01 programs would yield" in refused(response, "valid_from")
    period.refresh_from_db()
    assert period.valid_from.isoformat() == "2025-06-04"


def test_suspended_and_announced_periods(editor: Any) -> None:
    # The engine never applies a suspended period, but applies an announced one in the
    # announced scenario: only the announced one can close a cycle.
    chain("xa-a", "xa-b")
    fresh = factories.measure("xa-b-later", program="xa-b", yields_to=["xa-a"])
    payload = {"measure": fresh.pk, "rate": "5.00", "valid_from": "2026-03-01"}
    suspended = editor.post("/api/v1/rates/", {**payload, "status": "suspended"}, format="json")
    assert suspended.status_code == 201
    announced = editor.post("/api/v1/rates/", {**payload, "status": "announced"}, format="json")
    refused(announced, "valid_from")


# --- The claim filter ----------------------------------------------------------------------


def test_the_claim_filter_matches_the_indicator_exactly_in_any_case(anonymous: Any) -> None:
    usmca = factories.measure("xa-usmca", kind="base", program="xa-usmca", claim="S")
    factories.measure("xa-usmca-plus", kind="base", program="xa-usmca", claim="S+")

    def slugs(claim: str) -> list[str]:
        response = anonymous.get("/api/v1/measures/", {"claim": claim})
        assert response.status_code == 200, response.json()
        return [body["slug"] for body in response.json()["results"]]

    assert slugs("s") == slugs("S") == [usmca.slug]
    assert slugs("s+") == ["xa-usmca-plus"]
    assert slugs("KR") == []


@pytest.mark.parametrize("claim", ["0S", "S S", "ABCDEFG", "S\x00"])
def test_a_malformed_claim_filter_is_a_400_naming_it(anonymous: Any, claim: str) -> None:
    response = anonymous.get("/api/v1/measures/", {"claim": claim})
    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {"claim"}

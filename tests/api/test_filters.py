"""Each filter of API.md: one request that matches and one that does not."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from django.test import Client

from agreements.api.urls import router
from agreements.models import Rate
from tests.api.schema import SCHEMA_FILE
from tests.factories import (
    BLOC_FRAMEWORK,
    DEAL,
    FRAMEWORK,
    INVESTMENT,
    PURCHASE,
    QUIET_DEAL,
    TRUCE,
)
from tradeapi.api.serializers import BLANK_MESSAGE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]


def keys(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return [
        str(item.get("slug") or item.get("code") or item.get("id"))
        for item in response.json()["results"]
    ]


# (resource, filter params that match, expected key in results, params that do not match),
# on the synthetic world of tests/factories.py.
CASES: list[tuple[str, dict[str, Any], str | None, dict[str, Any]]] = [
    ("economies", {"kind": "bloc"}, "XE", {"kind": "bloc", "search": "Genovia"}),
    ("economies", {"member_of": "xe"}, "XG", {"member_of": "XE", "search": "Dalmatia"}),
    ("economies", {"search": "Carpathia"}, "XC", {"search": "Atlantis"}),
    ("products", {"parent": "95.03"}, "950300", {"parent": "950300"}),
    (
        "products",
        {"level": "chapter", "search": "toys"},
        "95",
        {"level": "chapter", "prefix": "95.03"},
    ),
    ("products", {"prefix": "9503"}, "950300", {"prefix": "0000"}),
    ("products", {"search": "dolls"}, "950300", {"search": "Atlantis"}),
    ("sources", {"search": "Alphaville"}, None, {"search": "Atlantis"}),
    ("agreements", {"party": ["xa", "XB"]}, TRUCE, {"party": ["XA", "XC", "XB"]}),
    ("agreements", {"kind": "truce"}, TRUCE, {"kind": "other"}),
    (
        "agreements",
        {"status": "in_force", "as_of": "2025-06-01"},
        TRUCE,
        {"status": "in_force", "as_of": "2025-04-01"},
    ),
    (
        "agreements",
        {"active_on": "2025-09-01"},
        TRUCE,
        {"active_on": "2025-05-13", "kind": "truce"},
    ),
    ("agreements", {"search": "Seaview"}, BLOC_FRAMEWORK, {"search": "Atlantis"}),
    ("rounds", {"agreement": FRAMEWORK}, None, {"agreement": DEAL}),
    ("rounds", {"party": "xb", "city": "deltaport"}, None, {"party": "XC"}),
    ("rounds", {"official": "dana dole"}, None, {"official": "Nobody"}),
    ("rounds", {"city": "deltaport"}, None, {"city": "Atlantis"}),
    ("rounds", {"search": "Alphaville"}, None, {"search": "Atlantis"}),
    ("rounds", {"status": "held"}, None, {"status": "cancelled"}),
    ("rounds", {"from": "2025-10-01", "to": "2025-10-31"}, None, {"from": "2025-11-01"}),
    ("rounds", {"to": "2025-05-31"}, None, {"to": "2025-05-01"}),
    ("commitments", {"agreement": DEAL}, INVESTMENT, {"agreement": TRUCE}),
    (
        "commitments",
        {"pledger": "xc", "kind": "investment"},
        INVESTMENT,
        {"pledger": "XA"},
    ),
    ("commitments", {"kind": "export_control"}, None, {"kind": "investment", "pledger": "XB"}),
    ("commitments", {"search": "soybeans"}, PURCHASE, {"search": "Atlantis"}),
    ("measures", {"importer": "xb", "origin": "xa"}, None, {"importer": "XC"}),
    ("measures", {"origin": "xc"}, None, {"importer": "XB", "origin": "XC"}),
    ("measures", {"search": "Order R-1"}, None, {"search": "Atlantis"}),
    (
        "measures",
        {"legal_basis": "section_301", "hs": "8542.31"},
        None,
        {"legal_basis": "section_301", "hs": "9503"},
    ),
    (
        "measures",
        {"program": "xa-drugs", "active_on": "2025-03-05"},
        None,
        {"program": "xa-drugs", "active_on": "2025-01-01"},
    ),
    (
        "measures",
        {"agreement": DEAL},
        None,
        {"agreement": QUIET_DEAL, "legal_basis": "section_232"},
    ),
    (
        "rates",
        {"importer": "XA", "origin": "xb", "active_on": "2025-04-10", "legal_basis": "ieepa"},
        None,
        {"importer": "XA", "origin": "XB", "active_on": "2025-01-01", "legal_basis": "ieepa"},
    ),
    (
        "rates",
        {"hs": "120190", "importer": "XB"},
        None,
        {"hs": "9503", "importer": "XB", "legal_basis": "section_301"},
    ),
    ("rates", {"status": "suspended"}, None, {"status": "announced"}),
    ("rates", {"search": "reciprocal"}, None, {"search": "Atlantis"}),
    (
        "rates",
        {"agreement": TRUCE},
        None,
        {"agreement": QUIET_DEAL, "status": "suspended"},
    ),
]


@pytest.mark.parametrize(("resource", "match", "expected", "miss"), CASES)
def test_filter_matches_and_misses(
    anonymous: Any, resource: str, match: dict[str, Any], expected: str | None, miss: dict[str, Any]
) -> None:
    found = keys(anonymous.get(f"/api/v1/{resource}/", match))
    assert found, match
    if expected is not None:
        assert expected in found
    assert keys(anonymous.get(f"/api/v1/{resource}/", miss)) == []


def test_rates_measure_filter(anonymous: Any) -> None:
    measure = anonymous.get("/api/v1/measures/", {"search": "xa-reciprocal-xc-order-1"})
    measure_id = measure.json()["results"][0]["id"]
    periods = anonymous.get("/api/v1/rates/", {"measure": measure_id}).json()["results"]
    assert [(p["rate"], p["status"]) for p in periods] == [
        ("24.00", "in_force"),
        ("24.00", "suspended"),
    ]
    assert (
        keys(anonymous.get("/api/v1/rates/", {"measure": measure_id, "status": "announced"})) == []
    )


# Every filter a list offers, read from the views themselves (plus `search`).
def offered_filters() -> dict[str, set[str]]:
    offered = {}
    for prefix, viewset, _ in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        names: set[str] = set(filterset.base_filters) if filterset else set()
        offered[prefix] = names | ({"search"} if getattr(viewset, "search_fields", None) else set())
    return offered


def test_every_filter_has_a_matching_and_a_missing_case() -> None:
    used: dict[str, set[str]] = {}
    for resource, match, _, miss in CASES:
        used.setdefault(resource, set()).update(set(match) & set(miss))
    used.setdefault("rates", set()).add("measure")  # test_rates_measure_filter
    # The world has no claimed measure: test_measure_fields.py builds its own.
    used.setdefault("measures", set()).add("claim")
    for resource, names in offered_filters().items():
        assert names - {"as_of"} <= used.get(resource, set()), resource


def test_the_schema_documents_exactly_the_filters_the_lists_take() -> None:
    document = yaml.safe_load(SCHEMA_FILE.read_text())
    common = {"page", "page_size", "ordering", "search"}
    for resource, names in offered_filters().items():
        operation = document["paths"][f"/api/v1/{resource}/"]["get"]
        documented = {p["name"] for p in operation["parameters"] if p["in"] == "query"} - common
        extra = {"as_of"} if resource == "agreements" else set()
        extra |= {"format", "all"} if resource == "rates" else set()  # its CSV
        assert documented == names - {"search"} | extra, resource


def test_ordering_on_natural_keys(anonymous: Any) -> None:
    codes = keys(anonymous.get("/api/v1/economies/", {"ordering": "-code", "page_size": 3}))
    assert codes == ["XH", "XG", "XF"]
    slugs = keys(anonymous.get("/api/v1/agreements/", {"ordering": "slug", "page_size": 500}))
    assert slugs == sorted(slugs)
    response = anonymous.get("/api/v1/agreements/", {"ordering": "slug,-nonsense"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "invalid",
            "detail": "Cannot order by -nonsense; use one of slug, title, announced_on, "
            "effective_on, with a leading - for descending order.",
            "attr": "ordering",
        }
    ]


@pytest.mark.parametrize(
    ("url", "params", "attr"),
    [
        ("/api/v1/agreements/", {"as_of": "2025-02-30"}, "as_of"),
        ("/api/v1/agreements/", {"party": "ZZ"}, "party"),
        ("/api/v1/agreements/", {"kind": "treaty"}, "kind"),
        ("/api/v1/agreements/", {"active_on": "yesterday"}, "active_on"),
        ("/api/v1/rates/", {"hs": "95.0x"}, "hs"),
        ("/api/v1/rates/", {"measure": "abc"}, "measure"),
        ("/api/v1/rates/", {"measure": "999999"}, "measure"),
        ("/api/v1/rates/", {"measure": "9" * 30}, "measure"),
        ("/api/v1/rates/", {"agreement": "no-such-deal"}, "agreement"),
        ("/api/v1/rounds/", {"agreement": "no-such-deal"}, "agreement"),
        ("/api/v1/rounds/", {"status": "postponed"}, "status"),
        ("/api/v1/products/", {"parent": "0000"}, "parent"),
        ("/api/v1/products/", {"prefix": "95x"}, "prefix"),
        ("/api/v1/economies/", {"member_of": "XX"}, "member_of"),
        ("/api/v1/commitments/", {"kind": "gift"}, "kind"),
        ("/api/v1/measures/", {"ordering": "rate"}, "ordering"),
        ("/api/v1/rates/", {"page": "2.5"}, "page"),
        ("/api/v1/agreements/", {"search": "toys\x00"}, "search"),
        ("/api/v1/sources/", {"ordering": "\x00"}, "ordering"),
        ("/api/v1/rates/", {"page": "0"}, "page"),
        ("/api/v1/rates/", {"page_size": "-5"}, "page_size"),
        ("/api/v1/rates/", {"page_size": "501"}, "page_size"),
        ("/api/v1/rates/", {"page_size": "last"}, "page_size"),
        ("/api/v1/measures/", {"importer": "USA"}, "importer"),
        ("/api/v1/rounds/", {"from": "2025-13-01"}, "from"),
    ],
)
def test_malformed_filter_values_answer_400_naming_them(
    anonymous: Any, url: str, params: dict[str, str], attr: str
) -> None:
    response = anonymous.get(url, params)
    assert response.status_code == 400
    assert attr in [error["attr"] for error in response.json()["errors"]]


# What an operation needs besides the parameter under test, by its path in the schema.
SHIPMENT = {"importer": "XA", "origin": "XB", "hs": "9503"}
NEEDS = {
    "/api/v1/rates/effective/": SHIPMENT,
    "/api/v1/rates/timeline/": {**SHIPMENT, "from": "2025-01-01", "to": "2026-01-01"},
}
CSV_ENTRY = "ref,importer,origin,hs\r\n1,XA,XB,9503\r\n"


def query_parameters() -> list[tuple[str, str, str]]:
    """(method, path, name) of every query parameter the committed schema documents."""
    document = yaml.safe_load(SCHEMA_FILE.read_text())
    return [
        (method, path, parameter["name"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    ]


def ask(client: Any, method: str, path: str, params: dict[str, str]) -> Any:
    """The operation at `path` with `params`, its placeholders filled from the world."""
    rate = Rate.objects.order_by("pk")[0]
    url = path.replace("{slug}", TRUCE).replace("{id}", str(rate.pk))
    query = {**NEEDS.get(path, {}), **params}
    if method == "post":  # The batch's query parameters go with a CSV entry.
        return client.post(f"{url}?{urlencode(query)}", CSV_ENTRY, content_type="text/csv")
    return client.get(url, query)


@pytest.mark.parametrize(("method", "path", "name"), query_parameters())
@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_query_parameter_is_a_400_naming_it_but_search(
    editor: Any, method: str, path: str, name: str, blank: str
) -> None:
    # Read as "not given", a blank would quietly answer every row, or today, or page 1.
    response = ask(editor, method, path, {name: blank})
    if name == "search":  # No words to look for: every record, as without the parameter.
        assert response.status_code == 200
        assert response.json() == ask(editor, method, path, {}).json()
        return
    assert response.status_code == 400, (path, name)
    assert response.json()["errors"] == [{"code": "blank", "detail": BLANK_MESSAGE, "attr": name}]


@pytest.mark.parametrize(
    ("url", "params", "attr"),
    [
        # Not a documented parameter there, but every operation takes it.
        ("/api/v1/agreements/", {"format": ""}, "format"),
        ("/api/v1/agreements/", {"party": ["XA", ""]}, "party"),
        ("/api/v1/rates/effective/", {**SHIPMENT, "claim": ["S", " "]}, "claim"),
        ("/api/v1/rounds/", {"status": "held", "from": ["2025-01-01", ""]}, "from"),
    ],
)
def test_a_blank_among_several_values_or_an_undocumented_format_is_refused(
    anonymous: Any, url: str, params: dict[str, Any], attr: str
) -> None:
    response = anonymous.get(url, params)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"code": "blank", "detail": BLANK_MESSAGE, "attr": attr}]


def test_unknown_urls_under_api_are_json_404(anonymous: Any) -> None:
    for path in ("/api/v1/nothing/", "/api/v2/agreements/", "/api/", "/api/v1/agreements/nope/"):
        response = anonymous.get(path)
        assert response.status_code == 404
        assert response.json()["type"] == "client_error"


def test_a_write_to_an_unknown_url_is_a_json_404_without_a_csrf_cookie(db: Any) -> None:
    # A token client sends no CSRF cookie; a key the router cannot match (not an id) must
    # still get the JSON 404, not Django's HTML CSRF page.
    client = Client(enforce_csrf_checks=True)
    response = client.patch("/api/v1/sources/1.5e-7/", "{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"

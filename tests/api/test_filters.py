"""Each filter of API.md: one request that matches and one that does not."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from agreements.api.urls import router
from tests.api.schema import SCHEMA_FILE

pytestmark = pytest.mark.django_db


def keys(response: Any) -> list[str]:
    assert response.status_code == 200, response.json()
    return [
        str(item.get("slug") or item.get("code") or item.get("id"))
        for item in response.json()["results"]
    ]


# (resource, filter params that match, expected key in results, params that do not match)
CASES: list[tuple[str, dict[str, Any], str | None, dict[str, Any]]] = [
    ("economies", {"kind": "bloc"}, "EU", {"kind": "bloc", "search": "Germany"}),
    ("economies", {"member_of": "eu"}, "DE", {"member_of": "EU", "search": "United Kingdom"}),
    ("economies", {"search": "Japan"}, "JP", {"search": "Atlantis"}),
    ("products", {"parent": "95.03"}, "950300", {"parent": "950300"}),
    (
        "products",
        {"level": "chapter", "search": "toys"},
        "95",
        {"level": "chapter", "prefix": "95.03"},
    ),
    ("products", {"prefix": "9503"}, "950300", {"prefix": "0000"}),
    ("products", {"search": "dolls"}, "950300", {"search": "Atlantis"}),
    ("sources", {"search": "Geneva"}, None, {"search": "Atlantis"}),
    ("agreements", {"party": ["us", "CN"]}, "us-cn-geneva-truce", {"party": ["US", "JP", "CN"]}),
    ("agreements", {"kind": "truce"}, "us-cn-geneva-truce", {"kind": "other"}),
    (
        "agreements",
        {"status": "in_force", "as_of": "2025-06-01"},
        "us-cn-geneva-truce",
        {"status": "in_force", "as_of": "2025-04-01"},
    ),
    (
        "agreements",
        {"active_on": "2025-09-01"},
        "us-cn-geneva-truce",
        {"active_on": "2025-05-13", "kind": "truce"},
    ),
    ("agreements", {"search": "Turnberry"}, "us-eu-framework", {"search": "Atlantis"}),
    ("rounds", {"agreement": "us-cn-london-framework"}, None, {"agreement": "us-jp-agreement"}),
    ("rounds", {"party": "cn", "city": "madrid"}, None, {"party": "JP"}),
    ("rounds", {"official": "liao min"}, None, {"official": "Akazawa"}),
    ("rounds", {"city": "madrid"}, None, {"city": "Atlantis"}),
    ("rounds", {"search": "Geneva"}, None, {"search": "Atlantis"}),
    ("rounds", {"status": "held"}, None, {"status": "cancelled"}),
    ("rounds", {"from": "2025-10-01", "to": "2025-10-31"}, None, {"from": "2025-11-01"}),
    ("rounds", {"to": "2025-05-31"}, None, {"to": "2025-05-01"}),
    (
        "commitments",
        {"agreement": "us-jp-agreement"},
        "jp-us-investment-550bn",
        {"agreement": "us-cn-geneva-truce"},
    ),
    (
        "commitments",
        {"pledger": "jp", "kind": "investment"},
        "jp-us-investment-550bn",
        {"pledger": "US"},
    ),
    ("commitments", {"kind": "export_control"}, None, {"kind": "investment", "pledger": "CN"}),
    ("commitments", {"search": "soybeans"}, "cn-us-soybeans-2026-2028", {"search": "Atlantis"}),
    ("measures", {"importer": "cn", "origin": "us"}, None, {"importer": "JP"}),
    ("measures", {"origin": "jp"}, None, {"importer": "CN", "origin": "JP"}),
    ("measures", {"search": "EO 14257"}, None, {"search": "Atlantis"}),
    (
        "measures",
        {"legal_basis": "section_301", "hs": "8542.31.00"},  # The US measures name HTS lines.
        None,
        {"legal_basis": "section_301", "hs": "9503"},
    ),
    (
        "measures",
        {"program": "us-ieepa-fentanyl", "active_on": "2025-03-05"},
        None,
        {"program": "us-ieepa-fentanyl", "active_on": "2025-01-01"},
    ),
    (
        "measures",
        {"agreement": "us-jp-agreement"},
        None,
        {"agreement": "us-ph-agreement", "legal_basis": "section_232"},
    ),
    (
        "rates",
        {"importer": "US", "origin": "cn", "active_on": "2025-04-10", "legal_basis": "ieepa"},
        None,
        {"importer": "US", "origin": "CN", "active_on": "2025-01-01", "legal_basis": "ieepa"},
    ),
    (
        "rates",
        {"hs": "120190", "importer": "CN"},
        None,
        {"hs": "9503", "importer": "CN", "legal_basis": "section_301"},
    ),
    ("rates", {"status": "in_force"}, None, {"status": "announced"}),
    ("rates", {"search": "reciprocal"}, None, {"search": "Atlantis"}),
    (
        "rates",
        {"agreement": "us-cn-geneva-truce"},
        None,
        {"agreement": "us-vn-agreement", "status": "suspended"},
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
    measure = anonymous.get("/api/v1/measures/", {"search": "us-ieepa-reciprocal-jp-2025-04-09"})
    measure_id = measure.json()["results"][0]["id"]
    periods = anonymous.get("/api/v1/rates/", {"measure": measure_id}).json()["results"]
    assert [(p["rate"], p["status"]) for p in periods] == [("24.00", "in_force")]
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
    for resource, names in offered_filters().items():
        assert names - {"as_of"} <= used.get(resource, set()), resource


def test_the_schema_documents_exactly_the_filters_the_lists_take() -> None:
    document = yaml.safe_load(SCHEMA_FILE.read_text())
    common = {"page", "page_size", "ordering", "search"}
    for resource, names in offered_filters().items():
        operation = document["paths"][f"/api/v1/{resource}/"]["get"]
        documented = {p["name"] for p in operation["parameters"] if p["in"] == "query"} - common
        extra = {"as_of"} if resource == "agreements" else set()
        extra |= {"format"} if resource == "rates" else set()
        assert documented == names - {"search"} | extra, resource


def test_ordering_on_natural_keys(anonymous: Any) -> None:
    codes = keys(anonymous.get("/api/v1/economies/", {"ordering": "-code", "page_size": 3}))
    assert codes == ["ZW", "ZM", "ZA"]
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


def test_unknown_urls_under_api_are_json_404(anonymous: Any) -> None:
    for path in ("/api/v1/nothing/", "/api/v2/agreements/", "/api/", "/api/v1/agreements/nope/"):
        response = anonymous.get(path)
        assert response.status_code == 404
        assert response.json()["type"] == "client_error"

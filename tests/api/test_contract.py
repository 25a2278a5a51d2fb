"""One declarative contract per resource; shared tests hold every resource to it.

A resource declares its URL, how to find an instance in the seeded data, valid create and
update payloads and the exact key set of its representation; the tests below then check
list, detail, create, update, delete, the permission matrix and bounded query counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models import Model

from agreements.api.urls import router
from agreements.models import (
    Agreement,
    Commitment,
    Economy,
    Measure,
    NegotiationRound,
    Product,
    Rate,
    Source,
)

pytestmark = pytest.mark.django_db


def source_ids() -> list[int]:
    return [Source.objects.order_by("pk").first().pk]  # type: ignore[union-attr]


@dataclass(frozen=True)
class Contract:
    prefix: str
    instance: Callable[[], Model]
    key: Callable[[Model], str]
    keys: frozenset[str]
    create: Callable[[], dict[str, Any]] | None = None
    update: Callable[[], dict[str, Any]] = field(default=lambda: {})

    @property
    def list_url(self) -> str:
        return f"/api/v1/{self.prefix}/"

    def detail_url(self, obj: Model) -> str:
        return f"/api/v1/{self.prefix}/{self.key(obj)}/"


CONTRACTS = [
    Contract(
        "economies",
        lambda: Economy.objects.get(code="EU"),
        lambda o: o.pk,
        frozenset({"code", "name", "kind", "members", "member_of"}),
    ),
    Contract(
        "products",
        lambda: Product.objects.get(code="950300"),
        lambda o: o.pk,
        frozenset({"code", "level", "description", "parent"}),
    ),
    Contract(
        "sources",
        lambda: Source.objects.order_by("pk").first(),  # type: ignore[arg-type, return-value]
        lambda o: str(o.pk),
        frozenset({"id", "title", "url", "publisher", "published_on", "note"}),
        create=lambda: {
            "title": "Test notice",
            "url": "https://example.org/notice",
            "publisher": "Test",
        },
        update=lambda: {"publisher": "Changed"},
    ),
    Contract(
        "agreements",
        lambda: Agreement.objects.get(slug="us-cn-geneva-truce"),
        lambda o: o.slug,  # type: ignore[attr-defined]
        frozenset(
            {
                "slug",
                "title",
                "kind",
                "parties",
                "status",
                "announced_on",
                "signed_on",
                "effective_on",
                "expires_on",
                "original_expires_on",
                "terminated_on",
                "binding",
                "summary",
                "note",
                "extensions",
                "sources",
            }
        ),
        create=lambda: {
            "slug": "test-deal",
            "title": "Test deal",
            "kind": "deal",
            "parties": ["us", "GB"],
            "announced_on": "2025-01-01",
            "summary": "A test.",
            "sources": source_ids(),
        },
        update=lambda: {"summary": "Changed."},
    ),
    Contract(
        "rounds",
        lambda: NegotiationRound.objects.get(city="Geneva"),
        lambda o: str(o.pk),
        frozenset(
            {
                "id",
                "agreement",
                "title",
                "city",
                "venue",
                "venue_country",
                "start_date",
                "end_date",
                "status",
                "parties",
                "delegates",
                "outcome",
                "note",
                "sources",
            }
        ),
        create=lambda: {
            "title": "Test round",
            "city": "Geneva",
            "venue_country": "CH",
            "start_date": "2026-01-10",
            "end_date": "2026-01-11",
            "parties": ["US", "CN"],
            "delegates": [{"name": "A. Person", "title": "Minister", "economy": "cn"}],
            "sources": source_ids(),
        },
        update=lambda: {"delegates": [{"name": "B. Person", "title": "", "economy": "US"}]},
    ),
    Contract(
        "commitments",
        lambda: Commitment.objects.get(slug="jp-us-investment-550bn"),
        lambda o: str(o.pk),
        frozenset(
            {
                "id",
                "slug",
                "agreement",
                "pledger",
                "beneficiary",
                "kind",
                "description",
                "amount",
                "currency",
                "quantity",
                "unit",
                "announced_on",
                "due_by",
                "note",
                "sources",
            }
        ),
        create=lambda: {
            "slug": "test-pledge",
            "pledger": "JP",
            "beneficiary": "US",
            "kind": "purchase",
            "description": "Test.",
            "amount": "1000.00",
            "currency": "USD",
            "sources": source_ids(),
        },
        update=lambda: {"description": "Changed."},
    ),
    Contract(
        "measures",
        lambda: Measure.objects.get(slug="us-ieepa-reciprocal-cn-eo14266"),
        lambda o: str(o.pk),
        frozenset(
            {
                "id",
                "slug",
                "title",
                "importer",
                "origin",
                "excluded_origins",
                "products",
                "excluded_products",
                "legal_basis",
                "instrument",
                "program",
                "kind",
                "agreement",
                "note",
                "sources",
                "rates",
            }
        ),
        create=lambda: {
            "slug": "test-measure",
            "title": "Test measure",
            "importer": "US",
            "origin": "cn",
            "products": ["9503.00"],
            "legal_basis": "section_301",
            "instrument": "Test act",
            "program": "test",
            "kind": "additional",
            "sources": source_ids(),
        },
        update=lambda: {"title": "Changed"},
    ),
    Contract(
        "rates",
        lambda: Rate.objects.get(measure__slug="us-ieepa-reciprocal-cn-eo14266"),
        lambda o: str(o.pk),
        frozenset(
            {
                "id",
                "measure",
                "rate",
                "valid_from",
                "valid_to",
                "status",
                "note",
                "importer",
                "origin",
                "legal_basis",
                "kind",
                "title",
            }
        ),
        create=lambda: {
            "measure": Measure.objects.get(slug="us-s122-global-10").pk,
            "rate": "15.00",
            "valid_from": "2026-07-24",
            "status": "announced",
        },
        update=lambda: {"note": "Changed."},
    ),
]
BY_PREFIX = {contract.prefix: contract for contract in CONTRACTS}
ids = [contract.prefix for contract in CONTRACTS]
WRITABLE = [contract for contract in CONTRACTS if contract.create is not None]


def test_every_route_has_a_contract() -> None:
    assert {prefix for prefix, _, _ in router.registry} == set(BY_PREFIX)


@pytest.mark.parametrize("contract", CONTRACTS, ids=ids)
def test_list_and_detail_have_the_exact_keys(anonymous: Any, contract: Contract) -> None:
    listed = anonymous.get(contract.list_url)
    assert listed.status_code == 200
    assert set(listed.json()) == {"count", "next", "previous", "results"}
    assert set(listed.json()["results"][0]) == contract.keys
    detail = anonymous.get(contract.detail_url(contract.instance()))
    assert detail.status_code == 200
    assert set(detail.json()) == contract.keys


@pytest.mark.parametrize("contract", CONTRACTS, ids=ids)
def test_list_and_detail_cost_a_fixed_number_of_queries(
    anonymous: Any, contract: Contract, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (2, 40):
        with CaptureQueriesContext(connection) as captured:
            assert anonymous.get(contract.list_url, {"page_size": size}).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    with CaptureQueriesContext(connection) as captured:
        anonymous.get(contract.detail_url(contract.instance()))
    assert len(captured) <= 8


@pytest.mark.parametrize("contract", WRITABLE, ids=[c.prefix for c in WRITABLE])
def test_editor_can_create_update_and_delete(editor: Any, contract: Contract) -> None:
    assert contract.create is not None
    created = editor.post(contract.list_url, contract.create(), format="json")
    assert created.status_code == 201, created.json()
    assert set(created.json()) == contract.keys
    key = created.json().get("id", created.json().get("slug"))
    url = f"{contract.list_url}{key}/"
    patched = editor.patch(url, contract.update(), format="json")
    assert patched.status_code == 200, patched.json()
    for name, value in contract.update().items():
        if name != "delegates":
            assert patched.json()[name] == value
    full = {**editor.get(url).json(), **contract.create(), **contract.update()}
    full = {k: v for k, v in full.items() if k in contract.create() or k in contract.update()}
    put = editor.put(url, full, format="json")
    assert put.status_code == 200, put.json()
    assert editor.delete(url).status_code == 204
    assert editor.get(url).status_code == 404


@pytest.mark.parametrize("contract", CONTRACTS, ids=ids)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_permission_matrix(
    anonymous: Any, outsider: Any, editor: Any, contract: Contract, method: str
) -> None:
    target = contract.list_url if method == "post" else contract.detail_url(contract.instance())
    payload = contract.create() if contract.create else {}
    assert getattr(anonymous, method)(target, payload, format="json").status_code == 401
    assert getattr(outsider, method)(target, payload, format="json").status_code == 403
    if contract.create is None:
        assert getattr(editor, method)(target, payload, format="json").status_code == 403


def test_rounds_delegates_are_replaced_in_one_write(editor: Any) -> None:
    contract = BY_PREFIX["rounds"]
    created = editor.post(contract.list_url, contract.create(), format="json").json()  # type: ignore[misc]
    assert [d["economy"] for d in created["delegates"]] == ["CN"]
    patched = editor.patch(f"/api/v1/rounds/{created['id']}/", contract.update(), format="json")
    assert patched.json()["delegates"] == [
        {"name": "B. Person", "title": "", "economy": "US", "is_lead": False, "note": ""}
    ]

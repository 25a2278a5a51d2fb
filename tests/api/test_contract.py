"""One declarative contract per resource; shared tests hold every resource to it.

A resource declares its URL, how to find an instance in the synthetic world
(tests/factories.py), valid create and
update payloads and the exact key set of its representation; the tests below then check
list, detail, create, update, delete, the permission matrix and bounded query counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db.models import Model
from django.urls import URLResolver

from agreements.api import urls as api_urls
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
from tests.factories import (
    BLOC,
    GLOBAL_MEASURE,
    INVESTMENT,
    ORIGIN_MEASURE,
    TOYS,
    TRUCE,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]


def source_ids() -> list[int]:
    return [Source.objects.order_by("pk").first().pk]  # type: ignore[union-attr]


# A read the answer cache misses reads the data version before computing and again before
# storing the answer (tradeapi.api.caching); each request below is a first read.
VERSION_READS = 2


@dataclass(frozen=True)
class Contract:
    """What one resource promises; the shared tests below hold it to that.

    `list_queries` and `detail_queries` are exact: one for the count, one for the page (or
    the record) and one per prefetched relation, whatever the page size. A computed read
    adds VERSION_READS.
    """

    prefix: str
    instance: Callable[[], Model]
    key: Callable[[Model], str]
    keys: frozenset[str]
    list_queries: int
    detail_queries: int
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
        lambda: Economy.objects.get(code=BLOC),
        lambda o: o.pk,
        frozenset({"code", "name", "kind", "members", "member_of"}),
        list_queries=4,
        detail_queries=3,
    ),
    Contract(
        "products",
        lambda: Product.objects.get(code=TOYS),
        lambda o: o.pk,
        frozenset({"code", "level", "description", "parent"}),
        list_queries=2,
        detail_queries=1,
    ),
    Contract(
        "sources",
        lambda: Source.objects.order_by("pk").first(),  # type: ignore[arg-type, return-value]
        lambda o: str(o.pk),
        frozenset({"id", "title", "url", "publisher", "published_on", "note"}),
        list_queries=2,
        detail_queries=1,
        create=lambda: {
            "title": "Test notice",
            "url": "https://example.org/notice",
            "publisher": "Test",
        },
        update=lambda: {"publisher": "Changed"},
    ),
    Contract(
        "agreements",
        lambda: Agreement.objects.get(slug=TRUCE),
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
        list_queries=6,
        detail_queries=5,
        create=lambda: {
            "slug": "test-deal",
            "title": "Test deal",
            "kind": "deal",
            "parties": ["xa", "XD"],
            "announced_on": "2025-01-01",
            "summary": "A test.",
            "sources": source_ids(),
        },
        update=lambda: {"summary": "Changed."},
    ),
    Contract(
        "rounds",
        lambda: NegotiationRound.objects.get(city="Alphaville"),
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
        list_queries=6,
        detail_queries=5,
        create=lambda: {
            "title": "Test round",
            "city": "Testville",
            "venue_country": "XF",
            "start_date": "2026-01-10",
            "end_date": "2026-01-11",
            "parties": ["XA", "XB"],
            "delegates": [{"name": "A. Person", "title": "Minister", "economy": "xb"}],
            "sources": source_ids(),
        },
        update=lambda: {"delegates": [{"name": "B. Person", "title": "", "economy": "XA"}]},
    ),
    Contract(
        "commitments",
        lambda: Commitment.objects.get(slug=INVESTMENT),
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
        list_queries=3,
        detail_queries=2,
        create=lambda: {
            "slug": "test-pledge",
            "pledger": "XC",
            "beneficiary": "XA",
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
        lambda: Measure.objects.get(slug=ORIGIN_MEASURE),
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
                "claim",
                "waived_by",
                "yields_to",
                "yields_content_to",
                "basis",
                "agreement",
                "note",
                "sources",
                "rates",
            }
        ),
        list_queries=7,
        detail_queries=6,
        create=lambda: {
            "slug": "test-measure",
            "title": "Test measure",
            "importer": "XA",
            "origin": "xb",
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
        lambda: Rate.objects.get(measure__slug=ORIGIN_MEASURE),
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
        list_queries=2,
        detail_queries=1,
        create=lambda: {
            "measure": Measure.objects.get(slug=GLOBAL_MEASURE).pk,
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

# Routes that are not a resource of their own, and the tests that hold each to the schema.
OTHER_ROUTES = {
    "api-root": "test_the_api_root_lists_every_resource (below)",
    "agreement-timeline": "tests/api/test_facts.py, test_timeline_costs_a_fixed_number_of_queries",
    "rate-effective": "tests/engine/test_api.py",
    "rate-timeline": "tests/engine/test_api.py",
    "rate-effective-batch": "tests/engine/test_shipment_api.py",
    "changes": "tests/api/test_audit.py",
    "schema": "tests/api/test_schema.py",
    "swagger-ui": "tests/api/test_schema.py",
    "redoc": "tests/api/test_schema.py",
}


def route_names(patterns: list[Any]) -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= route_names(pattern.url_patterns)
        elif pattern.name:
            names.add(pattern.name)
    return names


def test_every_route_has_a_contract() -> None:
    """A new route fails here until it gets a contract (or is listed with its own tests)."""
    covered = set(OTHER_ROUTES)
    for prefix, _viewset, basename in router.registry:
        assert prefix in BY_PREFIX, f"{prefix}/ has no contract"
        covered |= {f"{basename}-list", f"{basename}-detail"}
    assert route_names(api_urls.urlpatterns) == covered


def test_the_api_root_lists_every_resource(anonymous: Any) -> None:
    # The browsable index is a convenience outside the contract (the schema leaves it out).
    links = anonymous.get("/api/v1/").json()
    assert set(links) == set(BY_PREFIX)
    assert links["rates"] == "http://testserver/api/v1/rates/"


@pytest.mark.parametrize("contract", CONTRACTS, ids=ids)
def test_list_and_detail_have_the_exact_keys(anonymous: Any, contract: Contract) -> None:
    listed = anonymous.get(contract.list_url)
    assert listed.status_code == 200
    assert set(listed.json()) == {"count", "next", "previous", "results"}
    assert {frozenset(item) for item in listed.json()["results"]} == {contract.keys}
    detail = anonymous.get(contract.detail_url(contract.instance()))
    assert detail.status_code == 200
    assert set(detail.json()) == contract.keys


@pytest.mark.parametrize("contract", CONTRACTS, ids=ids)
def test_list_and_detail_cost_a_fixed_number_of_queries(
    anonymous: Any, contract: Contract, django_assert_num_queries: Any
) -> None:
    sizes = (2, 40)
    for size in sizes:
        with django_assert_num_queries(contract.list_queries + VERSION_READS):
            page = anonymous.get(contract.list_url, {"page_size": size}).json()
        # The two pages really differ in length, or the comparison would prove nothing.
        assert len(page["results"]) == min(size, page["count"])
    assert BY_PREFIX[contract.prefix] is contract
    assert min(sizes) < anonymous.get(contract.list_url).json()["count"]
    url = contract.detail_url(contract.instance())
    with django_assert_num_queries(contract.detail_queries + VERSION_READS):
        assert anonymous.get(url).status_code == 200


def test_timeline_costs_a_fixed_number_of_queries(
    anonymous: Any, django_assert_num_queries: Any
) -> None:
    # The agreement, its four prefetches and its rounds, however many events it has: the
    # truce (three rounds, two extensions) costs what a bare agreement with one extension does.
    bare = Agreement.objects.create(
        slug="bare", title="Bare", kind="deal", summary="x", announced_on=dt.date(2025, 1, 1)
    )
    extension = bare.extensions.create(
        decided_on=dt.date(2025, 2, 1), expires_on=dt.date(2025, 3, 1), instrument="Test"
    )
    extension.sources.set(source_ids())
    for slug in (TRUCE, "bare"):
        with django_assert_num_queries(6 + VERSION_READS):
            events = anonymous.get(f"/api/v1/agreements/{slug}/timeline/").json()
        assert len(events) == (9 if slug != "bare" else 3)


@pytest.mark.parametrize("contract", WRITABLE, ids=[c.prefix for c in WRITABLE])
def test_editor_can_create_update_and_delete(editor: Any, contract: Contract) -> None:
    assert contract.create is not None
    created = editor.post(contract.list_url, contract.create(), format="json")
    assert created.status_code == 201, created.json()
    assert set(created.json()) == contract.keys
    key = created.json().get("id", created.json().get("slug"))
    url = f"{contract.list_url}{key}/"
    assert editor.get(url).json() == created.json()
    patched = editor.patch(url, contract.update(), format="json")
    assert patched.status_code == 200, patched.json()
    for name, value in contract.update().items():
        if name != "delegates":
            assert patched.json()[name] == value
    full = {**editor.get(url).json(), **contract.create(), **contract.update()}
    full = {k: v for k, v in full.items() if k in contract.create() or k in contract.update()}
    put = editor.put(url, full, format="json")
    assert put.status_code == 200, put.json()
    assert editor.get(url).json() == put.json()
    assert editor.delete(url).status_code == 204
    assert editor.get(url).status_code == 404


# What each role gets for each method: reads are open to all; writes need credentials (401)
# and the model permission (403); the editors group has it for every writable resource.
EXPECTED = {
    ("anonymous", "get"): 200,
    ("outsider", "get"): 200,
    ("editor", "get"): 200,
    ("anonymous", "post"): 401,
    ("outsider", "post"): 403,
    ("editor", "post"): 201,
    ("anonymous", "put"): 401,
    ("outsider", "put"): 403,
    ("editor", "put"): 200,
    ("anonymous", "patch"): 401,
    ("outsider", "patch"): 403,
    ("editor", "patch"): 200,
    ("anonymous", "delete"): 401,
    ("outsider", "delete"): 403,
    ("editor", "delete"): 204,
}


@pytest.mark.parametrize("contract", CONTRACTS, ids=ids)
@pytest.mark.parametrize(("role", "method"), list(EXPECTED), ids=[f"{r}-{m}" for r, m in EXPECTED])
def test_permission_matrix(
    request: pytest.FixtureRequest, contract: Contract, role: str, method: str
) -> None:
    client = request.getfixturevalue(role)
    expected = EXPECTED[(role, method)]
    if contract.create is None and method != "get" and role == "editor":
        expected = 403  # Reference data: nobody but a superuser holds its permissions.
    if method == "post":
        target, payload = contract.list_url, contract.create() if contract.create else {}
    elif method == "get":
        target, payload = contract.detail_url(contract.instance()), None
    else:
        # Writes act on a fresh record, so a delete does not cascade through the real data.
        obj = contract.instance()
        if contract.create is not None:
            editor = request.getfixturevalue("editor")
            created = editor.post(contract.list_url, contract.create(), format="json").json()
            lookup = {"pk": created["id"]} if "id" in created else {"slug": created["slug"]}
            obj = type(obj)._default_manager.get(**lookup)
        target = contract.detail_url(obj)
        full = contract.create() if contract.create is not None else {}
        payload = contract.update() if method == "patch" else full
    response = getattr(client, method)(target, payload, format="json")
    assert response.status_code == expected, response.content
    if method == "get":
        assert getattr(client, method)(contract.list_url).status_code == 200


def test_superusers_have_every_permission(db: Any) -> None:
    from django.contrib.auth.models import User

    from tests.api.conftest import CheckedClient
    from tradeapi.tokens.models import ApiToken

    admin = User.objects.create_superuser("root", password="x" * 12)
    client = CheckedClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {ApiToken.objects.issue(user=admin, name='tests')[1]}"
    )
    contract = BY_PREFIX["sources"]
    assert contract.create is not None
    assert client.post(contract.list_url, contract.create(), format="json").status_code == 201
    # Economies are read-only for everyone: the viewset offers no write at all.
    assert client.post("/api/v1/economies/", {"code": "XX"}, format="json").status_code == 405


def test_rounds_delegates_are_replaced_in_one_write(editor: Any) -> None:
    contract = BY_PREFIX["rounds"]
    created = editor.post(contract.list_url, contract.create(), format="json").json()  # type: ignore[misc]
    assert [d["economy"] for d in created["delegates"]] == ["XB"]
    patched = editor.patch(f"/api/v1/rounds/{created['id']}/", contract.update(), format="json")
    assert patched.json()["delegates"] == [
        {"name": "B. Person", "title": "", "economy": "XA", "is_lead": False, "note": ""}
    ]
    # A write without `delegates` leaves them as they are.
    kept = editor.patch(f"/api/v1/rounds/{created['id']}/", {"city": "Bern"}, format="json")
    assert kept.json()["delegates"] == patched.json()["delegates"]

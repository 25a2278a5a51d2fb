"""The answer cache under the data version (tradeapi.api.caching): fast, and never stale."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import caches
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agreements.models import Measure, Product, Rate, Source
from tests import factories
from tests.api.conftest import CheckedClient
from tests.factories import ORIGIN_MEASURE
from tradeapi.api import caching

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]

EFFECTIVE = "/api/v1/rates/effective/?importer=XA&origin=XB&hs=950300&date=2025-05-01"
TIMELINE = "/api/v1/rates/timeline/?importer=XA&origin=XB&hs=950300&from=2025-01-01&to=2026-01-01"
LIST = "/api/v1/sources/?page_size=5"


def version() -> str:
    return caching.read_data_version()


def data_tables() -> list[str]:
    """Every table of the agreements app an answer can read: all but the audit history."""
    return sorted(
        model._meta.db_table
        for model in apps.get_app_config("agreements").get_models(include_auto_created=True)
        if not model._meta.db_table.startswith("agreements_historical")
    )


def triggered_tables() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = 'data_version_bump'"
            )
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'data_version_%'"
            )
        return {row[0] for row in cursor.fetchall()}


def test_every_data_table_moves_the_version() -> None:
    # A table added to the app without its trigger would let its writes serve stale answers.
    assert set(data_tables()) <= triggered_tables()
    assert not any("historical" in table for table in triggered_tables())


def _measure() -> Measure:
    return Measure.objects.get(slug=ORIGIN_MEASURE)


def _raw_rate_update() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE agreements_rate SET rate = rate + 1 WHERE measure_id = %s", [_measure().pk]
        )


def _new_codes(count: int) -> list[str]:
    taken = set(Product.objects.filter(code__startswith="9503").values_list("code", flat=True))
    free = (f"9503{n:02d}" for n in range(10, 100) if f"9503{n:02d}" not in taken)
    return [next(free) for _ in range(count)]


# Every way the data is written: the ORM's save and delete, queryset updates, bulk loads
# (as the imports do), many-to-many changes, raw SQL.
WRITES: dict[str, Callable[[], Any]] = {
    "orm create": lambda: factories.source("Created"),
    "orm save": lambda: Source.objects.filter(pk=Source.objects.order_by("pk")[0].pk).get().save(),
    "queryset update": lambda: Rate.objects.filter(measure=_measure()).update(
        rate=Decimal("77.00")
    ),
    # New codes each time: a sequence may load twice.
    "bulk load": lambda: factories.products_in_bulk(_new_codes(2)),
    "m2m add": lambda: _measure().excluded_products.add(factories.product("950300")),
    "m2m remove": lambda: _measure().excluded_products.remove(factories.product("950300")),
    "raw sql": _raw_rate_update,
    "orm delete": lambda: Rate.objects.filter(measure=_measure()).delete(),
}


@pytest.mark.parametrize("path", list(WRITES))
def test_every_write_path_moves_the_version(path: str) -> None:
    if path == "m2m remove":
        WRITES["m2m add"]()  # Something to remove: removing nothing writes nothing.
    before = version()
    with transaction.atomic():
        WRITES[path]()
    assert version() != before


def test_a_repeat_read_and_a_304_cost_one_query(
    anonymous: CheckedClient, django_assert_num_queries: Any
) -> None:
    for url in (EFFECTIVE, TIMELINE, LIST, "/api/v1/agreements/xa-xb-truce/timeline/"):
        first = anonymous.get(url)
        assert first.status_code == 200
        with django_assert_num_queries(1):  # The data version, nothing else.
            again = anonymous.get(url)
        assert (again.status_code, again.content, again["ETag"]) == (
            200,
            first.content,
            first["ETag"],
        )
        assert again["Content-Type"] == first["Content-Type"]
        with django_assert_num_queries(1):
            unchanged = anonymous.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert (unchanged.status_code, unchanged.content) == (304, b"")
        assert unchanged["ETag"] == first["ETag"]


# --- the middleware's answers are the view's ---------------------------------------------

FAST_READS = [
    EFFECTIVE,
    TIMELINE,
    LIST,
    "/api/v1/agreements/xa-xb-truce/timeline/",
    "/api/v1/rates/?page_size=2&ordering=id",
    "/api/v1/measures/?page_size=2",
    "/api/v1/economies/XA/",
]


def _headers(response: Any) -> dict[str, str]:
    return {name: value for name, value in response.items() if name != "Date"}


@pytest.fixture
def view_dispatches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths for which DRF dispatched a view."""
    from rest_framework.views import APIView

    dispatched: list[str] = []
    real = APIView.initial

    def initial(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        dispatched.append(request.path)
        return real(self, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "initial", initial)
    return dispatched


@pytest.fixture(params=[0, 1 << 20], ids=["shared-cache", "process-copy"])
def local_copy(request: pytest.FixtureRequest, settings: Any) -> int:
    """Each answer-cache test that takes this runs without and with the process's own copy
    of the answers (caching.LocalAnswers), which production has in front of Redis."""
    settings.ANSWER_LOCAL_BYTES = request.param
    return int(request.param)


@pytest.mark.parametrize("url", FAST_READS)
def test_the_middleware_answers_a_cached_read_as_the_view_would(
    anonymous: CheckedClient,
    url: str,
    local_copy: int,
    view_dispatches: list[str],
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Any,
) -> None:
    with CaptureQueriesContext(connection) as miss:
        first = anonymous.get(url)  # Computed and stored by the view.
    assert first.status_code == 200
    assert len(view_dispatches) == 1
    # A miss reads the version before computing (the middleware's read, reused by the
    # view) and again before storing, no more.
    assert sum("data_version" in q["sql"] for q in miss.captured_queries) == 2
    with django_assert_num_queries(2):  # The data version, once a request.
        fast = anonymous.get(url)
        fast_304 = anonymous.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert len(view_dispatches) == 1  # DRF never ran.
    # The same cached answer through the view (CachedReads.initial), the middleware off.
    monkeypatch.setattr(caching.CachedAnswerMiddleware, "_answer", lambda self, request: None)
    slow = anonymous.get(url)
    slow_304 = anonymous.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert len(view_dispatches) == 3
    assert (fast.status_code, fast.content, _headers(fast)) == (
        slow.status_code,
        slow.content,
        _headers(slow),
    )
    assert fast.content == first.content
    assert (fast_304.status_code, fast_304.content, _headers(fast_304)) == (
        304,
        b"",
        _headers(slow_304),
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"HTTP_ACCEPT": "text/csv"},
        {"HTTP_ACCEPT": "application/json; indent=4"},
        {"HTTP_COOKIE": "sessionid=whatever"},
        {"HTTP_AUTHORIZATION": "Token whatever"},
    ],
    ids=["csv", "json-params", "session-cookie", "authorization"],
)
def test_a_read_that_could_differ_goes_to_the_view(
    anonymous: CheckedClient, extra: dict[str, Any], view_dispatches: list[str]
) -> None:
    anonymous.get(EFFECTIVE)
    anonymous.get(EFFECTIVE, **extra)
    anonymous.get(EFFECTIVE, **extra)
    anonymous.get(f"{EFFECTIVE}&format=json")
    assert len(view_dispatches) == 4


def test_the_middleware_counts_against_the_throttle(
    anonymous: CheckedClient, settings: Any, view_dispatches: list[str]
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": None},
    }
    caches["default"].clear()  # The throttles' counters.
    statuses = [anonymous.get(EFFECTIVE).status_code for _ in range(4)]
    # One computed by the view, two from the middleware, then over the limit: the fourth
    # goes on to DRF, which answers the 429.
    assert statuses == [200, 200, 200, 429]
    assert len(view_dispatches) == 2


def test_csv_and_json_are_cached_apart(anonymous: CheckedClient) -> None:
    as_json = anonymous.get(EFFECTIVE)
    as_csv = anonymous.get(EFFECTIVE, HTTP_ACCEPT="text/csv")
    assert as_csv["Content-Type"].startswith("text/csv")
    assert anonymous.get(EFFECTIVE).content == as_json.content
    assert anonymous.get(EFFECTIVE, HTTP_ACCEPT="text/csv").content == as_csv.content
    assert as_json.content != as_csv.content


def test_parameter_order_is_one_answer(
    anonymous: CheckedClient, django_assert_num_queries: Any
) -> None:
    first = anonymous.get(EFFECTIVE)
    reordered = "/api/v1/rates/effective/?date=2025-05-01&hs=950300&origin=XB&importer=XA"
    with django_assert_num_queries(1):
        assert anonymous.get(reordered).content == first.content


def test_a_list_names_its_own_host(anonymous: CheckedClient) -> None:
    # Its `next` link is built from the request: another host is another answer.
    pages = [
        anonymous.get("/api/v1/rates/?page_size=1&ordering=id", HTTP_HOST=host).json()["next"]
        for host in ("testserver", "localhost", "testserver")
    ]
    assert [p.split("/")[2] for p in pages] == ["testserver", "localhost", "testserver"]
    # The link lists the parameters sorted, so the order they came in is not part of it.
    assert anonymous.get("/api/v1/rates/?ordering=id&page_size=1").json()["next"] == pages[0]


def test_a_write_is_visible_on_the_next_read(editor: CheckedClient) -> None:
    source = Source.objects.order_by("pk").first()
    assert source is not None
    url = f"/api/v1/sources/{source.pk}/"
    editor.get(url)
    editor.get(url)  # Now cached.
    assert editor.patch(url, {"title": "Renamed"}, format="json").status_code == 200
    assert editor.get(url).json()["title"] == "Renamed"
    # Raw SQL too: the trigger moves the version, not the API.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE agreements_source SET title = 'Raw' WHERE id = %s", [source.pk])
    assert editor.get(url).json()["title"] == "Raw"


def test_a_write_elsewhere_keeps_a_held_tag_valid(anonymous: CheckedClient) -> None:
    # The tag is the body's, not the version's: a client holding it still gets a 304.
    first = anonymous.get(EFFECTIVE)
    factories.source("Unrelated")
    assert anonymous.get(EFFECTIVE, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_an_answer_computed_while_a_write_committed_is_not_cached(
    anonymous: CheckedClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The version read before computing is the real one; the one read before storing has
    # moved, as when a write commits meanwhile: the answer may hold either state, so it
    # must not be stored under the first.
    reads = iter([version(), "moved by a write"])
    monkeypatch.setattr(caching, "read_data_version", lambda: next(reads))
    assert anonymous.get(EFFECTIVE).status_code == 200
    monkeypatch.undo()
    with CaptureQueriesContext(connection) as queries:
        assert anonymous.get(EFFECTIVE).status_code == 200
    assert len(queries) > 1  # Computed, not served from the cache.


def test_a_cache_outage_computes_answers(
    anonymous: CheckedClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    expected = anonymous.get(EFFECTIVE).content
    caches["answers"].clear()

    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(caches["answers"], "get", down)
    monkeypatch.setattr(caches["answers"], "set", down)
    with caplog.at_level(logging.ERROR, logger="tradeapi.api.caching"):
        answers = [anonymous.get(EFFECTIVE) for _ in range(3)]
    assert [(a.status_code, a.content) for a in answers] == [(200, expected)] * 3
    # Logged once, then left alone for a while rather than tried on every request.
    assert len([r for r in caplog.records if "Answer cache unavailable" in r.message]) == 1


def test_cache_control_is_public_for_anonymous_and_private_for_the_signed_in(
    anonymous: CheckedClient, editor: CheckedClient
) -> None:
    for client in (anonymous, anonymous):  # A computed answer, then a cached one.
        public = client.get(EFFECTIVE)
        assert set(public["Cache-Control"].split(", ")) == {
            "public",
            "max-age=5",
            "stale-while-revalidate=30",
        }
        assert {"Accept", "Authorization", "Cookie"} <= {
            v.strip() for v in public["Vary"].split(",")
        }
    for _ in range(2):
        private = editor.get(EFFECTIVE)
        assert set(private["Cache-Control"].split(", ")) == {"private", "no-cache"}
    # A 304 carries them too: a proxy refreshes what it holds from it.
    unchanged = anonymous.get(EFFECTIVE, HTTP_IF_NONE_MATCH=public["ETag"])
    assert "public" in unchanged["Cache-Control"]


def test_the_changes_feed_is_private(anonymous: CheckedClient) -> None:
    # Its actors are shown to staff only, so no shared cache may keep it.
    response = anonymous.get("/api/v1/changes/?page_size=1")
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-cache"}


def test_errors_are_not_cached(anonymous: CheckedClient) -> None:
    url = "/api/v1/rates/effective/?importer=XA&origin=XB&hs=95030&date=bad"
    assert anonymous.get(url).status_code == 400
    assert anonymous.get(url).status_code == 400
    assert "Cache-Control" not in anonymous.get(url)


# The property: after any sequence of writes through every path, every cached answer is
# the one computed without the cache, and every validator changed exactly when its body did.

READS = [
    EFFECTIVE,
    TIMELINE,
    LIST,
    "/api/v1/rates/?page_size=50",
    "/api/v1/products/?search=9503",
    "/api/v1/measures/?page_size=50",
    "/api/v1/rates/?format=csv",
]
API_WRITES = ["api create", "api patch"]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from([*WRITES, *API_WRITES]), min_size=1, max_size=5))
# Found by Hypothesis: two bulk loads in one sequence wrote the same codes twice.
@example(["bulk load", "bulk load"])
def test_cached_answers_equal_computed_ones_after_any_writes(
    anonymous: CheckedClient, editor: CheckedClient, local_copy: int, writes: list[str]
) -> None:
    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            seen = {url: anonymous.get(url) for url in READS}
            for step in writes:
                if step == "api create":
                    editor.post(
                        "/api/v1/sources/",
                        {"title": "Via API", "url": "https://example.org/via-api"},
                        format="json",
                    )
                elif step == "api patch":
                    rate = Rate.objects.filter(measure=_measure()).first()
                    if rate is not None:
                        editor.patch(f"/api/v1/rates/{rate.pk}/", {"rate": "3.00"}, format="json")
                else:
                    with transaction.atomic():
                        WRITES[step]()
                for url in READS:
                    cached = anonymous.get(url)
                    with override_settings(ANSWER_CACHE_SECONDS=0):
                        computed = anonymous.get(url)
                    assert cached.status_code == computed.status_code == 200
                    assert cached.content == computed.content, (step, url)
                    changed_body = cached.content != seen[url].content
                    assert (cached["ETag"] != seen[url]["ETag"]) == changed_body
                    seen[url] = cached
            raise Rollback
    except Rollback:
        pass


def test_cached_answers_are_throttled(
    anonymous: CheckedClient, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": None},
    }
    caches["default"].clear()  # The throttles' counters.
    assert anonymous.get(EFFECTIVE).status_code == 200
    with django_assert_num_queries(1):  # From the cache...
        assert anonymous.get(EFFECTIVE).status_code == 200
    # ...and counted: the next is over the limit although its answer is cached.
    assert anonymous.get(EFFECTIVE).status_code == 429


def test_a_miss_looks_the_answer_up_once(
    anonymous: CheckedClient,
    editor: CheckedClient,
    local_copy: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lookups: list[str] = []
    real = caching.cache_get

    def counted(key: str) -> caching.Entry | None:
        lookups.append(key)
        return real(key)

    monkeypatch.setattr(caching, "cache_get", counted)
    # Looked up by the middleware, computed by the view without looking again.
    assert anonymous.get(EFFECTIVE).status_code == 200
    assert len(lookups) == 1
    # Found by the middleware.
    assert anonymous.get(EFFECTIVE).status_code == 200
    assert len(lookups) == 2
    # A signed-in read passes the middleware by: the view looks it up, once, and finds it.
    lookups.clear()
    assert editor.get(EFFECTIVE).status_code == 200
    assert len(lookups) == 1
    # Another media type than the middleware's (it takes JSON only): the view's own lookup.
    lookups.clear()
    assert anonymous.get(EFFECTIVE, HTTP_ACCEPT="text/csv").status_code == 200
    assert len(lookups) == 1


# --- 304s without the 200: the same answers as Django's rules give -----------------------

TAG = '"0123456789abcdef0123456789abcdef"'
OTHER = '"ffffffffffffffffffffffffffffffff"'
HTTP_DATE = "Wed, 21 Oct 2015 07:28:00 GMT"
CONDITIONS: dict[str, list[str | None]] = {
    "HTTP_IF_NONE_MATCH": [None, TAG, f"W/{TAG}", OTHER, "*", f"{OTHER}, {TAG}", "", "garbage"],
    "HTTP_IF_MATCH": [None, TAG, OTHER, "*", ""],
    "HTTP_IF_MODIFIED_SINCE": [None, HTTP_DATE, "garbage"],
    "HTTP_IF_UNMODIFIED_SINCE": [None, HTTP_DATE, "garbage"],
    "HTTP_AUTHORIZATION": [None, "Token whatever"],
}


def _by_djangos_rules(request: Any, entry: caching.Entry) -> Any:
    """What a cached answer was before the 304 was made directly: the 200 built in full,
    then Django's get_conditional_response."""
    from django.http import HttpResponse
    from django.utils.cache import get_conditional_response

    etag, content_type, headers, body = entry
    response = HttpResponse(body, content_type=content_type)
    for name, value in headers:
        response[name] = value
    response["ETag"] = etag
    caching.patch_http_caching(request, response)
    conditional = get_conditional_response(request, etag=etag, response=response)
    if conditional is None:
        response["Content-Length"] = str(len(body))
        return response
    if response.has_header("Allow"):
        conditional["Allow"] = response["Allow"]
    conditional["Content-Length"] = str(len(conditional.content))
    return conditional


def test_cached_answers_follow_djangos_conditional_rules(caplog: Any) -> None:
    import itertools

    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    caplog.set_level(logging.ERROR, logger="django.request")  # The 412s' warnings.
    entry: caching.Entry = (
        TAG,
        "application/json",
        [("Allow", "GET, HEAD, OPTIONS"), ("Content-Language", "en"), ("Expires", HTTP_DATE)],
        b'{"rate": "10.00"}',
    )
    names = list(CONDITIONS)
    compared = 0
    for method in ("GET", "HEAD"):
        for values in itertools.product(*CONDITIONS.values()):
            meta: dict[str, Any] = {
                name: value for name, value in zip(names, values, strict=True) if value is not None
            }
            request = RequestFactory().generic(method, "/api/v1/rates/effective/", **meta)
            request.user = AnonymousUser()
            expected = _by_djangos_rules(request, entry)
            for answer in (
                caching.cached_response(request, entry),
                caching.conditional_cached_response(request, entry),
            ):
                assert (answer.status_code, answer.content, dict(answer.items())) == (
                    expected.status_code,
                    expected.content,
                    dict(expected.items()),
                ), (method, meta)
            compared += 1
    assert compared == 2 * 8 * 5 * 3 * 3 * 2


# --- the process's own copy, and the version read as the connection's health check ------


def test_the_process_copy_keeps_the_most_recently_used_answers_within_its_bytes(
    settings: Any,
) -> None:
    settings.ANSWER_LOCAL_BYTES = 400
    local = caching.LocalAnswers()

    def entry(size: int) -> caching.Entry:
        return ('"tag"', "application/json", [], b"x" * size)

    local.set("a", entry(100))
    local.set("b", entry(100))
    local.set("c", entry(100))
    assert local.get("a") is not None  # Now the most recently used.
    local.set("d", entry(100))
    local.set("e", entry(100))  # 500 bytes: the least recently used goes, "b".
    assert local.get("b") is None
    assert [key for key in "acde" if local.get(key) is not None] == ["a", "c", "d", "e"]
    local.set("big", entry(101))  # Over a quarter of the bytes: never kept.
    assert local.get("big") is None
    assert len(local) == 4


def test_a_repeat_read_is_answered_from_the_process_copy(
    anonymous: CheckedClient,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Any,
) -> None:
    settings.ANSWER_LOCAL_BYTES = 1 << 20
    first = anonymous.get(EFFECTIVE)
    shared_reads: list[str] = []
    monkeypatch.setattr(caches["answers"], "get", lambda key, *a, **k: shared_reads.append(key))
    with django_assert_num_queries(2):  # The data version, once a request.
        again = anonymous.get(EFFECTIVE)
        unchanged = anonymous.get(EFFECTIVE, HTTP_IF_NONE_MATCH=first["ETag"])
    assert (again.status_code, again.content) == (200, first.content)
    assert unchanged.status_code == 304
    assert shared_reads == []
    # A write moves the version the copy's keys hold: the next read computes.
    Rate.objects.filter(measure=_measure()).update(rate=Decimal("61.00"))
    with CaptureQueriesContext(connection) as queries:
        after = anonymous.get(EFFECTIVE)
    assert len(queries) > 2
    assert after.content != first.content
    assert "61.00" in after.content.decode()


class FakeConnection:
    """Enough of Django's connection for read_data_version's choice of health check."""

    def __init__(self, in_atomic_block: bool = False) -> None:
        self.connection = object()  # Open.
        self.health_check_enabled = True
        self.health_check_done = False
        self.in_atomic_block = in_atomic_block
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def test_the_version_read_is_the_connections_health_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import OperationalError

    fake = FakeConnection()
    monkeypatch.setattr(caching, "connections", {"default": fake})
    monkeypatch.setattr(caching, "read_alias", lambda: "default")
    outcomes: list[Any] = [OperationalError("server closed the connection"), "token-2"]

    def version_on(connection: Any) -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return str(outcome)

    monkeypatch.setattr(caching, "_version_on", version_on)
    # The first query of the request fails on the old connection: closed, and read again.
    assert caching.read_data_version() == "token-2"
    assert (fake.closed, fake.health_check_done) == (1, True)
    # In a transaction a failure is the transaction's: no second try on a new connection.
    fake_in_transaction = FakeConnection(in_atomic_block=True)
    monkeypatch.setattr(caching, "connections", {"default": fake_in_transaction})
    outcomes[:] = [OperationalError("server closed the connection")]
    with pytest.raises(OperationalError):
        caching.read_data_version()
    assert fake_in_transaction.closed == 0


def test_a_database_outage_at_the_version_read_answers_503(
    anonymous: CheckedClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    anonymous.get(EFFECTIVE)  # Cached.

    def down() -> str:
        raise OperationalError("the database is down")

    monkeypatch.setattr(caching, "read_data_version", down)
    # The view's read fails too, and is answered (and reported) as every outage is.
    anonymous.raise_request_exception = False
    response = anonymous.get(EFFECTIVE)
    assert response.status_code == 503
    assert response.has_header("Retry-After")

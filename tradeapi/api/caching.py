"""Reads at cache speed, never stale: answers cached under the data version.

Every write that can change an answer moves the data version, in the write's own transaction
(a database trigger on every data table: agreements/migrations/0010_data_version.py). A read
reads the version (one primary-key lookup) and looks its answer up under (version, the
normalised request); the cached entry holds the rendered bytes and their ETag. So:

- a repeat read answers from the cache, and an `If-None-Match` read whose tag is the cached
  one answers 304, with no query beyond reading the version;
- a write moves the version, and every later read misses and computes: nothing is ever
  invalidated by hand, and nothing cached before a write is served after it;
- the ETag stays the MD5 of the body (tradeapi.api.conditional), so it changes exactly when
  the body does: a write elsewhere in the data leaves a tag a client holds valid (a 304, not
  a 200 with the same bytes), and `If-Match` writes compare against the same tags as before.
  The version decides whether the cached tag can be trusted, not what the tag is.

Authentication, permissions and throttles run before the lookup (DRF's `initial`), so a
cached answer is throttled like a computed one. A cache that fails (Redis down) is logged
and skipped: the request computes, it never errors. Errors (4xx) are not cached.

Only for views whose answer is a function of the data, the path, the query, the negotiated
format and today's date (defaults such as `date=` today, lists of what is in force), not of
who asks. The changes feed is not one (actors for staff; a delay on SQLite).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.core.signals import setting_changed
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.urls import Resolver404, get_urlconf, resolve
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from tradeapi.api.conditional import etag_of
from tradeapi.api.permissions import ReadAnyoneWriteEditors
from tradeapi.api.throttling import AnonRateThrottle, UserRateThrottle
from tradeapi.db.cursors import prepared_cursor
from tradeapi.db.replicas import read_alias

logger = logging.getLogger(__name__)

CACHE_ALIAS = "answers"
# Headers that depend on who asks or on the moment, so never stored with an answer: they
# are set again for each request (Cache-Control, Vary) or by the middleware (the rest).
UNSTORED_HEADERS = {"cache-control", "vary", "etag", "date", "set-cookie"}
# After a cache failure, leave the cache alone this long: a Redis that is down would
# otherwise cost every read a connection attempt.
RETRY_CACHE_AFTER_SECONDS = 5.0
_skip_cache_until = 0.0

# (ETag, Content-Type, other headers, body)
Entry = tuple[str, str, list[tuple[str, str]], bytes]


VERSION_QUERY = {
    # PostgreSQL moves the row at commit; until then a transaction's own writes show in the
    # local suffix its writing statements set (agreements/migrations/0010_data_version.py).
    "postgresql": "SELECT token || coalesce(current_setting('tradeapi.data_version_local', "
    "true), '') FROM data_version WHERE id = 1",
    "sqlite": "SELECT token FROM data_version WHERE id = 1",
}


def read_data_version() -> str:
    """The current data version: a token that changes with every committed data write."""
    # From the database the request's answer is read from (a replica, tradeapi.db): a
    # replica's version describes the replica's data, behind the primary's or not.
    connection = connections[read_alias()]
    # (Attributes of Django's connections that its type stubs do not declare.)
    if (
        connection.connection is not None
        and getattr(connection, "health_check_enabled", False)
        and not getattr(connection, "health_check_done", True)
        and not connection.in_atomic_block
    ):
        # The request's first query on a persistent connection: Django would first run one of
        # its own to check the connection (CONN_HEALTH_CHECKS), a round trip more on every
        # request. This query checks it as well: if it fails the connection is closed and
        # the version read again on a new one, as a failed health check would have it.
        setattr(connection, "health_check_done", True)  # noqa: B010
        try:
            return _version_on(connection)
        except DatabaseError:
            connection.close()
    return _version_on(connection)


def _version_on(connection: BaseDatabaseWrapper) -> str:
    # Prepared on PostgreSQL: planned once per connection, not on every request.
    prepared = connection.vendor == "postgresql"
    with prepared_cursor(connection) if prepared else connection.cursor() as cursor:
        cursor.execute(VERSION_QUERY.get(connection.vendor, VERSION_QUERY["sqlite"]))
        row = cursor.fetchone()
    # The row is created by the migration and never deleted (no model, so no flush deletes
    # it either); a database without it cannot key answers, which is a deployment error.
    if row is None:
        raise RuntimeError("the data_version row is missing; run the migrations")
    return str(row[0])


def answer_key(request: Request, version: str) -> str:
    """The cache key of a read: the data version and the request, normalised.

    Query parameters are ordered by name (`a=1&b=2` and `b=2&a=1` are one answer), keeping
    the order of a repeated parameter's values, which an answer may echo. (Pages' `next`
    and `previous` links list the parameters sorted too, DRF's `replace_query_param`.) The
    negotiated
    media type stands for the Accept header and `format=` (`application/json; indent=4` is
    other bytes). Today's date is part of it because defaults and "in force" filters read it.
    """
    return _key(request._request, version, str(request.accepted_media_type))


def _key(request: HttpRequest, version: str, media_type: str) -> str:
    query = sorted(request.GET.lists(), key=lambda item: item[0])
    parts = [
        version,
        # Scheme and host: lists' `next` and `previous` are absolute URLs built from them.
        request.scheme or "",
        request.get_host(),
        request.path,
        repr(query),
        media_type,
        # Both "todays": the API reads the time zone's (TIME_ZONE) and, for `as_of`, the
        # server's, which differ around midnight.
        timezone.localdate().isoformat(),
        dt.date.today().isoformat(),
    ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"answer:{digest}"


def _cache_usable() -> bool:
    return settings.ANSWER_CACHE_SECONDS > 0 and time.monotonic() >= _skip_cache_until


def _cache_failed(error: Exception) -> None:
    global _skip_cache_until
    first = _skip_cache_until <= time.monotonic()
    _skip_cache_until = time.monotonic() + RETRY_CACHE_AFTER_SECONDS
    if first:
        logger.error(
            "Answer cache unavailable, computing answers for %.0f s: %r",
            RETRY_CACHE_AFTER_SECONDS,
            error,
        )


def reset_cache_failures() -> None:
    """Forget a past failure (tests; a restart does the same)."""
    global _skip_cache_until
    _skip_cache_until = 0.0


class LocalAnswers:
    """This process's copy of the answers it served last, in front of the shared cache.

    A Redis read costs a round trip and unpickling (0.15 to 0.2 ms here), as much as the rest
    of a 304; the same answers asked again of the same worker need neither. The keys hold
    the data version like the shared cache's, so nothing here is served after a write
    either. Bounded by the bytes of the bodies it holds, the least recently used first out.
    (Not Django's local-memory cache: it pickles every entry on the way in and out, and
    bounds by entries, not bytes, so a few large pages could hold most of the memory.)
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        # gthread workers and runserver serve requests on several threads.
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def set(self, key: str, entry: Entry) -> None:
        limit = settings.ANSWER_LOCAL_BYTES
        size = len(entry[3])
        if size > limit // 4:  # A few large pages would push out every lookup.
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old[3])
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > limit:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted[3])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


local_answers = LocalAnswers()


def cache_get(key: str) -> Entry | None:
    if not _cache_usable():
        return None
    if settings.ANSWER_LOCAL_BYTES > 0:
        entry = local_answers.get(key)
        if entry is not None:
            return entry
    try:
        entry = caches[CACHE_ALIAS].get(key)
    except Exception as error:  # Any backend failure (connection, timeout, bad data).
        _cache_failed(error)
        return None
    if entry is not None and settings.ANSWER_LOCAL_BYTES > 0:
        local_answers.set(key, entry)
    return entry


def cache_set(key: str, entry: Entry) -> None:
    if not _cache_usable():
        return
    if settings.ANSWER_LOCAL_BYTES > 0:
        local_answers.set(key, entry)
    try:
        caches[CACHE_ALIAS].set(key, entry, timeout=settings.ANSWER_CACHE_SECONDS)
    except Exception as error:
        _cache_failed(error)


class Answered(Exception):
    """Raised from `initial` to answer from the cache: DRF then skips the handler."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__()
        self.response = response


def _is_private(request: HttpRequest | Request) -> bool:
    user = getattr(request, "user", None)
    # META, not `headers`: that is a copy of every header, made on first use.
    return bool(request.META.get("HTTP_AUTHORIZATION")) or (
        user is not None and user.is_authenticated
    )


def patch_http_caching(request: HttpRequest | Request, response: HttpResponseBase) -> None:
    """Cache-Control and Vary of a successful read, for browsers and proxies.

    Anonymous reads are public with a short `max-age` plus `stale-while-revalidate`: a proxy
    or CDN can serve repeats (at most that long behind a write, the price of not asking).
    A signed-in client is the one that writes, and must see its write on its next read, so
    its reads are `private, no-cache`: stored by its own browser only, revalidated every
    time, which costs a 304 from the cache here. Vary names what tells those apart.
    """
    _patch_caching(response, private=_is_private(request))


def _patch_caching(response: HttpResponseBase, *, private: bool) -> None:
    if private:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(
            response,
            public=True,
            max_age=settings.HTTP_MAX_AGE,
            stale_while_revalidate=settings.HTTP_STALE_WHILE_REVALIDATE,
        )
    patch_vary_headers(response, ["Accept", "Authorization", "Cookie"])


@functools.lru_cache(maxsize=8)
def _caching_headers(private: bool, max_age: int, stale_while_revalidate: int) -> tuple[str, str]:
    """Cache-Control and Vary as `patch_http_caching` sets them on a response that has
    neither, as a cached answer has not (they are not stored): made once, not parsed and
    joined again for every answer. (The settings are in the key: tests change them.)"""
    response = HttpResponse()
    _patch_caching(response, private=private)
    return response["Cache-Control"], response["Vary"]


def caching_headers(request: HttpRequest | Request) -> tuple[str, str]:
    return _caching_headers(
        _is_private(request), settings.HTTP_MAX_AGE, settings.HTTP_STALE_WHILE_REVALIDATE
    )


# What a 304 keeps of the answer it stands for (RFC 9110 15.4.5, as Django's
# get_conditional_response keeps them), Cache-Control, Vary and ETag aside, which are set
# here and never stored; and Allow, as DRF gives every answer of a view.
NOT_MODIFIED_HEADERS = {"content-location", "expires", "last-modified", "allow"}


def cached_response(request: HttpRequest | Request, entry: Entry) -> HttpResponse:
    """A cached answer as this request gets it: 200, or 304 for a matching If-None-Match
    (412 for a failing If-Match), as Django decides.

    The usual revalidation, the tag the client was given sent back alone and no other
    condition, is answered 304 at once: Django's rules (get_conditional_response) can give
    nothing else for it, and building the 200 first to derive the 304 from cost about a
    tenth of a 304's time in process (docs/benchmarks.md). A test holds the two ways to the
    same answers over all kinds of conditions.
    """
    etag, _, headers, _ = entry
    meta = request.META
    if (
        meta.get("HTTP_IF_NONE_MATCH") == etag
        and "HTTP_IF_MATCH" not in meta
        and "HTTP_IF_UNMODIFIED_SINCE" not in meta
        and request.method in ("GET", "HEAD")
    ):
        response = HttpResponseNotModified()
        response["Cache-Control"], response["Vary"] = caching_headers(request)
        response["ETag"] = etag
        for name, value in headers:
            if name.lower() in NOT_MODIFIED_HEADERS:
                response[name] = value
        response["Content-Length"] = "0"
        return response
    return conditional_cached_response(request, entry)


def conditional_cached_response(request: HttpRequest | Request, entry: Entry) -> HttpResponse:
    """`cached_response` by Django's rules for every condition: the 200 built, then
    get_conditional_response decides."""
    etag, content_type, headers, body = entry
    response = HttpResponse(body, content_type=content_type)
    for name, value in headers:
        response[name] = value
    response["ETag"] = etag
    response["Cache-Control"], response["Vary"] = caching_headers(request)
    conditional = get_conditional_response(request, etag=etag, response=response)
    if conditional is None:
        # As CommonMiddleware sets it, which CachedAnswerMiddleware's answers do not pass.
        response["Content-Length"] = str(len(body))
        return response
    # The methods the URL allows, stored with the answer: on a 304 too, as DRF's own
    # finalize_response gives every answer of a view.
    if response.has_header("Allow"):
        conditional["Allow"] = response["Allow"]
    conditional["Content-Length"] = str(len(conditional.content))
    return conditional


class CachedReads:
    """APIView mixin: GET and HEAD answered from the answer cache when it has them."""

    # Tells the schema (tradeapi.api.schema) to document Cache-Control on these reads.
    cached_reads = True
    answer_cache_key: str | None = None
    answer_version: str | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Authentication, permissions, throttles and content negotiation first.
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method not in ("GET", "HEAD") or settings.ANSWER_CACHE_SECONDS <= 0:
            return
        # Read already when CachedAnswerMiddleware looked for this answer and missed.
        self.answer_version = getattr(request._request, ANSWER_VERSION, None) or (
            read_data_version()
        )
        self.answer_cache_key = answer_key(request, self.answer_version)
        if self.answer_cache_key == getattr(request._request, MISSED_KEY, None):
            return  # CachedAnswerMiddleware has just looked: a round trip to Redis saved.
        entry = cache_get(self.answer_cache_key)
        if entry is not None:
            raise Answered(cached_response(request, entry))

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Answered):
            # The stubs say Response; DRF needs any HttpResponseBase here (finalize_response
            # asserts no more), and a cached answer is bytes already, with nothing to render.
            return cast(Response, exc.response)
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if request.method not in ("GET", "HEAD") or response.status_code not in (200, 304):
            return response
        patch_http_caching(request, response)
        key, version = self.answer_cache_key, self.answer_version
        if key is not None and version is not None and isinstance(response, Response):
            response.add_post_render_callback(lambda rendered: _store(key, version, rendered))
        return response


def _store(key: str, version: str, response: HttpResponseBase) -> None:
    if not isinstance(response, HttpResponse) or response.cookies:
        return
    body = response.content
    etag = etag_of(body)
    response["ETag"] = etag  # The middleware would compute the same; spare it the hash.
    # Cached only if no write committed while the answer was computed: the version read
    # before and the one read now are equal only when the answer is the data at `version`
    # (each write moves the version in its own transaction).
    if read_data_version() != version:
        return
    headers = [
        (name, value) for name, value in response.items() if name.lower() not in UNSTORED_HEADERS
    ]
    content_type = response["Content-Type"]
    headers = [(n, v) for n, v in headers if n.lower() != "content-type"]
    cache_set(key, (etag, content_type, headers, body))


# The view classes whose reads the middleware below may answer: anyone may read them, and
# they throttle with the project's throttles, which it can run itself.
ANONYMOUS_READ_PERMISSIONS = {AllowAny, ReadAnyoneWriteEditors}
THROTTLES = {AnonRateThrottle, UserRateThrottle}
JSON = "application/json"
# The request attributes holding the data version the middleware read and the key it
# found nothing under.
ANSWER_VERSION = "tradeapi_answer_version"
MISSED_KEY = "tradeapi_missed_key"


@functools.lru_cache(maxsize=4096)
def answerable_view(urlconf: Any, path: str) -> Any:
    """The view class of `path` if the middleware below may answer its reads, else None.

    Remembered per path (resolving costs as much as the rest of a 304's Python): a URL's view
    is fixed for the process, and a test that changes the URLs or settings empties this."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    view = getattr(match.func, "cls", None)
    if (
        view is None
        or not getattr(view, "cached_reads", False)
        or "format" in match.kwargs
        or not view.renderer_classes
        or view.renderer_classes[0].media_type != JSON
        or not set(view.permission_classes) <= ANONYMOUS_READ_PERMISSIONS
        or not set(view.throttle_classes) <= THROTTLES
    ):
        return None
    return view


@receiver(setting_changed)
def _forget_views(**kwargs: Any) -> None:
    answerable_view.cache_clear()


class CachedAnswerMiddleware:
    """Answers an anonymous read that is in the answer cache before DRF runs.

    The same answer, headers included, as `CachedReads` gives from inside the view (a test
    holds the two to byte equality), without the URL's view being dispatched: no content
    negotiation, authentication or permission classes, no view instance. It sits as early
    as the routing of reads (tradeapi.db) allows, inside the middleware that add headers to
    every answer (security, CORS, CSP, framing) and before those that add nothing to an
    anonymous read (sessions, CSRF, authentication, messages: they touch nothing here;
    CommonMiddleware's Content-Length is set here): a 304 then costs reading the data
    version and the cache, which is what `If-None-Match` is for. A database error on that
    read leaves the request to the usual path, whose outage handling answers it.

    Taken only where nothing about the request could change the answer or who may have it,
    else the request goes on as usual (and `CachedReads` may still answer it from the cache):
    GET or HEAD; no Authorization header and no session cookie (the API's two ways of
    signing in), so the client is anonymous; no `format=` and an Accept of nothing, `*/*` or
    JSON, so the negotiated type is the view's first renderer's, JSON; a view of
    `CachedReads` that anyone may read. The view's throttles run first, as DRF would run
    them; a client over its limit goes on to DRF, which answers the 429.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self._answer(request)
        return response if response is not None else self.get_response(request)

    def _answer(self, request: HttpRequest) -> HttpResponseBase | None:
        if request.method not in ("GET", "HEAD") or not _cache_usable():
            return None
        if "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None
        if "format" in request.GET or request.META.get("HTTP_ACCEPT", "*/*") not in ("*/*", JSON):
            return None
        view = answerable_view(get_urlconf() or settings.ROOT_URLCONF, request.path_info)
        if view is None:
            return None
        try:
            version = read_data_version()
        except DatabaseError:
            # Answered by the usual path, whose outage handling gives the 503.
            return None
        try:
            key = _key(request, version, JSON)
        except DisallowedHost:
            return None  # Django's answer to it (400) comes from the usual path.
        entry = cache_get(key)
        if entry is None:
            # The view computes it under the version read here: a miss reads it once, and
            # looks it up once.
            setattr(request, ANSWER_VERSION, version)
            setattr(request, MISSED_KEY, key)
            return None
        # The throttles ask who the client is; the authentication middleware, which comes
        # later, would find nobody (no credentials were sent), and sets its own if this
        # request goes on.
        request.user = AnonymousUser()
        if not all(throttle().allow_request(request, None) for throttle in view.throttle_classes):
            return None
        return cached_response(request, entry)

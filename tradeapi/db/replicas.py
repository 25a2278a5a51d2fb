"""Which database a request reads from: a healthy replica, or the primary.

With DATABASE_REPLICA_URLS set (settings: aliases replica_1, replica_2, ...), the API's safe
requests (GET, HEAD, OPTIONS under /api/) read the data (the agreements app) from one
replica, chosen once per request so that everything the request reads, the data version its
cached answer is keyed by included, describes one moment of the data. Everything else stays on
the primary: writes and the requests that make them, the admin, accounts, tokens, sessions,
migrations, commands.

A replica is skipped when:
- it failed: a refused or dropped connection marks it down for REPLICA_RETRY_SECONDS. A
  request whose replica fails while it runs is answered again from the primary
  (tradeapi.db.middleware), so a replica outage is never an error to a client;
- it lags: each worker process measures, every REPLICA_CHECK_SECONDS, how far the replica's
  replayed WAL position is behind the primary's. Replay timestamps would not do: the last
  replayed transaction's time grows old while the primary is idle, though nothing is missing.
  Instead the primary's WAL position is sampled with the time, and the replica is as stale
  as the newest sample it has replayed is old (0 once it has replayed the latest one). More
  than REPLICA_MAX_LAG_SECONDS and it is skipped;
- the client wrote something it has not replayed yet (read-your-writes). After a write
  request, the primary's WAL position is remembered for the signed-in account (every write
  needs one) in the shared cache, where every worker and app server finds it, whatever the
  client does with cookies; that client's reads then go to a replica only once it has
  replayed that far, otherwise to the primary. The record outlives the longest lag a usable
  replica can have, after which any usable replica has the write. A cache that is per
  process (no REDIS_URL) cannot tell another worker about a write, so then signed-in
  clients read from the primary, and anonymous ones (who cannot write) from the replicas;
  a cache outage likewise sends signed-in clients to the primary, and so does a cache that
  lost its records (restarted or emptied: GENERATION_KEY) until they would have expired.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
REPLICA_PREFIX = "replica_"
# The apps whose tables replicas serve: the data. Accounts, tokens, sessions and the login
# lockouts are read on the primary, where a token issued a moment ago already is.
REPLICATED_APPS = frozenset({"agreements"})
API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The cache holding each client's last write position: the throttles' (Redis with REDIS_URL).
LAST_WRITE_CACHE = "default"
# Kept longer than a usable replica can lag (REPLICA_MAX_LAG_SECONDS plus a check interval):
# once it expires, every replica not skipped for lag has the write.
LAST_WRITE_MARGIN_SECONDS = 30

# The primary's WAL positions. A client's write: the insert position, past the end of every
# record inserted so far, its commit's included whatever synchronous_commit says. The lag
# samples: the write position, what a replica can have received; an idle primary's insert
# position can sit past a page header a replica never reports having replayed, and would
# make every replica look behind forever.
WRITE_POSITION_SQL = "SELECT pg_current_wal_insert_lsn()"
PRIMARY_POSITION_SQL = "SELECT pg_current_wal_lsn()"
# A replica's health and how far it has replayed.
REPLICA_STATE_SQL = "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()"


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


def lsn(text: str) -> int:
    """A WAL position (`16/B374D848`) as a number that compares as the position does."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


@dataclass
class Reads:
    """The current request's routing."""

    request: HttpRequest | None
    # A safe API request: its data reads may go to a replica.
    replicas_allowed: bool
    # The primary from now on: the request wrote, or its view must read the primary.
    pinned: bool = False
    # The database this request's data reads use, once chosen.
    alias: str | None = None
    wrote: bool = False


_current: ContextVar[Reads | None] = ContextVar("tradeapi_reads", default=None)


def current() -> Reads | None:
    return _current.get()


def begin(state: Reads) -> object:
    return _current.set(state)


def end(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def read_alias() -> str:
    """The database the current request reads its data from (the primary outside requests)."""
    state = _current.get()
    if state is None or state.pinned or not state.replicas_allowed:
        return PRIMARY
    if state.alias is None:
        if connections[PRIMARY].in_atomic_block:
            # A transaction on the primary reads its own writes, whatever a replica has.
            return PRIMARY
        # Reads made while choosing (the signed-in user) go to the primary.
        state.alias = PRIMARY
        state.alias = _choose(state.request)
    return state.alias


def use_primary() -> None:
    """Everything the current request reads from now on comes from the primary."""
    state = _current.get()
    if state is not None:
        state.pinned = True


def wrote() -> None:
    state = _current.get()
    if state is not None:
        state.wrote = True
        state.pinned = True


def _choose(request: HttpRequest | None) -> str:
    needed = _needed_position(request)
    if needed is None:
        return PRIMARY
    usable = [alias for alias in replica_aliases() if health(alias).usable()]
    random.shuffle(usable)
    for alias in usable:
        if health(alias).has_replayed(needed):
            return alias
    return PRIMARY


def _last_writes_shared() -> bool:
    """Whether a write recorded by one worker process is seen by the others."""
    return not isinstance(caches[LAST_WRITE_CACHE], LocMemCache | DummyCache)


def _write_key(user_pk: object) -> str:
    return f"replicas:last-write:{user_pk}"


# When the cache's current generation of last-write records began (wall-clock seconds,
# shared by every app server), stored without expiry. A cache that restarted or was emptied
# has lost both it and the records; the first read that finds it missing starts a new one.
# Records written before a generation began may be gone, so until they would have expired
# anyway no replica is trusted with a signed-in client's read.
GENERATION_KEY = "replicas:last-write-generation"


def _record_seconds() -> float:
    """How long a last-write record is kept: longer than a usable replica can lag."""
    lag = settings.REPLICA_MAX_LAG_SECONDS + settings.REPLICA_CHECK_SECONDS
    return lag + LAST_WRITE_MARGIN_SECONDS


def _records_complete(generation: object) -> bool:
    """Whether every record written in the last `_record_seconds()` is still in the cache."""
    cache = caches[LAST_WRITE_CACHE]
    if generation is None:
        # add, not set: of two workers finding it missing, the first one's start stands.
        cache.add(GENERATION_KEY, time.time(), timeout=None)
        return False
    return time.time() - float(generation) >= _record_seconds()  # type: ignore[arg-type]


def _needed_position(request: HttpRequest | None) -> int | None:
    """How far a replica must have replayed for this client: 0 for anyone, the position of
    its last write for a client that wrote lately, None when only the primary will do."""
    # DRF sets the Django request's user to the account it authenticated (a token's too).
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if not _last_writes_shared() or time.monotonic() < _cache_down_until:
        return None
    key = _write_key(user.pk)
    try:
        # One round trip for both (MGET on Redis).
        found = caches[LAST_WRITE_CACHE].get_many([key, GENERATION_KEY])
        if not _records_complete(found.get(GENERATION_KEY)):
            return None  # This client's record may be among those lost.
    except Exception as error:  # Any backend failure: only the primary is sure to be fresh.
        _cache_failed(error)
        return None
    position = found.get(key)
    return 0 if position is None else int(position)


# After the cache fails, signed-in clients read from the primary this long without asking
# it again: an unreachable Redis would otherwise cost each of their reads its timeout.
RETRY_CACHE_AFTER_SECONDS = 5.0
_cache_down_until = 0.0


def _cache_failed(error: Exception, seconds: float = RETRY_CACHE_AFTER_SECONDS) -> None:
    global _cache_down_until
    if time.monotonic() >= _cache_down_until:
        logger.warning(
            "Clients' last writes unavailable (%r): signed-in clients read from the primary",
            error,
        )
    _cache_down_until = max(_cache_down_until, time.monotonic() + seconds)


def remember_write(request: HttpRequest) -> None:
    """Record the primary's WAL position, past the request's committed writes, for its client."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute(WRITE_POSITION_SQL)
            (position,) = cursor.fetchone()
    except DatabaseError:
        return  # The primary is down: the request wrote nothing.
    seconds = _record_seconds()
    try:
        caches[LAST_WRITE_CACHE].set(_write_key(user.pk), lsn(position), timeout=seconds)
    except Exception as error:
        # Unrecorded, this write must not be missed: signed-in clients read from the primary
        # for as long as its record would have lasted.
        _cache_failed(error, seconds)


# The primary's WAL position over the last REPLICA_MAX_LAG_SECONDS, oldest first, as
# (monotonic time, position): what a replica's lag is measured against.
_samples: list[tuple[float, int]] = []


def _sample_primary(now: float) -> None:
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute(PRIMARY_POSITION_SQL)
        (position,) = cursor.fetchone()
    _samples.append((now, lsn(position)))
    horizon = now - settings.REPLICA_MAX_LAG_SECONDS - settings.REPLICA_CHECK_SECONDS
    while len(_samples) > 1 and _samples[0][0] < horizon:
        del _samples[0]


def lag_seconds(replayed: int, now: float) -> float:
    """How stale a replica that has replayed up to `replayed` can be, at most."""
    for at, position in reversed(_samples):
        if position <= replayed:
            # It has everything the primary had then, and maybe more.
            return 0.0 if at == _samples[-1][0] else now - at
    return math.inf  # Behind every sample kept: more than the lag allowed.


class Health:
    """What this process knows of one replica."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.down_until = 0.0
        self.checked_at = -math.inf
        self.replayed = 0
        self.lagging = False

    def usable(self) -> bool:
        now = time.monotonic()
        if now < self.down_until:
            return False
        if now - self.checked_at >= settings.REPLICA_CHECK_SECONDS:
            self.check(now)
        return time.monotonic() >= self.down_until and not self.lagging

    def check(self, now: float) -> None:
        self.checked_at = now
        try:
            # The primary first: a replica that has replayed this sample was current then.
            _sample_primary(now)
        except DatabaseError as error:
            # No primary to compare with: keep the last verdict (reads can still be served).
            logger.warning("Cannot read the primary's WAL position: %r", error)
            return
        if not self.refresh():
            return
        was_lagging = self.lagging
        lag = lag_seconds(self.replayed, now)
        self.lagging = lag > settings.REPLICA_MAX_LAG_SECONDS
        if self.lagging and not was_lagging:
            logger.warning(
                "Replica %s is more than %d s behind the primary: skipped until it catches up",
                self.alias,
                settings.REPLICA_MAX_LAG_SECONDS,
            )
        elif was_lagging and not self.lagging:
            logger.info("Replica %s caught up with the primary", self.alias)

    def refresh(self) -> bool:
        """Read how far the replica has replayed; False (and marked down) when it fails."""
        try:
            with connections[self.alias].cursor() as cursor:
                cursor.execute(REPLICA_STATE_SQL)
                recovering, replayed = cursor.fetchone()
        except DatabaseError as error:
            self.failed(error)
            return False
        if not recovering or replayed is None:
            # Promoted, or not a replica at all: its data may have left the primary's.
            self.failed(RuntimeError("not a streaming replica (pg_is_in_recovery() is false)"))
            return False
        self.replayed = max(self.replayed, lsn(replayed))
        return True

    def has_replayed(self, position: int) -> bool:
        if self.replayed >= position:
            return True
        return self.refresh() and self.replayed >= position

    def failed(self, error: Exception) -> None:
        first = time.monotonic() >= self.down_until
        self.down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        # Forget the broken connection: the next use after the pause opens a new one.
        with contextlib.suppress(DatabaseError):
            connections[self.alias].close()
        if first:
            logger.warning(
                "Replica %s unavailable, reading from the primary for %d s: %s",
                self.alias,
                settings.REPLICA_RETRY_SECONDS,
                error,
            )

    def probe(self) -> bool:
        """After a request on this replica failed: whether the replica is still up."""
        with contextlib.suppress(DatabaseError):
            connections[self.alias].close()
        return self.refresh()


_health: dict[str, Health] = {}


def health(alias: str) -> Health:
    found = _health.get(alias)
    if found is None:
        found = _health[alias] = Health(alias)
    return found


def reset() -> None:
    """Forget every replica's state and the primary's samples (tests; a restart does this)."""
    global _cache_down_until
    _health.clear()
    _samples.clear()
    _cache_down_until = 0.0

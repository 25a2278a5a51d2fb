"""The Redis cache backend of settings (tradeapi.redis_cache), against a real Redis."""

from __future__ import annotations

import socket
import threading
import uuid

import pytest

from tradeapi.redis_cache import SharedClientRedisCache

REDIS = ("127.0.0.1", 6379)


def _redis_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=0.5).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379 (CI has it)")


def test_one_client_serves_every_call_and_threads_share_it() -> None:
    cache = SharedClientRedisCache(
        f"redis://{REDIS[0]}:{REDIS[1]}/0", {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    )
    first = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    assert cache._cache.get_client(write=True) is first  # type: ignore[attr-defined]
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            for round_ in range(50):
                cache.set(f"k{number}", (number, round_), timeout=30)
                assert cache.get(f"k{number}") == (number, round_)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache.get_many([f"k{n}" for n in range(8)]) == {f"k{n}": (n, 49) for n in range(8)}
    cache.delete_many([f"k{n}" for n in range(8)])
    assert cache.get("k0") is None

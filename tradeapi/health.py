"""Probes for load balancers and Kubernetes: `/healthz` (the process is up) and `/readyz`
(it can serve: the database answers and every migration the code knows is applied).

Answered by a middleware at the head of the stack, before the HTTPS redirect, the host check,
sessions and the throttles: a probe comes over plain HTTP from the orchestrator, with the
pod's address as its host, many times a minute, and must get the process's own answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest, HttpResponse, JsonResponse

from tradeapi.api import throttling
from tradeapi.api.errors import OUTAGE_RETRY_AFTER, error_response

Handler = Callable[[HttpRequest], HttpResponse]


def healthz() -> JsonResponse:
    """Alive: answering at all is the whole check, so it touches nothing (no database, no
    cache) and a database outage never gets a healthy process restarted."""
    return JsonResponse({"status": "ok"})


@functools.cache
def known_migrations() -> frozenset[tuple[str, str]]:
    """Every migration of the code this process runs. Read once: the code on disk does not
    change under a running process, and building the graph costs more than the probe."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


def readyz() -> JsonResponse:
    """Ready: one round trip to the database, which both proves it answers and lists the
    applied migrations (a deployment whose `migrate` has not run yet is not ready)."""
    try:
        applied = set(MigrationRecorder(connection).applied_migrations())
    except DatabaseError as error:
        response = error_response(503, "not_ready", f"The database does not answer: {error}")
    else:
        missing = sorted(known_migrations() - applied)
        if not missing:
            return JsonResponse(
                {"status": "ready", "throttle_fail_open": throttling.fail_open_count()}
            )
        names = ", ".join(f"{app}.{name}" for app, name in missing[:5])
        response = error_response(
            503,
            "not_ready",
            f"{len(missing)} migration(s) not applied yet (run migrate): {names}",
        )
    response["Retry-After"] = str(OUTAGE_RETRY_AFTER)
    return response


PROBES: dict[str, Callable[[], JsonResponse]] = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info.rstrip("/"))
        if probe is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        response = probe()
        # A cache between the probe and the process would answer for a dead one.
        response["Cache-Control"] = "no-store"
        return response

"""Routes each request's reads (tradeapi.db.replicas) and answers again from the primary when
its replica fails mid-request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from tradeapi.db import replicas

Handler = Callable[[HttpRequest], HttpResponse]
logger = logging.getLogger(__name__)


class ReplicaReadsMiddleware:
    """Opens the request's routing state; after a write, records the client's position.

    Before DatabaseOutageMiddleware, so that a replica's failure, which that middleware and
    the API's error handler turn into a 503, reaches this one as the 503: the request (a safe
    one: nothing was written) runs again on the primary, and the replica, if it no longer
    answers, is marked down.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replicas.replica_aliases():
            return self.get_response(request)
        safe = request.method in replicas.SAFE_METHODS
        state = replicas.Reads(
            request, replicas_allowed=safe and request.path.startswith(replicas.API_PREFIX)
        )
        token = replicas.begin(state)
        try:
            response = self._respond(request, state)
            if not safe or state.wrote:
                replicas.remember_write(request)
        finally:
            replicas.end(token)
        return response

    def _respond(self, request: HttpRequest, state: replicas.Reads) -> HttpResponse:
        try:
            response = self.get_response(request)
        except DatabaseError:
            if not _replica_failed(state):
                raise
            return self._on_primary(request, state)
        # 503 is how a database error is answered (tradeapi.api.errors); on a replica it can
        # also be a query cancelled by replay (a conflict with recovery) on a replica that is
        # fine. Either way the primary can answer this safe request.
        if response.status_code == 503 and _replica_failed(state):
            return self._on_primary(request, state)
        return response

    def _on_primary(self, request: HttpRequest, state: replicas.Reads) -> HttpResponse:
        logger.warning(
            "Replica %s failed during %s: answering from the primary", state.alias, request.path
        )
        state.alias = replicas.PRIMARY
        state.pinned = True
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        # A view that must read the primary says so (the changes feed: its horizon is the
        # primary's transactions, which a replica's rows could be behind).
        if getattr(getattr(view, "cls", view), "reads_primary", False):
            replicas.use_primary()
        return None


def _replica_failed(state: replicas.Reads) -> bool:
    """Whether the request read from a replica (which is marked down if it no longer answers)."""
    if state.alias is None or state.alias == replicas.PRIMARY or state.pinned:
        return False
    replicas.health(state.alias).probe()
    return True

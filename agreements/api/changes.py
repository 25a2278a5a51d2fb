"""GET /api/v1/changes/: the audit history as a feed for clients that keep a copy in sync.

A client remembers the `next` link of its last page and follows it later: the cursor encodes
a position in the feed (agreements.audit.Position), not a page number, so changes written
in between are neither skipped nor repeated.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.utils.cache import patch_cache_control, patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from agreements import audit
from tradeapi.api.serializers import validate_query

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


def encode_cursor(position: audit.Position) -> str:
    raw = f"{position.txid}|{position.at.isoformat()}|{position.model}|{position.history_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(value: str) -> audit.Position:
    """The position a cursor names; ValueError for anything this API did not issue.

    Cursors issued before the feed ordered by transaction have no transaction id: they name
    a position among the changes written before, which all have 0, so they keep working.
    """
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        parts = raw.split("|")
        if len(parts) == 3:
            parts.insert(0, "0")
        txid, at, model, history_id = parts
        position = audit.Position(int(txid), dt.datetime.fromisoformat(at), model, int(history_id))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise ValueError("Not a cursor this feed issued.") from error
    if position.at.tzinfo is None or model not in audit.MODEL_NAMES or position.txid < 0:
        raise ValueError("Not a cursor this feed issued.")
    return position


class ChangesQuerySerializer(serializers.Serializer[Any]):
    since = serializers.DateTimeField(
        required=False,
        help_text="ISO 8601 date-time: only changes at or after it (UTC when no offset is "
        "given). Omit to start at the first recorded change.",
    )
    cursor = serializers.CharField(
        required=False,
        help_text="Opaque position from a previous page's `next`: the changes after it.",
    )
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        default=DEFAULT_PAGE_SIZE,
        help_text=f"Changes per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    )

    def validate_cursor(self, value: str) -> audit.Position:
        try:
            return decode_cursor(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error), code="invalid") from error


class ChangeSerializer(serializers.Serializer[Any]):
    """One audited write (documentation of the JSON the view writes)."""

    model = serializers.ChoiceField(
        choices=audit.MODEL_NAMES, help_text="Kind of record that changed."
    )
    object_key = serializers.CharField(
        help_text="The record's key as the API's URLs use it: the slug of an agreement, the "
        "code of an economy or product, the numeric id otherwise."
    )
    action = serializers.ChoiceField(
        choices=sorted(audit.ACTIONS.values()), help_text="What happened to the record."
    )
    changed_fields = serializers.ListField(
        child=serializers.CharField(help_text="A field name of the record."),
        allow_null=True,
        help_text="Fields whose value changed (every field on creation, none on deletion); "
        "null when the record's history starts with this change, so the change is unknown.",
    )
    actor = serializers.CharField(
        allow_null=True,
        help_text="Username of who made the change, shown to staff accounts only; null for "
        "everyone else and for changes made by commands (see `reason`).",
    )
    reason = serializers.CharField(
        allow_null=True, help_text="Why, when recorded: e.g. `seed_data` for the loader."
    )
    changed_at = serializers.DateTimeField(help_text="When the change was written (UTC).")


class ChangesPageSerializer(serializers.Serializer[Any]):
    next = serializers.URLField(
        help_text="URL of the changes after this page. Always present: when `has_more` is "
        "false you are up to date; keep this URL and ask it again later for newer changes."
    )
    has_more = serializers.BooleanField(
        help_text="Whether more changes were already waiting after this page."
    )
    results = ChangeSerializer(
        many=True, help_text="The changes, in the order they became visible (oldest first)."
    )


class ChangesView(APIView):
    """Every write to the data (API, admin, commands, bulk loads), in the order the writes
    became visible.

    Cursor-paginated: follow `next` while `has_more` is true. Then keep the last `next`
    and ask it again later: it answers only the changes written since. Changes come in the
    order they became visible, and appear only once no change still being written can come
    before them, so a change committed late by a slow transaction is never behind a
    client's cursor.
    """

    query_serializer_class = ChangesQuerySerializer
    # Read on the primary, never a replica (tradeapi.db): which changes may be served is
    # decided from the primary's running transactions, which a replica's rows may lag.
    reads_primary = True

    @extend_schema(
        operation_id="listChanges",
        summary="List changes to the data, oldest first",
        parameters=[
            ChangesQuerySerializer,
            OpenApiParameter(
                "Cache-Control",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                description="`private, no-cache`: the answer depends on who asks, and a "
                "client polling the feed must see each new change, so a copy is kept by the "
                "client alone and revalidated every time.",
            ),
        ],
        responses=ChangesPageSerializer,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        params = validate_query(ChangesQuerySerializer(), request.query_params)
        size = params["page_size"]
        # One more than the page: whether a next page exists without a count query. The
        # feed serves changes in the order they become visible (agreements.audit), so a
        # cursor never moves past a change that is still to commit.
        found = audit.changes(since=params.get("since"), after=params.get("cursor"), limit=size + 1)
        page, more = found[:size], len(found) > size
        # Editors' usernames are for staff: a token is handed to partners and viewers too,
        # and who edited what is not theirs to see.
        show_actor = bool(request.user and request.user.is_staff)
        next_url = request.build_absolute_uri()  # Nothing new yet: ask the same again later.
        if page:
            next_url = replace_query_param(next_url, "cursor", encode_cursor(page[-1].position))
        response = Response(
            {
                "next": next_url,
                "has_more": more,
                "results": [
                    {
                        "model": change.model,
                        "object_key": change.object_key,
                        "action": change.action,
                        "changed_fields": change.changed_fields,
                        "actor": change.actor if show_actor else None,
                        "reason": change.reason,
                        "changed_at": change.position.at,
                    }
                    for change in page
                ],
            }
        )
        # The body depends on who asks (actors are shown to staff only): a shared
        # cache must not hand one reader's answer to another.
        patch_vary_headers(response, ["Authorization", "Cookie"])
        # Not in the answer cache (tradeapi.api.caching): that is for answers everyone gets.
        patch_cache_control(response, private=True, no_cache=True)
        return response

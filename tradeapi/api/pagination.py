from __future__ import annotations

from typing import Any

from rest_framework import pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tradeapi.api.serializers import refuse_blank_parameters

CSV_MAX_ROWS = 10_000
ALL_PARAM = "all"
ALL_DESCRIPTION = (
    f"CSV only: `true` answers every matching row in one table, at most {CSV_MAX_ROWS:,} "
    "(more is a 400: narrow the filters or page with `page`). JSON lists are always paged."
)
LINK_DESCRIPTION = (
    'CSV answers: links to the neighbouring pages, e.g. `<...?page=2&format=csv>; rel="next"` '
    "(RFC 8288); absent on a single page. JSON answers carry them in `next` and `previous`."
)
TOTAL_DESCRIPTION = "CSV answers: number of rows matching the query, over all pages."


def offers_csv(view: Any) -> bool:
    return any(getattr(r, "format", None) == "csv" for r in getattr(view, "renderer_classes", []))


def _is_csv(request: Request) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(renderer, "format", None) == "csv"


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (at most 500), as API.md fixes for every list.

    A page or page size that is not a whole number from 1 (to 500 for the size) is a 400
    naming the parameter, as the schema says, rather than quietly becoming another number;
    a page past the end stays DRF's 404. A CSV list is a page too, never silently the first
    one only: the body is the page's rows and the `Link` header points to its neighbours;
    `all=true` asks for every row within CSV_MAX_ROWS instead.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    page_query_description = "Page number, from 1 (default 1)."
    page_size_query_description = f"Records per page, 1 to {max_page_size} (default {page_size})."

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        # Lists with KnownParametersFilter have refused these blank already; not all have it.
        refuse_blank_parameters(
            request.query_params, (self.page_query_param, self.page_size_query_param, ALL_PARAM)
        )
        limits = {self.page_query_param: None, self.page_size_query_param: self.max_page_size}
        for name, most in limits.items():
            raw = request.query_params.get(name)
            if raw is None or (name == self.page_query_param and raw == "last"):
                continue
            if not raw.isdigit() or int(raw) < 1:
                raise serializers.ValidationError({name: ["Enter a positive whole number."]})
            if most is not None and int(raw) > most:
                message = f"Ensure this value is less than or equal to {most}."
                raise serializers.ValidationError({name: [message]}, code="max_value")
        # Lists without CSV neither take nor document `all`: it is an unknown parameter there.
        self.every_row = offers_csv(view) and self._wants_every_row(request)
        if self.every_row:
            self.request = request
            self.total: int = queryset.count()
            if self.total > CSV_MAX_ROWS:
                raise serializers.ValidationError(
                    {
                        ALL_PARAM: [
                            f"{self.total:,} rows match; `all` answers at most "
                            f"{CSV_MAX_ROWS:,}. Narrow the filters or page with `page`."
                        ]
                    }
                )
            return list(queryset)
        return super().paginate_queryset(queryset, request, view)

    def _wants_every_row(self, request: Request) -> bool:
        raw = request.query_params.get(ALL_PARAM)
        if raw is None or raw == "false":
            return False
        if raw != "true":
            raise serializers.ValidationError({ALL_PARAM: ["Enter `true` or `false`."]})
        if not _is_csv(request):
            raise serializers.ValidationError(
                {ALL_PARAM: ["`all` applies to CSV answers; page through JSON with `page`."]}
            )
        return True

    def get_paginated_response(self, data: Any) -> Response:
        if self.request is None or not _is_csv(self.request):
            return super().get_paginated_response(data)
        if self.every_row or self.page is None:
            return Response(data, headers={"X-Total-Count": str(self.total)})
        links = [
            f'<{url}>; rel="{rel}"'
            for url, rel in ((self.get_next_link(), "next"), (self.get_previous_link(), "prev"))
            if url is not None
        ]
        headers = {"X-Total-Count": str(self.page.paginator.count)}
        if links:
            headers["Link"] = ", ".join(links)
        return Response(data, headers=headers)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["schema"]["default"] = self.page_size
        if offers_csv(view):
            parameters.append(
                {
                    "name": ALL_PARAM,
                    "required": False,
                    "in": "query",
                    "description": ALL_DESCRIPTION,
                    "schema": {"type": "boolean"},
                }
            )
        return parameters

from __future__ import annotations

from typing import Any

from rest_framework import pagination, serializers
from rest_framework.request import Request


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (at most 500), as API.md fixes for every list.

    A page that is not a positive integer is a 400 naming `page`; a page past the end stays
    DRF's 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        for name in (self.page_query_param, self.page_size_query_param):
            raw = request.query_params.get(name)
            if raw is not None and raw != "last" and (not raw.isdigit() or int(raw) < 1):
                raise serializers.ValidationError({name: ["Enter a positive whole number."]})
        return super().paginate_queryset(queryset, request, view)

from __future__ import annotations

from typing import Any

from rest_framework import pagination, serializers
from rest_framework.request import Request


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (at most 500), as API.md fixes for every list.

    A page or page size that is not a whole number from 1 (to 500 for the size) is a 400
    naming the parameter, as the schema says, rather than quietly becoming another number;
    a page past the end stays DRF's 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    page_query_description = "Page number, from 1 (default 1)."
    page_size_query_description = f"Records per page, 1 to {max_page_size} (default {page_size})."

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
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
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["schema"]["default"] = self.page_size
        return parameters

"""`?ordering=` and `?search=` on every list: bad values are 400s naming the parameter, and
the schema says which fields each one covers."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.filters import BaseFilterBackend, OrderingFilter, SearchFilter
from rest_framework.request import Request

from tradeapi.api.pagination import ALL_PARAM, offers_csv
from tradeapi.api.serializers import (
    ALWAYS_KNOWN,
    refuse_blank_parameters,
    unknown_parameters_error,
)


class StrictOrderingFilter(OrderingFilter):
    """DRF's ordering, except that an unknown field is a 400 naming `ordering`.

    DRF silently ignores a field it does not know, so a typo would come back as a list in
    the default order that looks sorted as asked; a client deserves to hear about it.
    """

    def allowed(self, view: Any) -> list[str]:
        return [str(name) for name in getattr(view, "ordering_fields", None) or []]

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        raw = request.query_params.get(self.ordering_param)
        if raw:
            allowed = self.allowed(view)
            unknown = [
                term.strip()
                for term in raw.split(",")
                if term.strip().removeprefix("-") not in allowed
            ]
            if unknown:
                raise serializers.ValidationError(
                    {
                        self.ordering_param: [
                            f"Cannot order by {', '.join(unknown)}; use one of "
                            f"{', '.join(allowed)}, with a leading - for descending order."
                        ]
                    }
                )
        return super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        allowed = self.allowed(view)
        values = [value for name in allowed for value in (name, f"-{name}")]
        default = ", ".join(str(term) for term in getattr(view, "ordering", None) or [])
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": (
                    "Fields to sort by, comma-separated; a leading `-` sorts descending. "
                    f"Default: {default or 'the natural key'}."
                ),
                "schema": {"type": "array", "items": {"type": "string", "enum": values}},
                "style": "form",
                "explode": False,
            }
        ]


class NamedSearchFilter(SearchFilter):
    """DRF's search, with its 400 (a NUL character, say) naming `search` like any other
    parameter's, and the searched fields listed in the schema."""

    def get_search_terms(self, request: Request) -> list[str]:
        try:
            return list(super().get_search_terms(request))
        except serializers.ValidationError as error:
            raise serializers.ValidationError({self.search_param: error.detail}) from error

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = [name.lstrip("^=@$").replace("__", " ") for name in view.search_fields]
        return [
            {
                "name": self.search_param,
                "required": False,
                "in": "query",
                "description": "Words to look for (all must match, case-insensitive) in: "
                + ", ".join(fields)
                + ". Empty: no search, every record.",
                "schema": {"type": "string"},
            }
        ]


def free_text(view: Any) -> set[str]:
    """The parameters of `view` that may be sent blank: its words to search for, where no
    words mean no search (a search box left empty), rather than a filter whose value is lost."""
    names = set()
    for backend_class in getattr(view, "filter_backends", ()):
        if issubclass(backend_class, SearchFilter):
            names.add(backend_class.search_param)
    return names


class KnownParametersFilter(BaseFilterBackend):
    """Refuses query parameters a list or detail does not know, naming them in a 400.

    The known ones are read from what the view is made of, so they cannot drift from it:
    its paginator's, each filter backend's (search, ordering, the filterset's fields), the
    format override, and any the view reads itself (`extra_query_parameters`, e.g. `as_of`).
    Runs first, before any other backend, on lists and (through get_object) on details.

    It also refuses known parameters sent blank (tradeapi.api.serializers.BLANK), all but
    the words to search for: that way no filter, date, page or format can forget to.
    """

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        unknown = set(request.query_params) - self.known(request, queryset, view)
        if unknown:
            raise unknown_parameters_error(unknown)
        refuse_blank_parameters(request.query_params, set(request.query_params) - free_text(view))
        return queryset

    def known(self, request: Request, queryset: QuerySet[Any], view: Any) -> set[str]:
        names = set(ALWAYS_KNOWN) | set(getattr(view, "extra_query_parameters", ()))
        if offers_csv(view):
            names.add(ALL_PARAM)  # Every row of a CSV list (tradeapi.api.pagination).
        paginator = getattr(view, "paginator", None)
        for attribute in ("page_query_param", "page_size_query_param", "cursor_query_param"):
            name = getattr(paginator, attribute, None)
            if name:
                names.add(name)
        for backend_class in getattr(view, "filter_backends", ()):
            backend = backend_class()
            for attribute in ("search_param", "ordering_param"):
                name = getattr(backend, attribute, None)
                if name:
                    names.add(name)
            get_filterset_class = getattr(backend, "get_filterset_class", None)
            if get_filterset_class is not None:
                filterset = get_filterset_class(view, queryset)
                if filterset is not None:
                    names.update(filterset.base_filters)
        return names

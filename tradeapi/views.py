"""The site's front page: what this is, and where to go."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

API_VERSION = "v1"


def home(request: HttpRequest) -> TemplateResponse:
    version = {"version": API_VERSION}
    links = [
        (reverse("api-root", kwargs=version), "API root", "every resource, as JSON"),
        (reverse("swagger-ui", kwargs=version), "API docs", "Swagger UI: try each call"),
        (reverse("redoc", kwargs=version), "API reference", "Redoc: the contract to read"),
        (reverse("schema", kwargs=version), "OpenAPI schema", "for code generators"),
        (reverse("admin:index"), "Admin", "data entry and the duty calculator, for staff"),
    ]
    return TemplateResponse(request, "home.html", {"links": links})

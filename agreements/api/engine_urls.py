"""Routes of the rate engine (rates/effective/, rates/timeline/); included before the router."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

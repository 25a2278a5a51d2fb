"""Routes of the rate engine; included before the router so `effective` is not read as an id."""

from django.urls import path

from agreements.api.engine_views import EffectiveRateView, RateTimelineView

urlpatterns = [
    path("rates/effective/", EffectiveRateView.as_view(), name="rate-effective"),
    path("rates/timeline/", RateTimelineView.as_view(), name="rate-timeline"),
]

"""Every v1 route: the rate engine first (its paths sit under rates/), then the resources."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from agreements.api import engine, views
from agreements.api.changes import ChangesView
from tradeapi.api.docs import RedocView, SwaggerView
from tradeapi.api.schema_view import CachedSchemaView

router = DefaultRouter()
router.register("economies", views.EconomyViewSet)
router.register("products", views.ProductViewSet)
router.register("sources", views.SourceViewSet)
router.register("agreements", views.AgreementViewSet)
router.register("rounds", views.NegotiationRoundViewSet)
router.register("commitments", views.CommitmentViewSet)
router.register("measures", views.MeasureViewSet)
router.register("rates", views.RateViewSet)

urlpatterns = [
    # Before the router, so `effective` and `timeline` are not read as rate ids.
    path("rates/effective/", engine.EffectiveRateView.as_view(), name="rate-effective"),
    path("rates/timeline/", engine.RateTimelineView.as_view(), name="rate-timeline"),
    path(
        "rates/effective/batch/",
        engine.EffectiveRateBatchView.as_view(),
        name="rate-effective-batch",
    ),
    path("changes/", ChangesView.as_view(), name="changes"),
    path("schema/", CachedSchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("", include(router.urls)),
]

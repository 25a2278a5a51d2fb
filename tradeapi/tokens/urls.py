from rest_framework.routers import SimpleRouter

from tradeapi.tokens.api import ApiTokenViewSet

router = SimpleRouter()
router.register("tokens", ApiTokenViewSet, basename="token")

urlpatterns = router.urls

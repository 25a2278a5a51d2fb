from django.contrib import admin
from django.urls import include, path, re_path

from tradeapi.api.errors import not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    # URLPathVersioning reads `version`; only listed versions match, others fall through to
    # the JSON 404 below.
    re_path(r"^api/(?P<version>v1)/", include("tradeapi.tokens.urls")),
    re_path(r"^api/(?P<version>v1)/", include("agreements.api.urls")),
    re_path(r"^api/", not_found),
]

handler404 = "tradeapi.api.errors.not_found"
handler500 = "tradeapi.api.errors.server_error"

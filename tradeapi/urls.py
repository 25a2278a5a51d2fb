from django.contrib import admin
from django.urls import include, path, re_path

from tradeapi import views
from tradeapi.api.errors import not_found

# What staff see in the admin's header and tab titles; "View site" goes to the front page.
admin.site.site_header = "TradeAPI data entry"
admin.site.site_title = "TradeAPI admin"
admin.site.index_title = "Agreements, measures and rates"
admin.site.site_url = "/"

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    # URLPathVersioning reads `version`; only listed versions match, others fall through to
    # the JSON 404 below.
    re_path(r"^api/(?P<version>v1)/", include("tradeapi.tokens.urls")),
    re_path(r"^api/(?P<version>v1)/", include("agreements.api.urls")),
    re_path(r"^api/", not_found),
]

handler404 = "tradeapi.api.errors.not_found"
handler500 = "tradeapi.api.errors.server_error"

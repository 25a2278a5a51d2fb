from django.contrib import admin

from tradeapi.tokens.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff can see and revoke (delete) tokens; issuing one needs the key shown once, which
    only `drf_create_token` and the owner's terminal do."""

    list_display = ("name", "user", "prefix", "created", "expires")
    list_filter = ("expires",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("user", "name", "prefix", "digest", "created", "expires")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

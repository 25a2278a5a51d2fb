from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import permissions
from rest_framework.authentication import SessionAuthentication

if TYPE_CHECKING:  # DRF builds its settings while importing views; a runtime import loops.
    from rest_framework.request import Request
    from rest_framework.views import APIView


class ReadAnyoneWriteEditors(permissions.DjangoModelPermissions):
    """Anyone reads; writes need the model's add/change/delete permission (the editors group).

    DRF's DjangoModelPermissions already answers 401 without credentials and 403 without the
    permission; it only lacks anonymous reads, added here.
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if getattr(view, "queryset", None) is None:
            # A computed view (the rate engine, the changes feed) has no model to check
            # permissions on, and offers no writes: let it answer 405 instead of failing.
            return not hasattr(view, (request.method or "").lower())
        return super().has_permission(request, view)


class ReadingSessionAuthentication(SessionAuthentication):
    """Session authentication without the CSRF check, for POSTs that only read.

    CSRF protects state changes made with a victim's cookies; a POST that changes nothing
    (it carries a question too large for a query string) has nothing to protect, and the
    check would refuse a signed-in browser that anonymous callers are not refused for.
    """

    def enforce_csrf(self, request: Any) -> None:
        return None

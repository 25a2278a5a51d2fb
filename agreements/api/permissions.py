from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import permissions

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
        return super().has_permission(request, view)

"""/api/v1/tokens/: a signed-in user lists and revokes their own tokens (never others')."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from rest_framework import mixins, permissions, serializers, viewsets

from tradeapi.tokens.models import ApiToken


class ApiTokenSerializer(serializers.ModelSerializer):
    expired = serializers.BooleanField(
        read_only=True, help_text="Whether the token has expired (it no longer authenticates)."
    )
    current = serializers.SerializerMethodField(
        help_text="Whether this is the token the request was made with."
    )

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created", "expires", "expired", "current"]
        extra_kwargs = {
            "name": {"help_text": "What the token is for, as given when it was issued."},
            "prefix": {"help_text": "The key's first characters, to recognise it by."},
            "created": {"help_text": "When it was issued (UTC)."},
            "expires": {"help_text": "When it stops authenticating (UTC)."},
        }

    def get_current(self, token: ApiToken) -> bool:
        request = self.context.get("request")
        return bool(request is not None and request.auth == token)


class ApiTokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your API tokens. Listing shows each token's name, prefix and expiry, never its key
    (only its digest is stored). DELETE revokes a token at once, the one in use included.
    New tokens are issued at a terminal: `manage.py drf_create_token USER`."""

    serializer_class = ApiTokenSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list[Any] = []
    queryset = ApiToken.objects.all()

    def get_queryset(self) -> QuerySet[ApiToken]:
        # Someone else's token is a 404, not a 403: its existence is not yours to learn.
        user = self.request.user
        assert isinstance(user, get_user_model())  # IsAuthenticated let only users through.
        return ApiToken.objects.filter(user=user).order_by("created", "id")

"""`Authorization: Token <key>`, as API.md fixes it, checked against the stored digests."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions

from tradeapi.tokens.models import ApiToken, digest


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's header parsing (keyword `Token`), with the key looked up by its digest and
    refused once expired."""

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = ApiToken.objects.select_related("user").filter(digest=digest(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.expired:
            raise exceptions.AuthenticationFailed(
                "Token expired: ask for a new one (drf_create_token)."
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token

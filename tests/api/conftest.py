"""API test clients: anonymous, authenticated without permissions, editor (token)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from tests.api.schema import assert_matches_schema
from tradeapi.tokens.models import ApiToken

UNDOCUMENTED = {"/api/v1/", "/api/v1/schema/"}


class CheckedClient(APIClient):
    """Every JSON response is validated against the committed schema."""

    def generic(self, method: str, path: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().generic(method, path, *args, **kwargs)
        is_json = response.get("Content-Type", "").startswith("application/json")
        # The schema itself, and the router's index of links (a convenience that the schema
        # leaves out), are the only v1 answers that are not operations of the contract.
        documented = path.startswith("/api/v1/") and path.split("?")[0] not in UNDOCUMENTED
        if documented and response.status_code != 500:
            body = response.json() if is_json and response.content else None
            media = response.get("Content-Type", "application/json").split(";")[0]
            if not response.content:
                media = "application/json"
            assert_matches_schema(method, path.split("?")[0], response.status_code, body, media)
        return response


def _client_for(user: User | None) -> CheckedClient:
    client = CheckedClient()
    if user is not None:
        _, key = ApiToken.objects.issue(user=user, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def anonymous(db: Any) -> CheckedClient:
    return _client_for(None)


@pytest.fixture
def outsider(db: Any) -> CheckedClient:
    return _client_for(User.objects.create_user("outsider", password="x" * 12))


@pytest.fixture
def editor(db: Any) -> CheckedClient:
    user = User.objects.create_user("editor", password="x" * 12)
    user.groups.add(Group.objects.get(name="editors"))
    return _client_for(user)

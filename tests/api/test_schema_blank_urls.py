"""A URL that may be blank is documented so that a validator accepts the blank it answers."""

from __future__ import annotations

import jsonschema
import yaml
from django.conf import settings

from tradeapi.api.schema import blank_or_format_as_any_of


def test_a_blank_url_is_valid_against_the_committed_schema() -> None:
    schema = yaml.safe_load((settings.BASE_DIR / "docs" / "openapi.yaml").read_text())
    url = schema["components"]["schemas"]["Source"]["properties"]["url"]
    jsonschema.validate("", url)
    jsonschema.validate("https://example.org/a", url)


def test_the_hook_turns_only_blank_or_format_unions_into_any_of() -> None:
    blank = {"oneOf": [{"type": "string", "format": "uri"}, {"type": "string", "maxLength": 0}]}
    other = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    result = blank_or_format_as_any_of({"components": {"schemas": {"A": blank, "B": other}}})
    schemas = result["components"]["schemas"]
    assert "anyOf" in schemas["A"]
    assert "oneOf" not in schemas["A"]
    assert schemas["B"] == other

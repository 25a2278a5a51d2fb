"""CSV for analysts: the rate endpoints flatten their answers to one row per component."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from rest_framework import renderers


class CSVRenderer(renderers.BaseRenderer):
    """Renders `data` that a view has already flattened into a list of flat dicts.

    Views prepare the rows themselves (see `csv_rows` on the rate views) because only they
    know how a nested answer becomes a table; error bodies are written as `field,message`.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        rows = data if isinstance(data, list) else _error_rows(data)
        # An empty table still has its header row: analysts' tools expect the columns, and
        # an empty body would go out without a Content-Type (DRF drops it for empty bodies).
        fields = list(rows[0]) if rows else (renderer_context or {}).get("csv_header", [])
        buffer = io.StringIO()
        if fields:
            writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        return buffer.getvalue().encode(self.charset)


def _error_rows(data: Any) -> Sequence[Mapping[str, Any]]:
    if isinstance(data, Mapping) and isinstance(data.get("errors"), list):
        return [
            {"attr": error.get("attr"), "code": error.get("code"), "detail": error.get("detail")}
            for error in data["errors"]
        ]
    return [{"detail": str(data)}]

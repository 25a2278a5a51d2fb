"""CSV for analysts: the rate endpoints flatten their answers to one row per component."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from rest_framework import renderers

# A spreadsheet runs a cell that starts with one of these as a formula (or, for tab and
# carriage return, as the start of one once the cell is trimmed): OWASP's CSV-injection list.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number is data in every spreadsheet, so "-5.00" stays a number.
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def neutralise(value: Any) -> Any:
    """A cell as a spreadsheet may open it safely: text that a spreadsheet would evaluate is
    prefixed with a single quote, which makes it literal text (OWASP's CSV-injection advice).

    Numbers, and text that is exactly a plain decimal number, are left as they are.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    if PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


class CSVRenderer(renderers.BaseRenderer):
    """Renders `data` that a view has already flattened into a list of flat dicts.

    Views prepare the rows themselves (see `csv_rows` on the rate views) because only they
    know how a nested answer becomes a table; error bodies are written as `field,message`.
    Every cell goes through `neutralise`, so no view can emit a live formula.
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
            # RFC 4180's CRLF line ends; they also make csv quote any cell holding a carriage
            # return, which with "\n" alone it would leave bare, starting a new row.
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow([neutralise(name) for name in fields])
            for row in rows:
                writer.writerow([neutralise(row.get(name)) for name in fields])
        return buffer.getvalue().encode(self.charset)


def _error_rows(data: Any) -> Sequence[Mapping[str, Any]]:
    if isinstance(data, Mapping) and isinstance(data.get("errors"), list):
        return [
            {"attr": error.get("attr"), "code": error.get("code"), "detail": error.get("detail")}
            for error in data["errors"]
        ]
    return [{"detail": str(data)}]

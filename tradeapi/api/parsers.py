"""Request formats: JSON, parsed defensively, and CSV tables where a view takes them."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, plus a 400 for JSON nested too deeply to parse.

    Python's decoder recurses once per nesting level; a body of 100,000 `[` exhausts the
    stack and raised RecursionError, a 500. No representation of ours nests more than three
    levels, so such a body is refused as malformed.
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - the document is nested too deeply.") from error


class CSVParser(parsers.BaseParser):
    """A CSV body with a header row, as a list of dicts keyed by the header's names.

    The view decides which columns it knows; here only what makes the text unreadable as a
    table is refused (not UTF-8, no header, a row longer than the header).
    """

    media_type = "text/csv"

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            text = stream.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ParseError("CSV parse error - the body is not UTF-8.") from error
        reader = csv.DictReader(io.StringIO(text), restkey=_EXTRA, strict=True)
        try:
            rows = list(reader)
        except csv.Error as error:
            raise ParseError(f"CSV parse error - {error}.") from error
        if not reader.fieldnames:
            raise ParseError("CSV parse error - the body has no header row.")
        for number, row in enumerate(rows, start=2):
            if _EXTRA in row:
                raise ParseError(f"CSV parse error - row {number} has more cells than the header.")
        return CSVTable(header=[name.strip() for name in reader.fieldnames], rows=rows)


_EXTRA = "\x00extra"


class CSVTable:
    """A parsed CSV body: its header and its rows (dicts keyed by the header's names)."""

    def __init__(self, header: list[str], rows: list[dict[str, str]]) -> None:
        self.header = header
        self.rows = [{key.strip(): value for key, value in row.items()} for row in rows]

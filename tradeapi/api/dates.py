"""Dates as clients write them (API.md, Conventions: YYYY-MM-DD), read the same way in
request bodies, query strings and list filters.

A date in the right shape that the calendar does not have (2025-02-30) is told apart from
one in the wrong shape, so the client fixes the day rather than the format. Only the one
shape is accepted: the schema says `format: date` (RFC 3339's full-date), and the parsers
underneath would also take `20250230` or `2025-2-3`, which no other part of the API answers.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from rest_framework import serializers

ISO_DATE_SHAPE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
WRONG_FORMAT = "Enter a date as YYYY-MM-DD."


def parse_date(raw: Any) -> dt.date:
    """`raw` as a date, or ValueError saying what is wrong with it: the shape, or the day,
    month or year the calendar does not have."""
    match = ISO_DATE_SHAPE.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        raise ValueError(WRONG_FORMAT)
    year, month, day = (int(part) for part in match.groups())
    if year < dt.MINYEAR:
        raise ValueError(f"{raw} is not a date: there is no year 0.")
    if not 1 <= month <= 12:
        raise ValueError(f"{raw} is not a date: there is no month {month:02d}.")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise ValueError(
            f"{raw} is not a date: {calendar.month_name[month]} {year} has {last} days."
        )
    return dt.date(year, month, day)


class DateField(serializers.DateField):
    """DRF's date field reading YYYY-MM-DD only, an impossible date saying why.

    Every date a client writes goes through it: the model serializers map model dates to
    it (ModelValidatedSerializer) and the bodies and query strings declared by hand use it.
    Output is DRF's (YYYY-MM-DD), and the schema is the same `format: date`.
    """

    default_error_messages = {
        **serializers.DateField.default_error_messages,
        "invalid": WRONG_FORMAT,
    }

    def to_internal_value(self, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            self.fail("datetime")
        if isinstance(value, dt.date):
            return value
        try:
            return parse_date(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error), code="invalid") from None

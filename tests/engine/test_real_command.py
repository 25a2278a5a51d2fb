"""`manage.py effective_rate` on the shipped 2025 data (the command's own behaviour is in
tests/engine/test_command.py, on synthetic measures)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

# Reads the shipped data: runs last, on the seeded database (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.facts]


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("effective_rate", *args, stdout=out)
    return out.getvalue().splitlines()


def test_prints_each_applied_measure_and_the_totals() -> None:
    lines = run("us", "cn", "9503.00", "--date", "2025-05-20")
    assert lines[0].startswith("US <- CN  HS 950300  on 2025-05-20  (950300 Tricycles, scooters")
    header, rule, *rows, total = lines[1:]
    assert header.split() == ["Measure", "Instrument", "Kind", "Rate", "Adds", "Valid"]
    assert set(rule.replace(" ", "")) == {"-"}
    # Each row ends with: instrument..., kind, rate, adds, validity.
    assert [row.split()[-4:] for row in rows] == [
        ["base", "0.00", "0.00", "2025-01-01.."],
        ["additional", "10.00", "10.00", "2025-05-14..2026-02-20"],
        ["additional", "20.00", "20.00", "2025-03-04..2025-11-10"],
    ]
    assert "EO 14298" in rows[1]
    assert "EO 14228" in rows[2]
    assert total == "Base 0.00  + additional 30.00  = total 30.00"


def test_an_unknown_base_is_printed_as_unknown() -> None:
    lines = run("CN", "US", "1201", "--date", "2025-04-12")
    total, warning = lines[-2:]
    assert total == "Base unknown (no base rate recorded)  + additional 135.00  = total unknown"
    # The answer's warnings follow the total, as the API gives them.
    assert warning.startswith("Warning (base_unknown): No base (MFN or claimed preferential)")


def test_the_announced_scenario_is_accepted() -> None:
    in_force = run("US", "JP", "950300", "--date", "2025-09-01")
    announced = run("US", "JP", "950300", "--date", "2025-09-01", "--scenario", "announced")
    assert announced == in_force  # The shipped data has no announced periods.

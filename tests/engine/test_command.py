"""`manage.py effective_rate`: the breakdown as a table for people at a terminal."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.engine.conftest import make_duty

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("effective_rate", *args, stdout=out)
    return out.getvalue().splitlines()


def test_prints_each_applied_measure_and_the_totals() -> None:
    lines = run("xa", "xb", "9503.00", "--date", "2025-05-20")
    assert lines[0].startswith("XA <- XB  HS 950300  on 2025-05-20  (950300 Tricycles, scooters")
    header, rule, *rows, total = lines[1:]
    assert header.split() == ["Measure", "Instrument", "Kind", "Rate", "Adds", "Valid"]
    assert set(rule.replace(" ", "")) == {"-"}
    # Each row ends with: instrument..., kind, rate, adds, validity.
    assert [row.split()[-4:] for row in rows] == [
        ["base", "0.00", "0.00", "2025-01-01.."],
        ["additional", "20.00", "20.00", "2025-03-04..2025-11-10"],
        ["additional", "10.00", "10.00", "2025-05-14..2025-08-12"],
    ]
    assert "Order D-2" in rows[1]
    assert "Order R-3" in rows[2]
    assert total == "Base 0.00  + additional 30.00  = total 30.00"


def test_an_unknown_base_is_printed_as_unknown() -> None:
    lines = run("XB", "XA", "1201", "--date", "2025-04-12")
    total, warning = lines[-2:]
    assert total == "Base unknown (no base rate recorded)  + additional 135.00  = total unknown"
    # The answer's warnings follow the total, as the API gives them.
    assert warning.startswith("Warning (base_unknown): No base (MFN or claimed preferential)")


def test_the_announced_scenario_is_accepted() -> None:
    in_force = run("XA", "XC", "950300", "--date", "2025-09-01")
    announced = run("XA", "XC", "950300", "--date", "2025-09-01", "--scenario", "announced")
    assert announced == in_force  # The world has no announced periods.


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("XA", "ZZ", "950300"), "origin: Unknown economy code 'ZZ'."),
        (("XX1", "XB", "950300"), "importer: An economy code is two upper-case letters"),
        (("XA", "C", "950300"), "origin: An economy code is two upper-case letters"),
        (("XA", "XB", "9"), "hs: An HS code is 2 to 10 digits."),
        (("XA", "XB", "95", "--date", "2025-13-01"), "expected a date as YYYY-MM-DD"),
    ],
)
def test_bad_arguments_are_command_errors_naming_them(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError) as raised:
        run(*args)
    assert message in str(raised.value)


def test_a_duty_on_a_content_is_shown_as_not_added_with_the_warning() -> None:
    make_duty("50%", kind="additional", program="steel", basis="content", products=["950300"])
    lines = run("XA", "XB", "950300", "--date", "2025-05-20")
    steel = next(line for line in lines if "50.00 on content, not added" in line)
    assert steel.split()[-1] == "2025-01-01.."
    # The total is the same as without it (test_prints_each_applied_measure_and_the_totals).
    assert "Base 0.00  + additional 30.00  = total 30.00" in lines
    assert any(line.startswith("Warning (content_basis): ") for line in lines)

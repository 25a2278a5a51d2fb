"""Behaviour tests stay independent of the shipped facts: only the fact modules name them.

Correcting a fact in fixtures/ must break the fact tests at most. A behaviour test that
names a real slug or source key reads the shipped data, and would break on a correction
to something it does not test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS.parent / "fixtures"
# The modules whose subject is the shipped data (each marks its tests `facts`), and this one.
FACT_MODULES = {
    "test_fixture_facts.py",
    "test_seed_data.py",
    "api/test_facts.py",
    "api/test_fact_bodies.py",
    "engine/test_real_cases.py",
    "engine/test_real_api.py",
    "engine/test_real_command.py",
    "engine/test_us_cases.py",
    "engine/test_shipment_facts.py",
    "tariffs/test_facts.py",
    "test_decoupling.py",
}


def shipped_keys() -> set[str]:
    """Every slug and source key of fixtures/*.json."""
    keys: set[str] = set()
    for name in ("agreements.json", "commitments.json", "measures.json"):
        keys |= {item["slug"] for item in json.loads((FIXTURES / name).read_text())}
    sources = json.loads((FIXTURES / "sources.json").read_text())
    keys |= {item["key"] for item in sources["sources"]}
    keys.add(json.loads((FIXTURES / "eu_membership.json").read_text())["source"]["key"])
    return keys


def behaviour_modules() -> list[Path]:
    return sorted(
        path
        for path in TESTS.rglob("*.py")
        if path.relative_to(TESTS).as_posix() not in FACT_MODULES
    )


def test_the_shipped_keys_are_found() -> None:
    keys = shipped_keys()
    # The scan below would pass vacuously if the fixtures' layout changed under it.
    assert len(keys) > 100
    assert {"us-cn-geneva-truce", "us-mfn-950300", "govinfo-fr-2025-05-21"} <= keys


@pytest.mark.parametrize("path", behaviour_modules(), ids=lambda p: p.relative_to(TESTS).as_posix())
def test_no_behaviour_module_names_a_shipped_fact(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    named = sorted(
        key for key in shipped_keys() if re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text)
    )
    assert not named, (
        f"{path.relative_to(TESTS)} names shipped facts {named}: build the data with "
        "tests/factories.py, or move the test to a fact module (marked `facts`)"
    )


@pytest.mark.parametrize("name", sorted(FACT_MODULES - {"test_decoupling.py"}))
def test_fact_modules_are_marked(name: str) -> None:
    # Unmarked, they would run before the seed and find an empty database.
    assert "pytest.mark.facts" in (TESTS / name).read_text(encoding="utf-8")

"""What the schedule importers expect to find loaded, for the tests that run them on files
built here (not the fact tests, which run on the seeded database)."""

from __future__ import annotations

from typing import Any

import pytest

from agreements.tariffs.imports import COLUMN2_COUNTRIES
from agreements.tariffs.preferences import PROGRAMS
from tests import factories


@pytest.fixture
def _economies_and_nomenclature(db: Any) -> None:
    """What the importers expect to find loaded: the importers, the Column 2 countries, the
    partners of the preferences the files name, and the HS lines above the files' codes."""
    partners = {code for program in PROGRAMS.values() for code in program.partners}
    for code in sorted({"US", "GB", "EU", *COLUMN2_COUNTRIES, *partners}):
        factories.economy(code)
    for code in ("010121", "010129", "010130", "020110", "220421"):
        factories.product(code)

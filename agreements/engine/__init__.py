"""The rate engine: the duty on product P from origin O entering importer I on date D, and why.

Plain typed functions, no DRF: the API, the admin and the `effective_rate` command call them.
A lookup loads everything it could need in at most three queries (the economies with the
origin's bloc memberships and the product; the candidate rate periods, matched to the HS code
in SQL; the candidates' excluded origins, only when one could apply) and decides in Python,
so its cost follows the rows that match, not the size of the tables.

The rules are API.md's "The rate engine", in order:
1. within one program only the most specific applicable measure applies: a country origin
   beats a bloc, a bloc beats all origins, then the longest matching product prefix wins;
   equal specificity goes to the period that started later, then to the higher rate, then
   to the kind (`additional` < `all_in` < `base`, the last wins), then to the period that
   ends later, then to the lowest measure id (which decides only between rows identical in
   all but ids, titles and instruments), so the answer never depends on the order rows were
   written;
2. of the applicable `base` measures the lowest rate is the base (equal rates: the one whose
   program slug sorts first; one measure per program remains), else the base is unknown;
3. `additional` adds its rate; `all_in` adds max(0, rate - base), or its full rate when the
   base is unknown (and then the total is unknown too).

Modules: `results` (the answer's dataclasses), `rules` (the rules, pure Python), `lookup`
(the queries and the two entry points); the SQL itself is in `queries`.
"""

from agreements.engine.lookup import effective_rate, timeline
from agreements.engine.results import (
    Component,
    Duty,
    EffectiveRate,
    Period,
    ProductRef,
    Scenario,
    Timeline,
    UnknownEconomy,
)

__all__ = [
    "Component",
    "Duty",
    "EffectiveRate",
    "Period",
    "ProductRef",
    "Scenario",
    "Timeline",
    "UnknownEconomy",
    "effective_rate",
    "timeline",
]

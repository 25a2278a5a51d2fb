"""The rate engine: the duty on product P from origin O entering importer I on date D, and why.

Plain typed functions, no DRF: the API, the admin and the `effective_rate` command call them.
A lookup loads everything it could need in at most three queries (the economies with the
origin's bloc memberships and the product; the candidate rate periods, matched to the HS code
in SQL; the candidates' excluded origins, only when one could apply) and decides in Python,
so its cost follows the rows that match, not the size of the tables.

The rules are API.md's "The rate engine", in order:
0. a measure with a `claim` applies only when the shipment claims it; a claim in its
   `waived_by` switches it off;
1. within one program only the most specific applicable measure applies: a country origin
   beats a bloc, a bloc beats all origins, then the longest matching product prefix wins;
   equal specificity goes to the period that started later, then to the higher rate, then
   to the kind (`additional` < `all_in` < `base`, the last wins), then to the period that
   ends later, then to the lowest measure id (which decides only between rows identical in
   all but ids, titles and instruments), so the answer never depends on the order rows were
   written;
2. of the applicable `base` measures the lowest rate is the base (equal rates: the one whose
   program slug sorts first; one measure per program remains), else the base is unknown;
   (a specific part makes a base dearer than the same ad valorem rate without one);
3. `additional` adds its rate; `all_in` adds max(0, rate - base), or its full rate when the
   base is unknown (and then the total is unknown too);
4. a measure that `yields_to` a program gives way where a measure of that program applies
   (one that does not itself give way);
5. a measure on `basis: content` is listed but not added to the percentage; a measure that
   `yields_content_to` a program whose applied measure is on `basis: content` is charged on
   the value less the content value, and is listed but not added to the percentage either.
The answer says when the percentage is not the whole duty (`complete`, `warnings`), which
claims would change it (`available_claims`: one more decision per claim code the candidates
name), and what it knows of the question (the code is not in the importer's tariff, no
measures or no data for the dates: loaded by query 1).

With a shipment (`shipment.Shipment`: value, quantity and unit, content value) every
component is priced in the importer's currency (`shipment`: exact Decimals, half-up to cents
per component, the total their sum; `units`: the conversions that exist); the base is then
the applied base measure with the lowest duty amount, and `available_claims` lists the
claims that would lower it, with the saving. `batch.effective_rates` answers a whole entry
with a fixed number of queries, each line decided by the same `lookup.answer`.

Modules: `results` (the answer's dataclasses), `rules` (the rules, pure Python), `lookup`
(the queries and the two entry points), `batch` (many lookups at once), `shipment` and
`units` (the money path); the SQL itself is in `queries`.
"""

from agreements.engine.batch import Line, LineError, effective_rates
from agreements.engine.lookup import effective_rate, timeline
from agreements.engine.results import (
    AvailableClaim,
    ChargedOn,
    Component,
    Duty,
    EffectiveRate,
    Notice,
    Period,
    ProductRef,
    Scenario,
    Timeline,
    UnknownEconomy,
    WarningCode,
)

__all__ = [
    "AvailableClaim",
    "ChargedOn",
    "Component",
    "Duty",
    "EffectiveRate",
    "Line",
    "LineError",
    "Notice",
    "Period",
    "ProductRef",
    "Scenario",
    "Timeline",
    "UnknownEconomy",
    "WarningCode",
    "effective_rate",
    "effective_rates",
    "timeline",
]

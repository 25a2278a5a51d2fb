"""Audit history: every tracked model gets a historical table kept by django-simple-history.

Registered here rather than on each model so the list of what is audited, and which
many-to-many scopes are snapshotted with it, reads in one place. Each save, delete and
many-to-many change through the ORM writes a historical row with who (the request's user,
or none for a command), when, what (`+` created, `~` changed, `-` deleted) and why (the
change reason, e.g. `seed_data`). Bulk writes must record the same: the loaders create in
bulk with agreements.bulk.create, which writes the records simple-history's
`bulk_create_with_history` would (tests/tariffs/test_bulk.py holds it to that), and change
with the library's `bulk_update_with_history`.
"""

from __future__ import annotations

from django.db import models
from simple_history import register

from agreements.models.agreements import Agreement, Extension
from agreements.models.commitments import Commitment
from agreements.models.economies import BlocMembership, Economy
from agreements.models.measures import Measure
from agreements.models.products import Product
from agreements.models.rates import Rate
from agreements.models.rounds import Delegate, NegotiationRound
from agreements.models.sources import Source

# Model -> the many-to-many fields whose membership is part of the record's meaning (a
# measure's product scope, an agreement's parties) and is therefore versioned with it.
TRACKED: dict[type[models.Model], tuple[str, ...]] = {
    Economy: (),
    BlocMembership: (),
    Product: (),
    Source: (),
    Agreement: ("parties", "sources"),
    Extension: ("sources",),
    NegotiationRound: ("parties", "sources"),
    Delegate: (),
    Commitment: ("sources",),
    Measure: ("excluded_origins", "products", "excluded_products", "sources"),
    Rate: (),
}

# Not audited: TariffLine. Its rows are copies of an official file, rewritten only by the
# import commands, and the file's edition (a Source) is their record: the history would be a
# second copy of ~80,000 lines (two HTS editions, the UK and EU codes) that doubles the
# time of every load for no information the files do not keep.

# Bookkeeping columns: they change on every save, so they are never "what changed".
UNTRACKED_FIELDS = ("created_at", "updated_at")


class FeedOrder(models.Model):
    """The changes feed's order (agreements.audit): the writing transaction's id.

    On PostgreSQL the column's default is `pg_current_xact_id()`, set by migration 0007 on
    every historical table (Django cannot declare a per-database default); any new historical
    table needs the same, which tests/api/test_audit.py checks. A change is stamped with its
    time when saved but becomes visible only when its transaction commits, possibly much
    later; every transaction older than the oldest one still running has ended, so the feed
    serves changes in transaction-id order up to that point and nothing can appear behind a
    cursor afterwards. Elsewhere (SQLite, rows that predate the column, and imports, which
    set it) it is 0 and the time order decides.
    """

    feed_txid = models.BigIntegerField(
        db_default=0, editable=False, help_text="Id of the transaction that wrote the row."
    )

    class Meta:
        abstract = True


# Derived columns the database keeps from other rows: the versioned product scope already says
# what they say.
DERIVED_FIELDS: dict[type[models.Model], list[str]] = {Measure: ["covers_all_products"]}

for _model, _m2m in TRACKED.items():
    register(
        _model,
        app="agreements",
        m2m_fields=list(_m2m),
        bases=[FeedOrder],
        excluded_fields=DERIVED_FIELDS.get(_model, []),
    )

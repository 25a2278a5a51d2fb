"""The data version: one row that every write which can change an answer moves, in the
write's own transaction.

The API keys its cached answers by it (tradeapi.api.caching): an answer cached under the
version a request reads is the answer the data at that version gives, and a write moves the
version, so no cache entry needs invalidating by hand. A convention ("call bump() after
writing") would miss raw SQL, bulk loads and whatever path is added next, so the database
keeps it: a trigger on every table an answer is read from. Not on the audit history tables
(they change only alongside a data table, and no cached answer reads them), nor on
accounts, sessions or tokens (no cached answer depends on them).

The version is a random token, not only a counter: a counter goes back when a transaction
rolls back or a database is restored from a backup, and the next write would then reuse a
number whose cached answers (in a shared Redis) describe other data. The counter is kept
beside it for people reading it (how many writing statements so far).

On PostgreSQL the row is updated when the writing transaction commits, not at the write: a
write would otherwise lock the row until commit, and every other writer would wait behind a
long import or a transaction held open (then fail on `lock_timeout`). So each writing
statement only marks its transaction (once, with a row in `data_version_pending`), and a
deferred constraint trigger on that row moves the version at commit, in the transaction, so
the data and its version become visible together. Until then the transaction's own reads
must see its writes as another version too (a test's requests run inside one transaction; a
view may read after writing): each writing statement sets a transaction-local random suffix
(`tradeapi.data_version_local`), which the version read appends. SET LOCAL values are undone
with the savepoint or transaction that set them, as the writes are.

SQLite has a single writer lock already, so its row triggers move the version at once.
"""

from django.db import migrations

TABLE = "data_version"

# Every table a cached answer can read from: the agreements app's data tables, their
# many-to-many tables, the tariff lines. tests/test_data_version.py fails when a table is
# added to the app without a trigger here.
DATA_TABLES = [
    "agreements_agreement",
    "agreements_agreement_parties",
    "agreements_agreement_sources",
    "agreements_blocmembership",
    "agreements_commitment",
    "agreements_commitment_sources",
    "agreements_delegate",
    "agreements_economy",
    "agreements_extension",
    "agreements_extension_sources",
    "agreements_measure",
    "agreements_measure_excluded_origins",
    "agreements_measure_excluded_products",
    "agreements_measure_products",
    "agreements_measure_sources",
    "agreements_negotiationround",
    "agreements_negotiationround_parties",
    "agreements_negotiationround_sources",
    "agreements_product",
    "agreements_rate",
    "agreements_source",
    "agreements_tariffline",
    "agreements_tariffline_sources",
]

CREATE = {
    "postgresql": f"""
        CREATE TABLE {TABLE} (
            id smallint PRIMARY KEY CHECK (id = 1),
            token text NOT NULL,
            counter bigint NOT NULL
        )
    """,
    "sqlite": f"""
        CREATE TABLE {TABLE} (
            id integer PRIMARY KEY CHECK (id = 1),
            token text NOT NULL,
            counter integer NOT NULL
        )
    """,
}
TOKEN = {
    "postgresql": "gen_random_uuid()::text",
    "sqlite": "lower(hex(randomblob(16)))",
}


def bump(vendor: str) -> str:
    return f"UPDATE {TABLE} SET token = {TOKEN[vendor]}, counter = counter + 1 WHERE id = 1"


PENDING = "data_version_pending"
LOCAL = "tradeapi.data_version_local"
MARKED = "tradeapi.data_version_marked"


def postgresql_triggers() -> list[str]:
    # Once per statement, not per row: a bulk load of 15,000 tariff lines is one statement.
    # TRUNCATE included (flush, raw maintenance).
    statements = [
        f"CREATE TABLE {PENDING} (id bigserial PRIMARY KEY)",
        f"""
        CREATE FUNCTION data_version_mark() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM set_config('{LOCAL}', gen_random_uuid()::text, true);
            IF coalesce(current_setting('{MARKED}', true), '') = '' THEN
                PERFORM set_config('{MARKED}', 'yes', true);
                INSERT INTO {PENDING} DEFAULT VALUES;
            END IF;
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE FUNCTION data_version_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {bump("postgresql")};
            DELETE FROM {PENDING} WHERE id = NEW.id;
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE CONSTRAINT TRIGGER data_version_commit AFTER INSERT ON {PENDING}
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_version_commit()
        """,
    ]
    statements += [
        f"""
        CREATE TRIGGER data_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
        ON {table} FOR EACH STATEMENT EXECUTE FUNCTION data_version_mark()
        """
        for table in DATA_TABLES
    ]
    return statements


def sqlite_triggers() -> list[str]:
    # SQLite has row triggers only: one cheap single-row update per changed row.
    return [
        f"""
        CREATE TRIGGER data_version_{event.lower()}_{table} AFTER {event} ON {table}
        BEGIN
            {bump("sqlite")};
        END
        """
        for table in DATA_TABLES
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [
        CREATE[vendor],
        f"INSERT INTO {TABLE} (id, token, counter) VALUES (1, {TOKEN[vendor]}, 0)",
        *(postgresql_triggers() if vendor == "postgresql" else sqlite_triggers()),
    ]
    for statement in statements:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = [f"DROP TRIGGER IF EXISTS data_version_bump ON {t}" for t in DATA_TABLES]
        statements += [
            f"DROP TABLE IF EXISTS {PENDING}",
            "DROP FUNCTION IF EXISTS data_version_commit()",
            "DROP FUNCTION IF EXISTS data_version_mark()",
        ]
    else:
        statements = [
            f"DROP TRIGGER IF EXISTS data_version_{event.lower()}_{table}"
            for table in DATA_TABLES
            for event in ("INSERT", "UPDATE", "DELETE")
        ]
    statements.append(f"DROP TABLE IF EXISTS {TABLE}")
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0009_measure_covers_all_products")]

    operations = [migrations.RunPython(forward, backward)]

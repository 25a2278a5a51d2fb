"""Measure.covers_all_products: whether a measure names no products, kept by the database.

The rate engine asks which measures could apply to a code. Asked per measure ("has it no
products, or one of the code's prefixes?"), that probes every one of the importer's measures,
and the HTS import gives the United States one per tariff line (~15,000). With this column the
engine reads the few all-goods measures from a partial index and the rest from the products
index (agreements.engine.queries).

A denormalised column is only as good as what keeps it, so triggers do, on both databases:
any insert or delete in the products table (the ORM's `.add()`/`.set()`, bulk loads, raw SQL)
recomputes the measure's flag, and any write of the measure row itself puts back the value
its products imply, so an instance holding a stale value cannot save it.
"""

from django.db import migrations, models

MEASURE = "agreements_measure"
PRODUCTS = "agreements_measure_products"
NONE_OF = f"NOT EXISTS (SELECT 1 FROM {PRODUCTS} p WHERE p.measure_id = {{id}})"

POSTGRESQL = [
    # The measure row: whatever a writer sends, the flag is what its products say.
    f"""
    CREATE FUNCTION agreements_measure_scope_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.covers_all_products := {NONE_OF.format(id="NEW.id")};
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER measure_covers_all_products BEFORE INSERT OR UPDATE ON {MEASURE}
    FOR EACH ROW EXECUTE FUNCTION agreements_measure_scope_row()
    """,
    # The products: once per statement over the rows it changed (a bulk load of 15,000 lines
    # is one statement), touching only measures whose flag changes.
    f"""
    CREATE FUNCTION agreements_measure_products_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE {MEASURE} m SET covers_all_products = {NONE_OF.format(id="m.id")}
        WHERE m.id IN (SELECT measure_id FROM changed_rows)
        AND m.covers_all_products IS DISTINCT FROM {NONE_OF.format(id="m.id")};
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE TRIGGER measure_products_inserted AFTER INSERT ON {PRODUCTS}
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION agreements_measure_products_changed()
    """,
    f"""
    CREATE TRIGGER measure_products_deleted AFTER DELETE ON {PRODUCTS}
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION agreements_measure_products_changed()
    """,
    # Moving a scope row to another measure changes both (nothing does it today; raw SQL could).
    f"""
    CREATE TRIGGER measure_products_moved_from AFTER UPDATE ON {PRODUCTS}
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION agreements_measure_products_changed()
    """,
    f"""
    CREATE TRIGGER measure_products_moved_to AFTER UPDATE ON {PRODUCTS}
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION agreements_measure_products_changed()
    """,
]
POSTGRESQL_BACKWARD = [
    f"DROP TRIGGER IF EXISTS measure_products_moved_to ON {PRODUCTS}",
    f"DROP TRIGGER IF EXISTS measure_products_moved_from ON {PRODUCTS}",
    f"DROP TRIGGER IF EXISTS measure_products_deleted ON {PRODUCTS}",
    f"DROP TRIGGER IF EXISTS measure_products_inserted ON {PRODUCTS}",
    "DROP FUNCTION IF EXISTS agreements_measure_products_changed()",
    f"DROP TRIGGER IF EXISTS measure_covers_all_products ON {MEASURE}",
    "DROP FUNCTION IF EXISTS agreements_measure_scope_row()",
]

# SQLite has no BEFORE triggers that can change the row, so the measure's own triggers fix the
# flag right after the write when it disagrees. SQLite's triggers do not fire themselves again
# (recursive_triggers is off), and the WHEN clauses make each fix a no-op once it holds.
SQLITE = [
    *(
        f"""
    CREATE TRIGGER measure_covers_all_products_{event.lower()} AFTER {event} ON {MEASURE}
    WHEN NEW.covers_all_products IS NOT ({NONE_OF.format(id="NEW.id")})
    BEGIN
        UPDATE {MEASURE} SET covers_all_products = {NONE_OF.format(id="NEW.id")}
        WHERE id = NEW.id;
    END
    """
        for event in ("INSERT", "UPDATE")
    ),
    f"""
    CREATE TRIGGER measure_products_inserted AFTER INSERT ON {PRODUCTS}
    BEGIN
        UPDATE {MEASURE} SET covers_all_products = 0
        WHERE id = NEW.measure_id AND covers_all_products;
    END
    """,
    f"""
    CREATE TRIGGER measure_products_deleted AFTER DELETE ON {PRODUCTS}
    BEGIN
        UPDATE {MEASURE} SET covers_all_products = {NONE_OF.format(id="OLD.measure_id")}
        WHERE id = OLD.measure_id;
    END
    """,
    f"""
    CREATE TRIGGER measure_products_moved AFTER UPDATE OF measure_id ON {PRODUCTS}
    BEGIN
        UPDATE {MEASURE} SET covers_all_products = {NONE_OF.format(id="OLD.measure_id")}
        WHERE id = OLD.measure_id;
        UPDATE {MEASURE} SET covers_all_products = 0 WHERE id = NEW.measure_id;
    END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS measure_products_moved",
    "DROP TRIGGER IF EXISTS measure_products_deleted",
    "DROP TRIGGER IF EXISTS measure_products_inserted",
    "DROP TRIGGER IF EXISTS measure_covers_all_products_update",
    "DROP TRIGGER IF EXISTS measure_covers_all_products_insert",
]

# The rows that exist already (the new column starts true everywhere).
BACKFILL = f"UPDATE {MEASURE} SET covers_all_products = {NONE_OF.format(id=f'{MEASURE}.id')}"


def forward(apps, schema_editor):
    statements = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE
    for statement in [*statements, BACKFILL]:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in POSTGRESQL_BACKWARD if vendor == "postgresql" else SQLITE_BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0008_feed_transaction_order")]

    operations = [
        migrations.AddField(
            model_name="measure",
            name="covers_all_products",
            field=models.BooleanField(
                default=True,
                editable=False,
                help_text="Derived: true when the measure names no products (it covers all goods).",
            ),
        ),
        migrations.AddIndex(
            model_name="measure",
            index=models.Index(
                condition=models.Q(("covers_all_products", True)),
                fields=["importer"],
                name="measure_all_goods_idx",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]

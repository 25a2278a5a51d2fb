"""Measure.yields_content_to: programs a measure gives way to on their content only.

From 2025-06-04 the US reciprocal duty is charged on the part of a steel or aluminium
derivative's value that is not its metal content, where the Section 232 duty is charged on
that content (proclamation of 2025-06-03, clause 6); copper from 2025-08-01 likewise
(proclamation of 2025-07-30, clause 4). `yields_to` can only drop a measure whole; this list
says which programs take only their content out of the value the measure is charged on.

On SQLite, Django adds a column with a default by copying the table into a new one, and
dropping the old table drops its triggers: the measure's scope trigger (0009) and its
data-version triggers (0010) would be lost without a word. SQLite can add this column in
place (a constant default, no unique or key), so there the column is added with ALTER TABLE;
PostgreSQL adds it in place anyway. The history table has no triggers and is altered as usual.
"""

from typing import Any

from django.db import migrations, models

HELP = (
    "Programs this measure gives way to on their content only: where a `content`-basis "
    "measure of one of them applies to the same shipment, this measure is charged on the "
    "value less the content value."
)


def _field() -> models.JSONField:
    return models.JSONField(blank=True, default=list, help_text=HELP)


def _column() -> models.JSONField:
    # The field on its own, named: the historical model RunPython is given may be from
    # before or after the state change, so the field is not looked up on it.
    field = _field()
    field.set_attributes_from_name("yields_content_to")
    return field


def add_column(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("agreements", "Measure")
    field = _column()
    if schema_editor.connection.vendor != "sqlite":
        schema_editor.add_field(model, field)
        return
    definition, params = schema_editor.column_sql(model, field)
    assert not params
    # column_sql leaves out the JSON check a table Django creates carries: added here too.
    check = field.db_check(schema_editor.connection)
    schema_editor.execute(
        f"ALTER TABLE {schema_editor.quote_name(model._meta.db_table)} "
        f"ADD COLUMN {schema_editor.quote_name(field.column)} {definition} DEFAULT '[]'"
        + (f" CHECK ({check})" if check else "")
    )


def drop_column(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("agreements", "Measure")
    field = _column()
    if schema_editor.connection.vendor != "sqlite":
        schema_editor.remove_field(model, field)
        return
    # SQLite drops a plain column in place (3.35+); the table and its triggers stay.
    schema_editor.execute(
        f"ALTER TABLE {schema_editor.quote_name(model._meta.db_table)} "
        f"DROP COLUMN {schema_editor.quote_name(field.column)}"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0010_data_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalmeasure",
            name="yields_content_to",
            field=_field(),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="measure",
                    name="yields_content_to",
                    field=_field(),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
    ]

"""Exclusion constraints that only PostgreSQL can hold.

They are not in the models' Meta.constraints because SQLite (the embedded default) cannot
create them; on SQLite this migration does nothing and Model.clean() enforces the same rules.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """
    ALTER TABLE agreements_rate ADD CONSTRAINT rate_in_force_no_overlap
    EXCLUDE USING gist (measure_id WITH =, daterange(valid_from, valid_to, '[)') WITH &&)
    WHERE (status = 'in_force')
    """,
    """
    ALTER TABLE agreements_blocmembership ADD CONSTRAINT membership_no_overlap
    EXCLUDE USING gist (
        bloc_id WITH =, member_id WITH =, daterange(joined_on, left_on, '[)') WITH &&
    )
    """,
]
BACKWARD = [
    "ALTER TABLE agreements_blocmembership DROP CONSTRAINT IF EXISTS membership_no_overlap",
    "ALTER TABLE agreements_rate DROP CONSTRAINT IF EXISTS rate_in_force_no_overlap",
]


def _run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("agreements", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]

"""Carry DRF's clear-text tokens (`rest_framework.authtoken`, no longer installed) over as
hashed ones, so clients keep working through the upgrade, and erase the clear keys.

Their table is read only if it exists: a database created after the change never had it.
The carried tokens get the normal lifetime from the day of the upgrade.
"""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def carry_over(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("tokens", "ApiToken")
    expires = timezone.now() + dt.timedelta(days=settings.TOKEN_TTL_DAYS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
        ApiToken.objects.bulk_create(
            ApiToken(
                user_id=user_id,
                name="carried over",
                prefix=key[:6],
                digest=hashlib.sha256(key.encode()).hexdigest(),
                created=created,
                expires=expires,
            )
            for key, user_id, created in rows
        )
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("tokens", "0001_initial")]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]

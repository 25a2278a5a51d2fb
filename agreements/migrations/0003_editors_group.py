"""The `editors` group: every add/change/delete/view permission on the app's data models.

Economies and products are reference data loaded by `seed_data`, so editors only view them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITABLE = [
    "source",
    "agreement",
    "extension",
    "negotiationround",
    "delegate",
    "commitment",
    "measure",
    "rate",
    "blocmembership",
]
READ_ONLY = ["economy", "product"]


def create_editors(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [f"{action}_{model}" for model in EDITABLE for action in ("add", "change", "delete", "view")]
    codenames += [f"view_{model}" for model in READ_ONLY]
    group, _ = Group.objects.get_or_create(name="editors")
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="agreements", codename__in=codenames)
    )


def remove_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0002_postgres_exclusion_constraints"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors, remove_editors)]

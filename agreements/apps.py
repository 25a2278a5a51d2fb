from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = "Trade agreements and tariffs"
    default_auto_field = "django.db.models.BigAutoField"

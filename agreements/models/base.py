from django.db import models


class TimeStampedModel(models.Model):
    """Adds the created/updated timestamps that staff see read-only in the admin."""

    created_at = models.DateTimeField(auto_now_add=True, help_text="When the record was created.")
    updated_at = models.DateTimeField(auto_now=True, help_text="When the record was last changed.")

    class Meta:
        abstract = True

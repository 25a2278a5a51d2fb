from __future__ import annotations

from collections.abc import Collection

from django.core.exceptions import ValidationError
from django.db import models

from agreements.validators import validate_no_bidi_controls


class TimeStampedModel(models.Model):
    """Adds the created/updated timestamps that staff see read-only in the admin, and the
    text rules every record shares."""

    created_at = models.DateTimeField(auto_now_add=True, help_text="When the record was created.")
    updated_at = models.DateTimeField(auto_now=True, help_text="When the record was last changed.")

    class Meta:
        abstract = True

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        """Field validation, plus: no text field holds direction-control characters.

        Checked here rather than as a validator on each field so a text field added later
        cannot forget it; the admin and the API both run full_clean().
        """
        errors: dict[str, list[ValidationError]] = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if field.name in errors or (exclude and field.name in exclude):
                continue
            if isinstance(field, models.CharField | models.TextField):
                try:
                    validate_no_bidi_controls(getattr(self, field.attname))
                except ValidationError as error:
                    errors[field.name] = error.error_list
        if errors:
            raise ValidationError(errors)

"""Admin forms that are not model forms."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from agreements.engine import Scenario
from agreements.validators import clean_economy_code, clean_hs_code


class EffectiveRateForm(forms.Form):
    """The question of rates/effective/, asked from the admin."""

    importer = forms.CharField(
        max_length=2, initial="US", help_text="Two-letter code of the importing economy, e.g. US."
    )
    origin = forms.CharField(
        max_length=2, help_text="Two-letter code of the country the goods come from, e.g. CN."
    )
    hs = forms.CharField(
        max_length=20, label="HS code", help_text="The goods' HS code, e.g. 950300 or 9503.00."
    )
    date = forms.DateField(
        initial=timezone.localdate, help_text="Day the goods enter, as 2025-05-20."
    )
    scenario = forms.ChoiceField(
        label="Rates counted",
        choices=[
            (Scenario.IN_FORCE.value, "Rates in force"),
            (Scenario.ANNOUNCED.value, "Rates in force and rates announced"),
        ],
    )

    def clean_importer(self) -> str:
        return clean_economy_code(self.cleaned_data["importer"])

    def clean_origin(self) -> str:
        return clean_economy_code(self.cleaned_data["origin"])

    def clean_hs(self) -> str:
        return clean_hs_code(self.cleaned_data["hs"])

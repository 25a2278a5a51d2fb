"""Admin forms that are not model forms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from agreements.engine import Scenario, units
from agreements.engine.shipment import Shipment
from agreements.models import Measure
from agreements.validators import clean_economy_code, clean_hs_code

# As the API bounds them (agreements.api.engine): a trillion is a typing accident.
MAX_AMOUNT = Decimal("1000000000000")


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
    claims = forms.CharField(
        required=False, help_text="Preferences claimed, e.g. KR or S, separated by spaces"
    )
    value = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=MAX_AMOUNT,
        decimal_places=2,
        help_text="Customs value in the importer's currency (USD, GBP, EUR)",
    )
    quantity = forms.DecimalField(
        required=False, min_value=0, max_value=MAX_AMOUNT, decimal_places=6
    )
    unit = forms.CharField(required=False, max_length=20, help_text=f"One of {units.supported()}")
    content_value = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=MAX_AMOUNT,
        decimal_places=2,
        help_text="Value of the steel, aluminium or copper content, for content-basis duties",
    )

    def clean_unit(self) -> str:
        unit = self.cleaned_data["unit"].strip()
        if unit and not units.is_known(unit):
            raise forms.ValidationError(f"Unknown unit; one of {units.supported()}.")
        return units.canonical(unit) if unit else ""

    def clean_claims(self) -> list[str]:
        return [c.upper() for c in self.cleaned_data["claims"].replace(",", " ").split()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("quantity") is not None and not data.get("unit"):
            self.add_error("unit", "A quantity needs its unit.")
        if data.get("unit") and data.get("quantity") is None:
            self.add_error("quantity", "A unit needs a quantity.")
        return data

    def shipment(self) -> Shipment | None:
        """The shipment the form describes, or None when it gives no value or quantity."""
        data = self.cleaned_data
        found = Shipment(
            value=data.get("value"),
            quantity=data.get("quantity"),
            unit=data.get("unit") or None,
            content_value=data.get("content_value"),
        )
        return found if found.priced else None

    def clean_importer(self) -> str:
        return clean_economy_code(self.cleaned_data["importer"])

    def clean_origin(self) -> str:
        return clean_economy_code(self.cleaned_data["origin"])

    def clean_hs(self) -> str:
        return clean_hs_code(self.cleaned_data["hs"])


class CodeListField(forms.CharField):
    """A short list of codes typed as text ("S, S+"), stored as a JSON list: staff type
    claims and program slugs, not JSON."""

    def __init__(self, *, upper: bool, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.upper = upper

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        codes = [code.strip() for code in text.replace(",", " ").split()]
        return [code.upper() if self.upper else code for code in codes if code]


class MeasureAdminForm(forms.ModelForm):
    waived_by = CodeListField(
        upper=True,
        help_text="Claims that switch this duty off, separated by commas, e.g. S, S+ for goods "
        "that qualify under USMCA. Leave empty if no claim does.",
    )
    yields_to = CodeListField(
        upper=False,
        help_text="Programs this duty gives way to, separated by commas, e.g. us-s232-steel: "
        "where a duty of one of them applies, this one does not.",
    )

    class Meta:
        model = Measure
        fields = [
            "slug",
            "title",
            "importer",
            "origin",
            "excluded_origins",
            "products",
            "excluded_products",
            "legal_basis",
            "instrument",
            "program",
            "kind",
            "claim",
            "waived_by",
            "yields_to",
            "basis",
            "agreement",
            "note",
            "sources",
        ]

"""Admin forms that are not model forms."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from agreements.engine import Scenario, units
from agreements.engine.results import Shipment
from agreements.models import Measure, Product, TariffLine
from agreements.services import products_national_ensure
from agreements.validators import (
    HS_CODE_REGEX,
    clean_economy_code,
    clean_hs_code,
    normalize_hs_code,
)

_HS = re.compile(HS_CODE_REGEX)

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


# Codes as staff paste them: one a line, or separated by commas, semicolons or spaces; the
# HTS prints them with dots (8471.30.01), which are dropped.
_CODE_SEPARATORS = re.compile(r"[\s,;]+")


class ProductCodesField(forms.CharField):
    """A product scope as text: thousands of codes edit as a list, not as a select widget.

    Cleans to the sorted, distinct codes; each must be an HS code (2 to 10 digits) known to
    the nomenclature or to an importer's tariff (a national line without a Product row yet
    gets one when the form is saved). An unknown or malformed code is a form error naming it.
    """

    widget = forms.Textarea(attrs={"rows": 8, "cols": 40, "spellcheck": "false"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(strip=True, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        # The model form's initial value is the related products (or their codes); after a
        # refused submission it is the text as typed, shown back unchanged.
        if value is None or isinstance(value, str):
            return value
        return "\n".join(sorted(str(getattr(item, "pk", item)) for item in value))

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        return [code for code in _CODE_SEPARATORS.split(text or "") if code]

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def clean(self, value: Any) -> list[str]:
        raw = self.to_python(value)
        self.validate(raw)
        codes = [normalize_hs_code(code) for code in raw]
        malformed = [given for given, code in zip(raw, codes, strict=True) if not _HS.match(code)]
        if malformed:
            raise ValidationError(
                "Not an HS code (2 to 10 digits, dots allowed): %(codes)s.",
                code="invalid",
                params={"codes": ", ".join(malformed[:20])},
            )
        wanted = sorted(set(codes))
        known = set(Product.objects.filter(code__in=wanted).values_list("code", flat=True))
        lines = set(
            TariffLine.objects.filter(code__in=[c for c in wanted if c not in known])
            .values_list("code", flat=True)
            .distinct()
        )
        unknown = [code for code in wanted if code not in known and code not in lines]
        if unknown:
            raise ValidationError(
                "Not a code of the HS nomenclature or of an importer's tariff: %(codes)s.",
                code="unknown",
                params={"codes": ", ".join(unknown[:20])},
            )
        return wanted


class MeasureAdminForm(forms.ModelForm):
    """A measure with its claims and programs typed as short lists, and its product scope and
    exclusions edited as lists of codes (thousands of them, pasted from a note)."""

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
    yields_content_to = CodeListField(
        upper=False,
        help_text="Programs this duty gives way to on their content only, separated by commas, "
        "e.g. us-s232-copper: where a duty of one of them is charged on a content's value, this "
        "one is charged on the rest of the value.",
    )

    products = ProductCodesField(
        label="Products",
        help_text="HS codes covered, one a line or separated by commas; each covers every "
        "longer code under it. Leave empty for all goods.",
    )
    excluded_products = ProductCodesField(
        label="Excluded products",
        help_text="HS codes left out of the goods covered, one a line or separated by commas.",
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
            "yields_content_to",
            "basis",
            "agreement",
            "note",
            "sources",
        ]

    def _save_m2m(self) -> None:
        # Codes of a tariff's national lines that have no Product row yet get one (described
        # from the line), so the scope can point at them.
        codes = {
            *self.cleaned_data.get("products", []),
            *self.cleaned_data.get("excluded_products", []),
        }
        stored = Product.objects.filter(code__in=codes).values_list("code", flat=True)
        missing = codes - set(stored)
        if missing:
            descriptions = dict(
                TariffLine.objects.filter(code__in=missing)
                .order_by("code", "-valid_from")
                .values_list("code", "description")
            )
            products_national_ensure(
                descriptions=descriptions, reason="admin", stamp=timezone.now()
            )
        super()._save_m2m()  # type: ignore[misc]

"""The domain model, one module per aggregate; imported here so Django finds every model."""

from agreements.models.agreements import Agreement, AgreementStatus, Extension
from agreements.models.base import TimeStampedModel
from agreements.models.commitments import Commitment
from agreements.models.economies import BlocMembership, Economy
from agreements.models.measures import Measure
from agreements.models.products import Product
from agreements.models.rates import Rate
from agreements.models.rounds import Delegate, NegotiationRound
from agreements.models.sources import Source
from agreements.models.tariff_lines import TariffLine

__all__ = [
    "Agreement",
    "AgreementStatus",
    "BlocMembership",
    "Commitment",
    "Delegate",
    "Economy",
    "Extension",
    "Measure",
    "NegotiationRound",
    "Product",
    "Rate",
    "Source",
    "TariffLine",
    "TimeStampedModel",
]

# After the models: registering history creates one historical model per tracked model.
from agreements.models import history  # noqa: F401

"""Every vocabulary of the v1 contract (API.md), in one place so the API, admin and engine agree."""

from django.db import models


class EconomyKind(models.TextChoices):
    COUNTRY = "country", "Country"
    BLOC = "bloc", "Bloc"


class ProductLevel(models.TextChoices):
    CHAPTER = "chapter", "Chapter (2 digits)"
    HEADING = "heading", "Heading (4 digits)"
    SUBHEADING = "subheading", "Subheading (6 digits)"
    NATIONAL = "national", "National line (7 to 10 digits)"


class AgreementKind(models.TextChoices):
    DEAL = "deal", "Deal"
    FRAMEWORK = "framework", "Framework"
    TRUCE = "truce", "Truce"
    ARRANGEMENT = "arrangement", "Arrangement"
    OTHER = "other", "Other"


class RoundStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class CommitmentKind(models.TextChoices):
    INVESTMENT = "investment", "Investment"
    PURCHASE = "purchase", "Purchase"
    MARKET_ACCESS = "market_access", "Market access"
    EXPORT_CONTROL = "export_control", "Export control"
    OTHER = "other", "Other"


class LegalBasis(models.TextChoices):
    MFN = "mfn", "Most-favoured-nation rate"
    PREFERENTIAL = "preferential", "Preferential rate"
    IEEPA = "ieepa", "IEEPA (International Emergency Economic Powers Act)"
    SECTION_122 = "section_122", "Section 122, Trade Act of 1974"
    SECTION_201 = "section_201", "Section 201, Trade Act of 1974"
    SECTION_232 = "section_232", "Section 232, Trade Expansion Act of 1962"
    SECTION_301 = "section_301", "Section 301, Trade Act of 1974"
    COUNTERMEASURE = "countermeasure", "Countermeasure (retaliation)"
    ANTIDUMPING = "antidumping", "Anti-dumping duty"
    COUNTERVAILING = "countervailing", "Countervailing duty"
    SAFEGUARD = "safeguard", "Safeguard"
    OTHER = "other", "Other"


class MeasureKind(models.TextChoices):
    BASE = "base", "Base rate (MFN or preferential)"
    ADDITIONAL = "additional", "Additional duty (adds its rate)"
    ALL_IN = "all_in", "All-in ceiling (tops the total up to its rate)"


class RateStatus(models.TextChoices):
    IN_FORCE = "in_force", "In force"
    ANNOUNCED = "announced", "Announced"
    SUSPENDED = "suspended", "Suspended"


class MeasureBasis(models.TextChoices):
    VALUE = "value", "Customs value of the goods"
    CONTENT = "content", "Value of one content only (e.g. the steel in a steel derivative)"
